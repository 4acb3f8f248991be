"""Grades back into the LMS: ``grades.csv`` in the import formats of Canvas and Moodle.

* **Canvas** (Grades > Import): one file, one row per student, keyed by the Canvas user id
  that Canvas's submission downloads carry (``doejane_12345_678901_…``: ``12345``), the
  columns ``Student, ID, SIS User ID, SIS Login ID, Section`` that Canvas requires, then one
  column per lesson, and a ``Points Possible`` row as in Canvas's own export.
* **Moodle** (the assignment's "Upload grading worksheet"): one worksheet per lesson, keyed
  by the participant id of Moodle's downloads (``Jane Doe_22345_assignsubmission_file``:
  ``Participant 22345``), with the columns Moodle's importer looks up (``Identifier``,
  ``Grade``, ``Last modified (grade)``) and the feedback comments.

Only rows whose id came from that LMS's own file names are written (an nbgrader-layout id is
no Canvas or Moodle id); rows the grader could not grade (``grader error``) are left out,
so that a run again does not overwrite a real grade with a 0. What was left out is returned.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_write
from .outcome import Status
from .report import read_csv

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)", "Feedback comments")
MOODLE_PARTICIPANT = "Participant "  # Moodle's hiddenuser string, before the participant id
FORMATS = ("canvas", "moodle")


@dataclass
class Export:
    """The files written, and the rows left out with why."""

    files: list[Path] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> "student/lesson" or file

    def text(self, lms: str) -> str:
        lines = [f"wrote {path}" for path in self.files] or [f"no {lms} rows to write"]
        lines += [f"left out ({reason}): {', '.join(items)}" for reason, items in self.skipped.items()]
        return "\n".join(lines)


def export(grades: Path, lms: str, out: Path) -> Export:
    """Write ``grades`` (a ``grades.csv``) for ``lms`` ("canvas" or "moodle") into folder ``out``."""
    if lms not in FORMATS:
        raise ValueError(f"expected lms to be one of {', '.join(FORMATS)}, got {lms!r}")
    if not Path(grades).is_file():
        raise FileNotFoundError(f"expected a grades.csv from course grade, got {str(grades)!r} (no such file)")
    rows = read_csv(grades)
    if rows and "lms" not in rows[0]:
        raise ValueError(f"{grades} has no lms column: it was written by an older course grade; run course grade "
                         "again (it grades nothing new) to rewrite it")
    result = Export()
    kept = []
    for row in rows:
        if row["status"] == Status.UNMATCHED.value:
            result.skipped.setdefault("unmatched files, see grades.csv", []).append(row["source"])
        elif row["status"] == Status.GRADER_ERROR.value:
            result.skipped.setdefault("not graded, see grades.csv", []).append(f"{row['student_id']}/{row['lesson']}")
        elif row["lms"] != lms:
            result.skipped.setdefault(f"ids not from {lms}'s file names", []).append(
                f"{row['student_id']}/{row['lesson']}")
        else:
            kept.append(row)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if kept:
        result.files = _canvas(kept, out) if lms == "canvas" else _moodle(kept, out)
    return result


def _canvas(rows: list[dict], out: Path) -> list[Path]:
    lessons = sorted({r["lesson"] for r in rows})
    points = {r["lesson"]: r["max_score"] for r in rows}
    students: dict[str, dict[str, str]] = {}
    for r in rows:
        students.setdefault(r["student_id"], {"Student": r["student_name"], "ID": r["student_id"]})[r["lesson"]] = \
            r["score"]
    table = [[*CANVAS_COLUMNS, *lessons], ["Points Possible", "", "", "", "", *(points[les] for les in lessons)]]
    table += [[s["Student"], s["ID"], "", "", "", *(s.get(les, "") for les in lessons)]
              for _, s in sorted(students.items())]
    path = out / "canvas.csv"
    atomic_write(path, _csv(table))
    return [path]


def _moodle(rows: list[dict], out: Path) -> list[Path]:
    files = []
    for lesson in sorted({r["lesson"] for r in rows}):
        table = [list(MOODLE_COLUMNS)]
        for r in sorted((r for r in rows if r["lesson"] == lesson), key=lambda r: int(r["student_id"])):
            comment = "; ".join(part for part in (r["exercises"], r["message"]) if part)
            table.append([MOODLE_PARTICIPANT + r["student_id"], r["student_name"], r["score"], r["max_score"],
                          r["graded_at"], comment])
        path = out / f"moodle-{lesson}.csv"
        atomic_write(path, _csv(table))
        files.append(path)
    return files


def _csv(table: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table)
    return buffer.getvalue()
