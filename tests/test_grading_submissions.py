"""Finding submissions: nbgrader's layout, LMS file names, zips with limits, unmatched files."""

import io
import json
import zipfile
from pathlib import Path

import pytest

from course.grading.submissions import ZipLimits, ZipProblem, discover, extract_zip
from tests import lms_names

NOTEBOOKS = {"01-segmentation": ["segmentation.ipynb"], "02-downsampling": ["downsampling.ipynb"]}


CELLS = {("01-segmentation", "segmentation.ipynb"): {"confusion-matrix", "mean-iou"},
         ("02-downsampling", "downsampling.ipynb"): {"pool2d", "conv-output-size"}}
LESSON01 = json.dumps({"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": gid}}}
                                 for gid in ("confusion-matrix", "intro", "mean-iou")]})


def found(folder, tmp_path, **kwargs):
    (tmp_path / "scratch").mkdir(exist_ok=True)
    subs, unmatched = discover(folder, NOTEBOOKS, tmp_path / "scratch", cells=CELLS, **kwargs)
    return {(s.student, s.lesson): s for s in subs}, {u.path: u.reason for u in unmatched}


def test_the_names_real_downloads_give_are_matched_and_the_rest_say_what_to_rename_them_to(tmp_path):
    subs = tmp_path / "subs"
    for path in [*lms_names.MATCHED, *lms_names.UNMATCHED]:
        (subs / path).parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".zip"):
            make_zip(subs / path, {lms_names.ZIP_MEMBER: LESSON01.encode()})
        else:
            (subs / path).write_text(LESSON01 if path in lms_names.BY_CONTENT else "{}")
    (tmp_path / "scratch").mkdir()
    submissions, unmatched = discover(subs, NOTEBOOKS, tmp_path / "scratch", cells=CELLS)
    got = {s.source: (s.student, s.name, s.lms, s.lesson, list(s.files)) for s in submissions}
    sources = {path: path.rsplit("/", 1)[0] if "/" in path and not path.split("/")[0].endswith("_file") else path
               for path in lms_names.MATCHED}
    assert got == {sources[path]: (*who, "01-segmentation", ["segmentation.ipynb"])
                   for path, who in lms_names.MATCHED.items()}
    assert {u.path: (u.student, u.reason) for u in unmatched if u.path in lms_names.UNMATCHED}.keys() \
        == lms_names.UNMATCHED.keys() and len(unmatched) == len(lms_names.UNMATCHED), unmatched
    for u in unmatched:
        student, says = lms_names.UNMATCHED[u.path]
        assert u.student == student and says in u.reason, u


def test_a_name_without_a_lesson_is_matched_by_the_notebooks_cells_when_they_are_one_lessons(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s1_homework.ipynb").write_text(LESSON01)
    (subs / "s2_mixed.ipynb").write_text(json.dumps({"cells": [  # as many cells of each lesson: no guess
        {"metadata": {"nbgrader": {"grade_id": gid}}} for gid in ("mean-iou", "pool2d")]}))
    (subs / "s3_broken.ipynb").write_text('{"cells": [{"metadata": {"nbgrader": "x"}}]')
    found_subs, unmatched = found(subs, tmp_path)
    assert list(found_subs) == [("s1", "01-segmentation")]
    assert set(unmatched) == {"s2_mixed.ipynb", "s3_broken.ipynb"}


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_nbgrader_layout(tmp_path):
    subs = tmp_path / "subs"
    (subs / "s1" / "01-segmentation").mkdir(parents=True)
    (subs / "s1" / "01-segmentation" / "segmentation.ipynb").write_text("{}")
    (subs / "s1" / "01-segmentation" / "scratch.ipynb").write_text("{}")
    (subs / "s1" / "99-unknown").mkdir()
    (subs / "s1" / "02-downsampling").mkdir()
    (subs / "bad id!").mkdir()
    subs_by_key, unmatched = found(subs, tmp_path)
    sub = subs_by_key["s1", "01-segmentation"]
    assert list(sub.files) == ["segmentation.ipynb"]
    assert sub.notes == ["not part of the lesson, ignored: scratch.ipynb"]
    assert "not a lesson folder" in unmatched["s1/99-unknown"]
    assert unmatched["s1/02-downsampling"] == "no .ipynb file in this lesson folder"
    assert "not a valid student id" in unmatched["bad id!"]


@pytest.mark.parametrize("name, student, lesson", [
    ("s1234_01-segmentation.ipynb", "s1234", "01-segmentation"),
    ("s1234_segmentation.ipynb", "s1234", "01-segmentation"),
    ("jane.doe@uni.edu_downsampling.ipynb", "jane.doe@uni.edu", "02-downsampling"),
    ("doejane_12345_678901_segmentation-1.ipynb", "12345", "01-segmentation"),
    ("doejane_LATE_12345_678901_segmentation.ipynb", "12345", "01-segmentation"),
    ("Jane Doe_12345_assignsubmission_file_segmentation.ipynb", "12345", "01-segmentation"),
])
def test_lms_file_names(tmp_path, name, student, lesson):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / name).write_text("{}")
    subs, unmatched = found(tmp_path / "subs", tmp_path)
    assert unmatched == {}
    assert list(subs) == [(student, lesson)]
    assert subs[student, lesson].files == {NOTEBOOKS[lesson][0]: tmp_path / "subs" / name}


