"""course.setup() in a real kernel: a usual PyTorch error is followed by what it usually means; others show as always."""

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.notebook


def test_a_usual_error_gets_the_courses_explanation_and_others_are_left_alone():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import course, torch\ncourse.setup()"),
        nbformat.v4.new_code_cell("torch.cat([torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 5, 5)], dim=1)"),
        nbformat.v4.new_code_cell("raise NotImplementedError()"),
        nbformat.v4.new_code_cell("assert 1 == 2, 'a plain assertion'"),
    ])
    NotebookClient(nb, allow_errors=True, kernel_name="python3").execute()
    cat, stub, plain = ([(o.output_type, o.get("ename"), o.get("text", "")) for o in c.outputs] for c in nb.cells[1:])
    assert cat[0][:2] == ("error", "RuntimeError")
    assert "What this error usually means here: torch.cat joins maps of the same height and width" in cat[1][2]
    assert stub == [("error", "NotImplementedError", "")]
    assert plain == [("error", "AssertionError", "")]


STUB_LESSON = [
    "import course\ncourse.setup()",
    "def mean_iou(cm):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
    '"""Visible tests: a stub."""\nfrom course.checks import check_scalar\n'
    'check_scalar(mean_iou([[1]]), 1.0, call="mean_iou([[1]])")\nprint("Visible tests passed.")',
    '"""Visible tests: a wrong answer."""\nfrom course.checks import check_scalar\n'
    'check_scalar(2.0, 1.0, call="mean_iou([[1]])")',
    "print('the lesson goes on')",
]


def _run(sources, env=None):
    import os

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, allow_errors=True, kernel_name="python3").execute(env=os.environ | (env or {}))
    return [[(o.output_type, o.get("ename"), o.get("text", "")) for o in c.outputs] for c in nb.cells]


def test_run_all_passes_an_unwritten_exercise_and_stops_at_a_wrong_one():
    outputs = _run(STUB_LESSON)
    stub, wrong, after = outputs[2], outputs[3], outputs[4]
    assert [kind for kind, _, _ in stub] == ["stream"] and stub[0][2].startswith("Not attempted yet: this exercise")
    assert wrong[0][:2] == ("error", "AssertionError"), "a written but wrong answer still stops the run"
    assert after == [("stream", None, "the lesson goes on\n")]
    plain = _run(STUB_LESSON[:2] + ["mean_iou([[1]])"])[2]
    assert plain[0][:2] == ("error", "NotImplementedError"), "only visible-test cells are guarded"


@pytest.mark.parametrize("env", [{"NBGRADER_EXECUTION": "autograde"}, {"NBGRADER_EXECUTION": "validate"},
                                 {"COURSE_CHECK_RUNNING": "1"}], ids=["autograde", "validate", "course check"])
def test_while_grading_or_checking_an_unwritten_exercise_still_fails(env):
    stub = _run(STUB_LESSON[:3], env)[2]
    assert stub[0][:2] == ("error", "NotImplementedError")
