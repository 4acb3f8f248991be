"""`course release`: lessons/ is exactly what nbgrader generates from solutions/."""

import json

import nbformat
import pytest

from course import cli, release, validate
from tests.conftest import LESSONS, ROOT

NOTEBOOK = "01-segmentation/segmentation.ipynb"


def test_committed_lessons_are_exactly_what_nbgrader_generates():
    problems = release.stale(ROOT)
    assert problems == [], release.stale_message(problems)


def test_a_changed_solution_makes_lessons_stale_and_release_regenerates_them(course_copy, capsys):
    path = course_copy / "solutions" / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source += "\n\nA sentence added by the test."
    nbformat.write(nb, path)

    assert cli.main(["--root", str(course_copy), "release", "--check"]) == 1
    err = capsys.readouterr().err
    assert f"lessons/{NOTEBOOK} differs from what nbgrader generates" in err
    assert "Regenerate the student versions with `course release`" in err

    assert cli.main(["--root", str(course_copy), "release"]) == 0
    assert "A sentence added by the test." in (course_copy / "lessons" / NOTEBOOK).read_text()
    assert cli.main(["--root", str(course_copy), "release", "--check"]) == 0


def test_a_hand_edited_or_deleted_lesson_is_stale(course_copy):
    lesson = course_copy / "lessons" / NOTEBOOK
    lesson.write_text(lesson.read_text().replace("YOUR CODE HERE", "your code here"))
    assert release.stale(course_copy) == [f"lessons/{NOTEBOOK} differs from what nbgrader generates"]
    lesson.unlink()
    assert release.stale(course_copy) == [f"lessons/{NOTEBOOK} is missing"]


def test_a_lesson_without_a_solution_is_reported_and_removed_by_release(course_copy):
    (course_copy / "lessons" / "99-old").mkdir()
    (course_copy / "lessons" / "99-old" / "old.ipynb").write_text("{}")
    assert "lessons/99-old/ has no solution in solutions/99-old/" in release.stale(course_copy)
    assert "99-old" in release.release(course_copy)
    assert not (course_copy / "lessons" / "99-old").exists()


@pytest.mark.parametrize("lesson", LESSONS)
def test_student_versions_hide_solutions_and_hidden_tests_and_lock_the_tests(lesson):
    solutions = {p.name: nbformat.read(p, as_version=4) for p in (ROOT / "solutions" / lesson).glob("*.ipynb")}
    for name, solution in solutions.items():
        path = ROOT / "lessons" / lesson / name
        student = nbformat.read(path, as_version=4)
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert [c.cell_type for c in student.cells] == [c.cell_type for c in solution.cells]
        assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
        for sol_cell, cell in zip(solution.cells, student.cells):
            if validate.is_solution_cell(sol_cell):
                assert "raise NotImplementedError()" in cell.source
            if validate.is_test_cell(sol_cell):
                assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False
                visible = sol_cell.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
                assert cell.source.rstrip() == visible, "visible part of a test cell must reach students unchanged"
        assert f"blob/main/lessons/{lesson}/{name}" in student.cells[0].source
        assert "widgets" not in student.metadata
        assert not any("execution" in c.metadata for c in student.cells), "timing metadata left in the lesson"


def test_outside_a_checkout_the_command_says_where_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["release", "--check"]) == 2
    assert "Run this command inside a clone of the course repository" in capsys.readouterr().err


def test_nbgrader_config_points_source_and_release_at_our_folders():
    from course.workspace import load_config

    config = load_config(ROOT)
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "lessons"
    assert config.Execute.timeout >= 300, "nbgrader's default of 30 s per cell is too short"
    assert config.OverwriteCells.add_missing_cells is True
    assert json.dumps(config.GenerateAssignment.preprocessors[-1]) == '"course.release.StudentVersion"'
