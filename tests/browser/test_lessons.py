"""Every lesson in a real JupyterLab and Chromium: the solution run whole with every widget
operated as a student would, and the student version up to its first exercise.

Lessons are discovered in ``solutions/``; a new lesson is covered without changes here. A few
explorers also get checks of *what* they show, against PyTorch (``SPECIFIC``).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from course.validate import VISIBLE, WIDGET_VIEW, is_solution_cell, nbgrader_meta
from course.widgets.pooling import LECTURE_GRID
from widget_driver import WidgetUnderTest, artifact_folder, explorers

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.relative_to(ROOT / "solutions").as_posix() for p in (ROOT / "solutions").glob("*/*.ipynb"))


def first_exercise(path: Path) -> int:
    """Index of the first cell with nbgrader solution metadata (the number of cells if none)."""
    cells = nbformat.read(path, as_version=4).cells
    return next((i for i, cell in enumerate(cells) if is_solution_cell(cell)), len(cells))


def widget_cells(path: Path) -> list[int]:
    """Indices of the code cells whose stored outputs show a widget."""
    cells = nbformat.read(path, as_version=4).cells
    return [i for i, cell in enumerate(cells) if cell.cell_type == "code"
            and any(WIDGET_VIEW in out.get("data", {}) for out in cell.outputs)]


# What a cell's widget is in the page: an explorer (controls and a figure), a progress bar
# (tqdm.auto), something else, or missing / failed to display.
_WIDGET_KIND_JS = r"""(i) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
  const view = cell?.querySelector('.jp-OutputArea-output > .jupyter-widgets');
  if (!view || view.classList.contains('jupyter-widgets-error-widget')) return 'missing or failed';
  if (view.querySelector('.widget-output img')) return 'explorer';
  if (view.querySelector('.widget-progress, progress, .progress')) return 'progress bar';
  return 'other: ' + view.className;
}"""


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_solution_runs_and_every_widget_redraws(notebook, open_notebook):
    page = open_notebook(f"solutions/{notebook}")
    page.run_all()
    assert not page.cell_errors(), f"cells failed in the browser: {page.cell_errors()}"
    assert not page.unexecuted(), f"cells not run by Run All: {page.unexecuted()}"
    assert not page.console, f"browser console errors after Run All: {page.console}"
    folder = artifact_folder("solutions", notebook.split("/")[0])
    widgets = explorers(page, folder)
    shown = {cell: page.page.evaluate(_WIDGET_KIND_JS, cell) for cell in widget_cells(ROOT / "solutions" / notebook)}
    assert {w.cell for w in widgets} == {cell for cell, kind in shown.items() if kind == "explorer"}, \
        f"cells whose stored output is a widget show, in the browser: {shown}"
    assert set(shown.values()) <= {"explorer", "progress bar"}, f"widgets the browser test does not cover: {shown}"
    for widget in widgets:
        source = page.page.evaluate(
            f"() => jupyterapp.shell.currentWidget.content.model.cells.get({widget.cell}).sharedModel.getSource()")
        check = SPECIFIC.get(source.strip())
        if check is not None:
            widget.check_rendered()
            widget.shoot("before")
            check(widget)
        widget.explore()
    assert not page.console, f"browser console errors while using the widgets: {page.console}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_run_all_of_the_student_version_reaches_its_end_and_each_visible_test_says_not_attempted(
        notebook, open_notebook):
    """Run > Run All Cells on the untouched lesson, as a student first does: no cell fails, every cell
    runs, each visible-test cell prints the guard's "Not attempted yet" (and nothing else), and the
    explorers before the first exercise render."""
    stop = first_exercise(ROOT / "lessons" / notebook)
    page = open_notebook(f"lessons/{notebook}")
    page.run_all(timeout_s=420)
    assert not page.cell_errors(), f"cells failed: {page.cell_errors()}"
    assert not page.unexecuted(), f"cells not run: {page.unexecuted()}"
    lesson = nbformat.read(ROOT / "lessons" / notebook, as_version=4)
    visible = [i for i, cell in enumerate(lesson.cells) if nbgrader_meta(cell).get("grade_id", "").endswith(VISIBLE)]
    printed = page.outputs_text()
    assert visible, "no visible-test cell found"
    wrong = [(i, printed[i][:200]) for i in visible
             if not printed[i].startswith("Not attempted yet: this exercise still raises NotImplementedError")]
    assert not wrong, f"visible tests that did not say 'Not attempted yet': {wrong}"
    for widget in explorers(page, artifact_folder("lessons", notebook.split("/")[0]), stop=stop):
        widget.check_rendered()
        widget.shoot("student")
    assert not page.console, f"browser console errors: {page.console}"


# --- what specific explorers show, checked against PyTorch -------------------------------------

def _numbers(texts: list[str]) -> list[float]:
    return [float(t) for t in texts]


def _last_number(text: str) -> int:
    """The number after the last '=' of the widget's output-size line."""
    return int(re.findall(r"=\s*(\d+)", text)[-1])