@pytest.mark.parametrize("name, reason", [
    ("report.pdf", "not a .ipynb or .zip file"),
    ("s1_homework.ipynb", "neither its name nor its cells say which lesson it is; rename it to s1_<notebook>.ipynb, "
                          "e.g. s1_segmentation.ipynb for 01-segmentation"),
    ("Copy of segmentation.ipynb", "the name carries no student id; rename it to <student_id>_<notebook>.ipynb"),
    ("nounderscore.ipynb", "matches none of the accepted patterns"),
    (".hidden_01-segmentation.ipynb", "hidden file"),
])
def test_files_that_match_nothing_are_reported(tmp_path, name, reason):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / name).write_text("{}")
    subs, unmatched = found(tmp_path / "subs", tmp_path)
    assert subs == {}
    assert reason in unmatched[name]


def test_zip_by_name_or_by_content(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    make_zip(subs / "s1_01-segmentation.zip", {"work/segmentation.ipynb": b"{}", "__MACOSX/._x.ipynb": b"junk"})
    make_zip(subs / "s2_submission.zip", {"downsampling.ipynb": b"{}", "segmentation.ipynb": b"{}"})
    found_subs, unmatched = found(subs, tmp_path)
    assert unmatched == {}
    assert set(found_subs) == {("s1", "01-segmentation"), ("s2", "01-segmentation"), ("s2", "02-downsampling")}
    assert found_subs["s1", "01-segmentation"].files["segmentation.ipynb"].read_bytes() == b"{}"


def test_the_newest_of_two_submissions_wins_and_the_other_is_noted(tmp_path):
    import os

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "doejane_12345_1_segmentation.ipynb").write_text("{}")
    (subs / "doejane_12345_2_segmentation-1.ipynb").write_text("{}")
    os.utime(subs / "doejane_12345_1_segmentation.ipynb", (1, 1))
    found_subs, _ = found(subs, tmp_path)
    sub = found_subs["12345", "01-segmentation"]
    assert sub.source == "doejane_12345_2_segmentation-1.ipynb"
    assert "ignored doejane_12345_1_segmentation.ipynb" in sub.notes[0]


def test_zip_bomb_is_stopped_while_decompressing(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("segmentation.ipynb", "w") as member:
            for _ in range(3):
                member.write(b"\0" * 2**20)
    assert bomb.stat().st_size < 2**16
    with pytest.raises(ZipProblem, match="larger than 2 MB"):
        extract_zip(bomb, tmp_path / "x", ZipLimits(max_file_mb=2))
    assert not (tmp_path / "x").exists(), "a partial extraction is removed"
    with pytest.raises(ZipProblem, match="more than 1 MB uncompressed"):
        extract_zip(make_zip(tmp_path / "two.zip", {"a.ipynb": b"1" * 700_000, "b.ipynb": b"2" * 700_000}),
                    tmp_path / "y", ZipLimits(max_total_mb=1))
    with pytest.raises(ZipProblem, match="3 members"):
        extract_zip(make_zip(tmp_path / "many.zip", {f"{i}.ipynb": b"{}" for i in range(3)}), tmp_path / "z",
                    ZipLimits(max_members=2))


def test_zip_paths_cannot_escape_and_corrupt_zips_are_reported(tmp_path):
    evil = make_zip(tmp_path / "evil.zip", {"../../escaped.ipynb": b"{}", "/abs/segmentation.ipynb": b"{}"})
    files = extract_zip(evil, tmp_path / "out")
    assert sorted(files) == ["escaped.ipynb", "segmentation.ipynb"]
    assert all(p.parent == tmp_path / "out" for p in files.values())
    assert not (tmp_path.parent / "escaped.ipynb").exists()
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ZipProblem, match="not a readable zip"):
        extract_zip(tmp_path / "junk.zip", tmp_path / "j")
    with pytest.raises(ValueError, match="expected max_file_mb to be an int >= 1, got 0"):
        ZipLimits(max_file_mb=0)


def test_a_bad_zip_named_for_a_lesson_is_a_submission_with_a_problem(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s9_01-segmentation.zip").write_bytes(io.BytesIO(b"garbage").getvalue())
    found_subs, unmatched = found(subs, tmp_path)
    assert unmatched == {}
    assert "not a readable zip file" in found_subs["s9", "01-segmentation"].problem


def test_missing_folder_is_an_instructor_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected SUBMISSIONS to be a folder"):
        discover(tmp_path / "nope", NOTEBOOKS, tmp_path)


def test_symbolic_links_are_refused_by_name(tmp_path):
    subs = tmp_path / "subs"
    (subs / "s1" / "01-segmentation").mkdir(parents=True)
    (subs / "s1" / "01-segmentation" / "segmentation.ipynb").write_text("{}")
    (subs / "s2" / "02-downsampling").mkdir(parents=True)
    (subs / "s2" / "02-downsampling" / "downsampling.ipynb").symlink_to(subs / "s1" / "01-segmentation" / "segmentation.ipynb")
    (subs / "s2" / "01-segmentation").symlink_to(subs / "s1" / "01-segmentation", target_is_directory=True)
    subs_by_key, unmatched = found(subs, tmp_path)
    assert list(subs_by_key) == [("s1", "01-segmentation")]
    assert unmatched == {"s2/01-segmentation": "a symbolic link, refused (copy the files themselves)",
                         "s2/02-downsampling/downsampling.ipynb": "a symbolic link, refused (copy the file itself)"}


def test_a_moodle_name_with_two_participant_ids_is_given_to_no_one(tmp_path):
    (tmp_path / "subs").mkdir()
    honest = "Victim Person_222_assignsubmission_file_segmentation.ipynb"
    forged = "Mallory_111_assignsubmission_file_Victim Person_222_assignsubmission_file_segmentation.ipynb"
    for name in (honest, forged):
        (tmp_path / "subs" / name).write_text("{}")
    subs, unmatched = found(tmp_path / "subs", tmp_path)
    assert list(subs) == [("222", "01-segmentation")] and subs["222", "01-segmentation"].source == honest
    assert "ambiguous: the name carries the participant ids 111 and 222" in unmatched[forged]
