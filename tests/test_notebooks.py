"""Whole notebooks, really executed: student versions run, nbgrader grades right, nbval bites.

(nbval itself re-executes every solution notebook: `pytest` collects solutions/ with --nbval. A
student's Run All of every untouched lesson, to its end, is proven in a real browser:
tests/browser/test_lessons.py.)
"""

import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from course import validate
from course.workspace import Workspace
from tests.conftest import LESSONS, ROOT

pytestmark = pytest.mark.notebook


def scores(result):
    return {gid: score for notebook in result.values() for gid, score in notebook.items()}


def declared_points(lesson):
    return sum(nbformat.read(p, as_version=4).metadata["course"]["points"]
               for p in (ROOT / "solutions" / lesson).glob("*.ipynb"))


@pytest.fixture(scope="module", params=LESSONS)
def graded_lesson(request):
    with Workspace(ROOT, [request.param]) as ws:
        ws.generate(request.param)
        yield request.param, ws


def test_the_solution_earns_full_marks_with_clean_test_outputs(graded_lesson):
    lesson, ws = graded_lesson
    result = scores(ws.autograde(lesson, "solution", ROOT / "solutions" / lesson))
    assert {gid: s for gid, (s, m) in result.items() if s != m} == {}
    assert sum(m for s, m in result.values()) == declared_points(lesson)
    for path in ws.autograded(lesson, "solution").glob("*.ipynb"):
        assert validate.check_outputs(nbformat.read(path, as_version=4), path.name) == []


def test_the_untouched_lesson_scores_zero_everywhere_without_crashing(graded_lesson):
    lesson, ws = graded_lesson
    result = scores(ws.autograde(lesson, "untouched", ROOT / "lessons" / lesson))
    assert result and all(s == 0 for s, _ in result.values()), result
    assert sum(m for _, m in result.values()) == declared_points(lesson)


def submission_from(lesson, tmp_path, edit):
    """A copy of the solution of ``lesson`` with ``edit`` applied to each of its notebooks."""
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions" / lesson, folder)
    for path in folder.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        edit(nb)
        nbformat.write(nb, path)
    return folder


def by_id(nb, grade_id):
    return next(c for c in nb.cells if validate.nbgrader_meta(c).get("grade_id") == grade_id)


def last_exercise(nb):
    """The last exercise of a notebook: no later cell uses it, so breaking it breaks only its tests."""
    return [c for c in nb.cells if validate.is_solution_cell(c)][-1]


def unsolve(cell):
    """Replace every solution block of ``cell`` by nbgrader's stub, as in the student version."""
    cell.source = re.sub(r"(?m)^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION$",
                         r"\1raise NotImplementedError()", cell.source, flags=re.S)


def transpose_the_confusion_matrix(nb):
    c = by_id(nb, "confusion-matrix")
    c.source = c.source.replace(".reshape(num_classes, num_classes)", ".reshape(num_classes, num_classes).T")


def test_an_unsolved_exercise_loses_exactly_its_own_points(graded_lesson, tmp_path):
    lesson, ws = graded_lesson
    broken = []

    def edit(nb):
        cell = last_exercise(nb)
        unsolve(cell)
        broken.append(validate.nbgrader_meta(cell)["grade_id"])

    result = scores(ws.autograde(lesson, "unsolved", submission_from(lesson, tmp_path, edit)))
    lost = {gid for gid, (s, m) in result.items() if s != m}
    assert lost == {f"{x}{suffix}" for x in broken for suffix in (validate.VISIBLE, validate.HIDDEN)}


@pytest.fixture(scope="module")
def lesson01():
    with Workspace(ROOT, ["01-segmentation"]) as ws:
        ws.generate("01-segmentation")
        yield ws


def test_a_subtly_wrong_solution_loses_exactly_its_exercise(lesson01, tmp_path):
    submission = submission_from("01-segmentation", tmp_path, transpose_the_confusion_matrix)
    result = scores(lesson01.autograde("01-segmentation", "transposer", submission))
    lost = {gid for gid, (s, m) in result.items() if s != m}
    # IoU is symmetric in FP and FN, so only the confusion-matrix tests can notice
    assert lost == {"confusion-matrix-visible-tests", "confusion-matrix-hidden-tests"}


def test_deleted_and_tampered_test_cells_are_restored_before_grading(lesson01, tmp_path):
    def cheat(nb):
        transpose_the_confusion_matrix(nb)
        nb.cells.remove(by_id(nb, "confusion-matrix-visible-tests"))
        by_id(nb, "confusion-matrix-hidden-tests").source = '"""Nothing to see."""'

    result = scores(lesson01.autograde("01-segmentation", "cheater", submission_from("01-segmentation", tmp_path, cheat)))
    assert result["confusion-matrix-visible-tests"] == (0.0, 1.0)
    assert result["confusion-matrix-hidden-tests"] == (0.0, 2.0)


def test_nbval_fails_a_solution_whose_outputs_or_tests_break(tmp_path):
    def break_it(nb):
        transpose_the_confusion_matrix(nb)
        shape_cell = next(c for c in nb.cells if c.cell_type == "code" and "label map:" in c.source)
        shape_cell.outputs[0]["text"] = shape_cell.outputs[0]["text"].replace("(96, 160)", "(96, 161)")

    path = submission_from("01-segmentation", tmp_path, break_it) / "segmentation.ipynb"
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    expected = {f"Cell {i}" for i, c in enumerate(code)
                if "label map:" in c.source or validate.nbgrader_meta(c).get("grade_id", "").startswith("confusion-matrix-")}
    run = subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
                          "-q", "--rootdir", str(tmp_path), str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 1, run.stdout[-3000:]
    failed = {line.split("::")[1].split(" - ")[0].strip() for line in run.stdout.splitlines() if line.startswith("FAILED")}
    assert failed == expected, run.stdout[-3000:]
    assert "(96, 161)" in run.stdout  # the stale output is shown against the new one
    assert "confusion_matrix(pred, target, num_classes=3) on the worked example is not right" in run.stdout