def check_pooling(widget: WidgetUnderTest) -> None:
    """The cell buttons show max_pool2d, then avg_pool2d, of the lecture grid; a clicked cell's
    window is explained with its value."""
    grid = torch.tensor(LECTURE_GRID, dtype=torch.float64)[None, None]
    cells = widget.control("grid:cells").locator("button")

    def shown() -> list[float]:
        return _numbers(cells.all_inner_texts())

    expected = F.max_pool2d(grid, 2, 2).flatten().tolist()
    assert shown() == expected, f"cell buttons show {shown()}, expected max_pool2d {expected}"
    widget.click_cell("grid:cells", "output (1, 1)")
    value = F.max_pool2d(grid, 2, 2)[0, 0, 1, 1].item()
    assert "output (1, 1)" in widget.text() and f"= {value:g}" in widget.text(), widget.text()
    widget.toggle("toggle:pooling", "avg")
    expected = F.avg_pool2d(grid, 2, 2).flatten().tolist()
    assert shown() == pytest.approx(expected), f"cell buttons show {shown()}, expected avg_pool2d {expected}"
    widget.toggle("toggle:pooling", "max")


def check_strided_conv(widget: WidgetUnderTest) -> None:
    """The output-size line gives conv2d's output size on the 7x7 input as the stride changes."""
    for stride in (3, 2):
        widget.slide("slider:stride", "ArrowRight" if stride == 3 else "ArrowLeft")
        size = F.conv2d(torch.zeros(1, 1, 7, 7), torch.zeros(1, 1, 3, 3), stride=stride).shape[-1]
        assert _last_number(widget.text()) == size, f"stride {stride}: {widget.text()!r}, expected size {size}"


def check_stepper(widget: WidgetUnderTest) -> None:
    """The output-size line gives conv_transpose2d's size; the step line counts the scatter steps."""
    for stride in (2, 3):
        if stride == 3:
            widget.slide("slider:stride")
        size = F.conv_transpose2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 3), stride=stride).shape[-1]
        assert _last_number(widget.text().split("step")[0]) == size, \
            f"stride {stride}: {widget.text()!r}, expected output size {size}"
    widget.slide("slider:step")
    assert "step 1 of 4" in widget.text(), widget.text()
    widget.slide("slider:step", "ArrowLeft")
    widget.slide("slider:stride", "ArrowLeft")


SPECIFIC = {
    "pooling.pooling_explorer()": check_pooling,
    "strided_conv.strided_conv_explorer()": check_strided_conv,
    "tc_widgets.transposed_conv_stepper()": check_stepper,
}


def test_specific_checks_name_existing_cells():
    """SPECIFIC is keyed by cell sources: a renamed call would silently skip its check."""
    sources = {cell.source.strip() for notebook in NOTEBOOKS
               for cell in nbformat.read(ROOT / "solutions" / notebook, as_version=4).cells}
    missing = sorted(set(SPECIFIC) - sources)
    assert not missing, f"expected these explorer cells in solutions/, got none for {missing}"
