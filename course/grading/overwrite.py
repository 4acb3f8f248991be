"""nbgrader's autograde preprocessors as the course runs them (``course grade`` and plain
``nbgrader autograde`` with ``autograder/nbgrader_config.py``).

nbgrader stores a test cell's checksum with its hidden tests, but releases it without them, so
its ``OverwriteCells`` warns "checksum has changed!" for every hidden-test cell of every
untouched submission. :class:`ReleasedOverwriteCells` warns only when the cell differs from
what was released: a student's real edit.
"""

from __future__ import annotations

import copy

from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, OverwriteCells

from .analysis import without_hidden_tests


class ReleasedOverwriteCells(OverwriteCells):
    """:class:`OverwriteCells` that takes the released version of a test cell as unchanged."""

    def preprocess_cell(self, cell, resources, cell_index):
        self._released = self._released_checksum(cell)
        return super().preprocess_cell(cell, resources, cell_index)

    def _released_checksum(self, cell) -> str | None:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            return None
        try:
            source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return None
        released = copy.deepcopy(cell)
        released.cell_type, released.source = source.cell_type, without_hidden_tests(source.source)
        return utils.compute_checksum(released)

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and new == self._released:
            self.log.debug("test cell %s is as released (its hidden tests are left out there)", name)
            return
        super().report_change(name, attr, old, new)


def use_course_preprocessors(config, execute: type | str) -> None:
    """Make nbgrader's ``Autograde`` in ``config`` run ``execute`` (a class or its dotted name)
    for ``Execute`` and :class:`ReleasedOverwriteCells` for ``OverwriteCells``."""
    swap = {Execute: execute, OverwriteCells: ReleasedOverwriteCells}
    for name in ("sanitize_preprocessors", "autograde_preprocessors"):
        defaults = Autograde.class_traits()[name].make_dynamic_default()
        setattr(config.Autograde, name, [swap.get(p, p) for p in defaults])
