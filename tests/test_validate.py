"""The authoring rules: the course follows them, and each rule catches its own breakage."""

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course import validate
from tests.conftest import ROOT

PATH = "solutions/01-segmentation/segmentation.ipynb"
SOLUTION = nbformat.read(ROOT / PATH, as_version=4)


def test_every_solution_follows_the_rules():
    assert validate.check_tree(ROOT) == []


def test_stored_solution_outputs_have_no_errors_and_no_grading_traps():
    problems = []
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        problems += validate.check_outputs(nbformat.read(path, as_version=4), str(path))
    assert problems == []


def cell(nb, grade_id):
    return next(c for c in nb.cells if validate.nbgrader_meta(c).get("grade_id") == grade_id)


def duplicate_id(nb):
    validate.nbgrader_meta(cell(nb, "mean-iou-visible-tests"))["grade_id"] = "iou-per-class-visible-tests"


def wrong_total(nb):
    validate.nbgrader_meta(cell(nb, "mean-iou-hidden-tests"))["points"] = 5


def no_hidden_tests(nb):
    nb.cells.remove(cell(nb, "mean-iou-hidden-tests"))


def hidden_tests_in_visible_cell(nb):
    c = cell(nb, "mean-iou-visible-tests")
    c.source += "\n### BEGIN HIDDEN TESTS\nassert True, 'x'\n### END HIDDEN TESTS"


def hidden_cell_without_marker(nb):
    c = cell(nb, "mean-iou-hidden-tests")
    c.source = c.source.replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", "")


def bare_assert(nb):
    cell(nb, "mean-iou-visible-tests").source += "\nassert mean_iou(np.eye(2)) == 1.0"


def reference_name_used_in_the_probe(nb):
    cell(nb, "mean-iou-visible-tests").source += ("\nwith reference():\n    eye = np.eye(2)\n"
                                                 "check_scalar(mean_iou(eye), 1.0, call='mean_iou(eye)')")


def seed_in_a_visible_test(nb):
    cell(nb, "mean-iou-visible-tests").source += "\nrng = np.random.default_rng(seed(3))"



def ends_with_a_value(nb):
    cell(nb, "mean-iou-visible-tests").source += "\nmean_iou(np.eye(2)) * 2"


def no_docstring(nb):
    c = cell(nb, "mean-iou-visible-tests")
    c.source = c.source.split('"""', 2)[2]


def visible_docstring_without_its_words(nb):
    c = cell(nb, "mean-iou-visible-tests")
    c.source = c.source.replace('"""Visible tests', '"""Tests', 1)


def stale_badge(nb):
    nb.cells[0].source = nb.cells[0].source.replace("segmentation-course/", "someone-else/")


def no_solution_markers(nb):
    c = cell(nb, "mean-iou")
    c.source = c.source.replace("### BEGIN SOLUTION", "")


def orphan_test(nb):
    validate.nbgrader_meta(cell(nb, "mean-iou-visible-tests"))["grade_id"] = "mean-dice-visible-tests"


def no_declared_points(nb):
    del nb.metadata["course"]


def marker_with_a_reason(nb):
    code = next(c for c in nb.cells if c.cell_type == "code" and not validate.nbgrader_meta(c))
    code.source = "# NBVAL_IGNORE_OUTPUT: timings vary\n" + code.source


@pytest.mark.parametrize("breakage, message", [
    (duplicate_id, "grade_id 'iou-per-class-visible-tests' is used twice"),
    (wrong_total, "test cells add up to 12 points, but the lesson declares course.points = 9"),
    (no_hidden_tests, "exercise 'mean-iou' has no hidden tests"),
    (hidden_tests_in_visible_cell, "'mean-iou-visible-tests' holds hidden tests"),
    (hidden_cell_without_marker, "'mean-iou-hidden-tests' has no ### BEGIN HIDDEN TESTS block"),
    (bare_assert, "a plain assert decides in the student's kernel; use a check"),
    (reference_name_used_in_the_probe, "eye comes from a `with reference():` block but is used outside expected values"),
    (seed_in_a_visible_test, "visible tests use fixed inputs"),
    (ends_with_a_value, "nbgrader would read its value as partial credit"),
    (no_docstring, "must start with a docstring"),
    (visible_docstring_without_its_words, "its docstring must begin with 'Visible tests'"),
    (stale_badge, "run `course badges`"),
    (no_solution_markers, "solution cell 'mean-iou' lacks the ### BEGIN/END SOLUTION markers"),
    (orphan_test, "test cell 'mean-dice-visible-tests' belongs to no exercise"),
    (no_declared_points, "notebook metadata has no course.points"),
    (marker_with_a_reason, "the comment 'NBVAL_IGNORE_OUTPUT: timings vary' is not an nbval marker"),
])
def test_each_broken_rule_is_reported(breakage, message):
    nb = copy.deepcopy(SOLUTION)
    breakage(nb)
    problems = validate.check_notebook(nb, PATH)
    assert any(message in p for p in problems), problems


def graded(source, outputs, grade=True, solution=False):
    c = new_code_cell(source, outputs=outputs)
    c.metadata["nbgrader"] = {"grade": grade, "solution": solution, "grade_id": "t", "points": 1}
    return c


def test_test_cells_that_write_to_stderr_or_end_with_a_value_are_traps():
    nb = new_notebook(cells=[
        graded("warn()", [new_output("stream", name="stderr", text="UserWarning: ...")]),
        graded("0.5", [new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)]),
        graded("print('ok')", [new_output("stream", name="stdout", text="ok")]),
    ])
    problems = validate.check_outputs(nb, "x.ipynb")
    assert len(problems) == 2
    assert "writes to stderr (nbgrader scores that 0)" in problems[0]
    assert "ends with a value (nbgrader reads it as partial credit)" in problems[1]


def test_a_cell_showing_a_widget_must_be_marked_for_nbval():
    view = new_output("display_data", data={validate.WIDGET_VIEW: {"model_id": "x"}, "text/plain": "VBox()"})
    shown = new_code_cell("explorer()", outputs=[view])
    nb = new_notebook(cells=[shown])
    assert "tag it nbval-ignore-output" in validate.check_outputs(nb, "x.ipynb")[0]
    shown.source = "# NBVAL_IGNORE_OUTPUT: widgets\nexplorer()"     # nbval ignores this line: not marked
    assert "tag it nbval-ignore-output" in validate.check_outputs(nb, "x.ipynb")[0]
    shown.source = "# NBVAL_IGNORE_OUTPUT\nexplorer()"
    assert validate.check_outputs(nb, "x.ipynb") == []
    shown.source = "explorer()"
    shown.metadata["tags"] = ["nbval-ignore-output"]
    assert validate.check_outputs(nb, "x.ipynb") == []


def test_up_to_last_test_keeps_everything_a_test_can_depend_on():
    test = graded('"""t."""\nassert f() == 1, "f"', [])
    cells = [new_code_cell("def f(): return 1"), test, new_code_cell("train()"), new_code_cell("check()")]
    assert validate.up_to_last_test(cells) == cells[:2]
    assert validate.up_to_last_test(cells[2:]) == cells[2:]        # no test: nothing is dropped
    assert validate.up_to_last_test([]) == []
