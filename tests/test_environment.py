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
