"""The browser driver fails when a widget breaks: proven on a lesson broken on purpose.

A copy of the first lesson that shows an explorer (a widget that is not a progress bar), cut after that explorer's cell, gets one cell
right after its setup cell that breaks ``course.widgets.core.Explorer``: after its first figure an
explorer either stops redrawing or its render raises. The same driver that checks the lessons
must report the widget as broken, naming it and the action.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from test_lessons import NOTEBOOKS, ROOT, widget_cells
from widget_driver import WidgetBroken, explorers

BREAKAGES = {
    "frozen": "if self.redraws == 0:\n        _refresh(self, change)  # the first figure only",
    "raises": ("if self.redraws == 0:\n        return _refresh(self, change)\n"
               "    raise RuntimeError('render broken on purpose')"),
}


def broken_lesson(lab_root: Path, how: str) -> str:
    """Write the broken copy into the server's folder; return its path there."""
    notebook, first_widget = next((n, i) for n in NOTEBOOKS for i in widget_cells(ROOT / "solutions" / n)
                                  if not _progress_bar(ROOT / "solutions" / n, i))
    nb = nbformat.read(ROOT / "solutions" / notebook, as_version=4)
    setup = next(i for i, cell in enumerate(nb.cells) if "setup" in cell.metadata.get("tags", []))
    patch = nbformat.v4.new_code_cell(
        "# Broken on purpose by tests/browser/test_suite_catches_breakage.py\n"
        "from course.widgets.core import Explorer\n_refresh = Explorer.refresh\n\n"
        f"def _broken(self, change=None):\n    {BREAKAGES[how]}\n\nExplorer.refresh = _broken")
    nb.cells = nb.cells[:setup + 1] + [patch] + nb.cells[setup + 1:first_widget + 1]
    path = lab_root / "broken" / f"{how}.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return f"broken/{how}.ipynb"


def _progress_bar(path: Path, index: int) -> bool:
    return "tqdm" in nbformat.read(path, as_version=4).cells[index].source


@pytest.mark.parametrize("how", sorted(BREAKAGES))
def test_driver_reports_a_widget_that_stops_redrawing(how, lab_root, open_notebook):
    page = open_notebook(broken_lesson(lab_root, how))
    page.run_all()
    assert not page.cell_errors(), f"the broken copy should run without cell errors: {page.cell_errors()}"
    widgets = explorers(page)
    assert len(widgets) == 1, f"expected the one explorer of the copy, got {[w.name for w in widgets]}"
    widget = widgets[0]
    widget.timeout_s = 5.0  # the verdict is the same as with the suite's patience, only sooner
    with pytest.raises(WidgetBroken, match=r"cell \d+: .*: the figure did not change within 5 s") as caught:
        widget.explore()
    assert widget.name.split(": ", 1)[1] in str(caught.value), f"the failure should name the widget: {caught.value}"
