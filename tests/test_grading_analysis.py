"""What a submission did to the lesson (typed findings), its repair before nbgrader, and the answers that
call the course's own version of their exercise."""

import json
import tempfile
from pathlib import Path

import nbformat
import pytest

from course.grading import lessons
from course.grading.analysis import analyse, course_versions_used, repair
from course.grading.autograde import gradebook_cells, read_notebook
from course.grading.outcome import Kind, Status, status_from
from tests.adversarial import corpus
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def lesson():
    folder = Path(tempfile.mkdtemp())
    prepared = lessons.prepare(ROOT, corpus.LESSON, folder)
    cells = gradebook_cells(f"sqlite:///{prepared.gradebook}", corpus.LESSON, "segmentation")
    released = [c.source for c in corpus.student_version().cells if c.cell_type == "code"]
    return cells, prepared.order[corpus.NOTEBOOK], released


def kinds(nb, lesson):
    return {f.kind for f in analyse(nb, *lesson)}


def test_an_honest_submission_has_no_findings(lesson):
    assert analyse(corpus.solved(), *lesson) == []
    assert status_from([]) == (Status.GRADED, None)


def test_deleted_edited_moved_and_copied_cells_are_found(lesson):
    assert kinds(corpus.deleted_tests(), lesson) == {Kind.MISSING_TESTS}
    assert Kind.EDITED_TESTS in kinds(corpus.edited_tests(), lesson)
    assert kinds(corpus.reordered_tests(), lesson) == {Kind.REORDERED}
    assert Kind.DUPLICATE_GRADE_IDS in kinds(corpus.duplicated_ids(), lesson)
    status, finding = status_from(analyse(corpus.edited_tests(), *lesson))
    assert status == Status.TESTS_RESTORED and "confusion-matrix-hidden-tests" in finding.cells


def test_the_instructors_own_notebook_is_a_note_not_tampering(lesson):
    solution = nbformat.read(ROOT / "solutions" / corpus.LESSON / corpus.NOTEBOOK, as_version=4)
    found = analyse(solution, *lesson)
    assert {f.kind for f in found} == {Kind.HIDDEN_TESTS}
    assert status_from(found)[0] == Status.GRADED


def test_metadata_nbgrader_cannot_read_is_found_and_replaced_by_the_gradebooks(lesson):
    nb = corpus.tampered_metadata()
    found = kinds(nb, lesson)
    assert Kind.EDITED_METADATA in found and Kind.MISSING_TESTS in found
    repair(nb, lesson[0])
    metas = [c.metadata.get("nbgrader") for c in nb.cells if "nbgrader" in c.metadata]
    assert all(isinstance(m, dict) and set(m) <= {"grade", "grade_id", "locked", "points", "schema_version",
                                                   "solution", "task", "checksum", "cell_type"} for m in metas)
    answer = corpus.by_id(nb, "mean-iou").metadata["nbgrader"]
    assert (answer["solution"], answer["grade"], answer["locked"]) == (True, False, False) and "points" not in answer
    visible = corpus.by_id(nb, "mean-iou-visible-tests").metadata["nbgrader"]
    assert visible["points"] == 1.0 and visible["grade"] is True


def test_old_formats_are_converted_and_broken_files_are_no_notebooks(tmp_path):
    for version in (2, 3):
        path = tmp_path / f"v{version}.ipynb"
        path.write_text(json.dumps(nbformat.convert(corpus.solved(), version)))
        nb, found = read_notebook(path, 20)
        assert nb.nbformat == 4 and [f.detail for f in found] == [f"converted from nbformat {version}"]
    for text in ('{"cells": 3, "nbformat": 4}', '[1, 2]', '{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}',
                 '{"nbformat": 9, "cells": []}'):
        (tmp_path / "bad.ipynb").write_text(text)
        with pytest.raises(ValueError, match=r"^not a notebook \("):
            read_notebook(tmp_path / "bad.ipynb", 20)


def test_answers_that_call_the_courses_own_version_are_flagged(lesson):
    found = [f for f in analyse(corpus.copier(), *lesson) if f.kind == Kind.COURSE_VERSION]
    assert [f.cells for f in found] == [("confusion-matrix",), ("iou-per-class",)]
    assert "calls course.metrics.confusion_matrix" in found[0].detail


def test_the_lessons_own_cells_and_other_exercises_references_are_not_flagged(lesson):
    nb = corpus.solved()
    corpus.by_id(nb, "mean-iou").source += "\n_ = metrics.confusion_matrix  # lesson 01's own cells use it too"
    assert [f for f in course_versions_used(nb, lesson[0], lesson[2]) if f.kind == Kind.COURSE_VERSION] == []


def test_added_cells_that_rebind_the_checks_or_import_the_course_dynamically_are_flagged(lesson):
    nb = corpus.with_cells(corpus.solved(), "import course.checks\ncourse.checks._observe = print",
                           "import importlib\nm = importlib.import_module('course.metrics')")
    found = course_versions_used(nb, lesson[0], lesson[2])
    assert [f.kind for f in found] == [Kind.GRADER_CODE, Kind.COURSE_VERSION]
    assert "rebinds course.checks._observe" in found[0].detail and "dynamic import" in found[1].detail
