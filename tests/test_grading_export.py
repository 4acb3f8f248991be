"""course export: grades.csv as Canvas's gradebook import and Moodle's grading worksheets.

The readers below follow the importers: Moodle's assignfeedback_offline (it looks up the
columns "Identifier", "Grade" and "Last modified (grade)" by name, refuses a file without
them, and strips "Participant " from the identifier), and Canvas's documented layout (the
columns Student, ID, SIS User ID, SIS Login ID and Section, then one per assignment; a
"Points Possible" row is read as the maximum, not as a student)."""

import csv
from datetime import datetime

import pytest

from course import cli
from course.grading.export import export
from course.grading.report import write_csv


def record(student, lesson, score, lms, status="graded", name="", max_score=9.0):
    return {"student_id": student, "student_name": name, "lms": lms, "lesson": lesson, "score": score,
            "max_score": max_score, "status": status, "message": "", "notes": [],
            "exercises": {"mean-iou": [score / 3, 3.0]}, "submission_sha256": "x",
            "graded_at": "2026-12-02T10:00:00+00:00", "source": f"{student}.ipynb"}


@pytest.fixture
def grades(tmp_path):
    path = tmp_path / "out" / "grades.csv"
    path.parent.mkdir()
    write_csv(path, [
        record("12345", "01-segmentation", 9.0, "canvas", name="doejane"),
        record("12345", "02-downsampling", 4.5, "canvas", name="doejane", max_score=10.0),
        record("12346", "01-segmentation", 0.0, "canvas", status="crashed kernel", name="roejohn"),
        record("12347", "01-segmentation", 0.0, "canvas", status="grader error"),
        record("22345", "01-segmentation", 6.0, "moodle", name="Jane Doe"),
        record("22350", "01-segmentation", 3.0, "moodle"),
        record("s1001", "01-segmentation", 9.0, ""),
    ], [{"path": "segmentation.ipynb", "reason": "the name carries no student id"}])
    return path


def moodle_import(path):
    """What Moodle's grading-worksheet upload reads: {participant id: (grade, modified)}."""
    rows = list(csv.reader(path.open(newline="")))
    columns = rows[0]
    if not {"Identifier", "Grade", "Last modified (grade)"} <= set(columns):
        raise ValueError("Moodle refuses the file")
    ident, grade, modified = (columns.index(c) for c in ("Identifier", "Grade", "Last modified (grade)"))
    return {r[ident][len("Participant "):]: (r[grade], datetime.fromisoformat(r[modified])) for r in rows[1:]}


def canvas_import(path):
    """What Canvas reads: the maximum per assignment and {Canvas user id: {assignment: score}}."""
    rows = list(csv.reader(path.open(newline="")))
    header = rows[0]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"], header
    points = dict(zip(header[5:], rows[1][5:])) if rows[1][0].strip() == "Points Possible" else {}
    students = {r[1]: {a: s for a, s in zip(header[5:], r[5:]) if s != ""} for r in rows[1 + bool(points):]}
    return points, students


def test_canvas_gets_one_row_per_canvas_student_and_one_column_per_lesson(grades, tmp_path):
    result = export(grades, "canvas", tmp_path / "lms")
    assert result.files == [tmp_path / "lms" / "canvas.csv"]
    points, students = canvas_import(result.files[0])
    assert points == {"01-segmentation": "9", "02-downsampling": "10"}
    assert students == {"12345": {"01-segmentation": "9", "02-downsampling": "4.5"},
                        "12346": {"01-segmentation": "0"}}
    assert result.skipped == {"unmatched files, see grades.csv": ["segmentation.ipynb"],
                              "not graded, see grades.csv": ["12347/01-segmentation"],
                              "ids not from canvas's file names": ["22345/01-segmentation", "22350/01-segmentation",
                                                                   "s1001/01-segmentation"]}


def test_moodle_gets_a_worksheet_per_lesson_that_its_importer_reads(grades, tmp_path):
    result = export(grades, "moodle", tmp_path / "lms")
    assert result.files == [tmp_path / "lms" / "moodle-01-segmentation.csv"]
    assert moodle_import(result.files[0]) == {
        "22345": ("6", datetime.fromisoformat("2026-12-02T10:00:00+00:00")),
        "22350": ("3", datetime.fromisoformat("2026-12-02T10:00:00+00:00"))}
    rows = list(csv.DictReader(result.files[0].open(newline="")))
    assert (rows[0]["Full name"], rows[0]["Maximum Grade"], rows[0]["Feedback comments"]) == \
        ("Jane Doe", "9", "mean-iou=2/3")


def test_the_command_prints_what_it_wrote_and_left_out_and_refuses_what_is_no_grades_csv(grades, tmp_path, capsys):
    assert cli.main(["export", str(grades), "--lms", "moodle"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {grades.parent / 'moodle-01-segmentation.csv'}" in out
    assert "left out (ids not from moodle's file names): 12345/01-segmentation" in out
    assert cli.main(["export", str(tmp_path / "nope.csv"), "--lms", "canvas"]) == 2
    assert "expected a grades.csv from course grade, got" in capsys.readouterr().err
    old = tmp_path / "old.csv"
    old.write_text("student_id,lesson,score\ns1,01-segmentation,9\n")
    assert cli.main(["export", str(old), "--lms", "canvas"]) == 2
    assert "has no lms column" in capsys.readouterr().err
    with pytest.raises(ValueError, match="expected lms to be one of canvas, moodle, got 'blackboard'"):
        export(grades, "blackboard", tmp_path)
