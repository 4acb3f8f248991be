"""What grading a submission can end in (:class:`Status`) and what it found on the way (:class:`Finding`).

Both are typed so that the runner, ``grades.csv`` and the feedback decide on kinds, never on
the wording of a note. A record in ``OUT/results`` stores them as their values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Status(str, Enum):
    """The status column of ``grades.csv`` (see autograder/README.md)."""

    GRADED = "graded"
    TESTS_RESTORED = "tampered tests restored"
    MISSING_RESTORED = "missing cells restored"
    METADATA_RESTORED = "edited nbgrader metadata restored"
    REORDERED = "cells reordered"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_TRUNCATED = "output truncated"
    CRASHED = "crashed kernel"
    NOT_A_NOTEBOOK = "not a notebook"
    BAD_ZIP = "bad zip"
    GRADER_ERROR = "grader error"
    UNMATCHED = "unmatched"


class Kind(str, Enum):
    """What a finding is about."""

    CONVERTED = "converted"                     # an old notebook format, converted
    DUPLICATE_CELL_IDS = "duplicate cell ids"   # Colab's copied cells; new ids given
    DUPLICATE_GRADE_IDS = "duplicate grade ids"  # nbgrader keeps the last copy
    UNKNOWN_CELLS = "unknown cells"             # nbgrader cells the gradebook does not know
    MISSING_TESTS = "missing tests"             # deleted test cells, restored
    EDITED_TESTS = "edited tests"               # changed test cells, restored
    HIDDEN_TESTS = "hidden tests present"       # the instructor's own notebook, hidden tests and all
    EDITED_METADATA = "edited metadata"         # nbgrader metadata changed, reset to the gradebook's
    REORDERED = "reordered"                     # test cells moved
    COURSE_VERSION = "course's version used"    # an answer calls the course's version of its exercise
    GRADER_CODE = "grader's code rebound"        # a cell rebinds something of course.checks (it changes nothing)
    UNREADABLE = "unreadable"                   # a file that is no notebook
    SUBMISSION = "submission"                   # about the files: extra notebooks, several submissions


# the status a finding gives, most serious first (findings not listed keep "graded")
STATUS_OF = [(Kind.EDITED_TESTS, Status.TESTS_RESTORED), (Kind.MISSING_TESTS, Status.MISSING_RESTORED),
             (Kind.EDITED_METADATA, Status.METADATA_RESTORED), (Kind.REORDERED, Status.REORDERED)]


@dataclass(frozen=True)
class Finding:
    """One thing found in a submission: its kind, the words for a person, the cells concerned."""

    kind: Kind
    detail: str
    cells: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"kind": self.kind.value, "detail": self.detail, "cells": list(self.cells)}

    @classmethod
    def from_json(cls, data: dict) -> Finding:
        return cls(Kind(data["kind"]), data["detail"], tuple(data.get("cells", ())))


def status_from(findings: list[Finding]) -> tuple[Status, Finding | None]:
    """The status that ``findings`` give a graded submission, and the finding behind it."""
    for kind, status in STATUS_OF:
        found = next((f for f in findings if f.kind == kind), None)
        if found is not None:
            return status, found
    return Status.GRADED, None
