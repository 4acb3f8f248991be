"""What ``course grade`` hands back: ``grades.csv`` and a feedback page per student and lesson."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..files import atomic_write

COLUMNS = ("student_id", "student_name", "lesson", "score", "max_score", "status", "message", "notes", "exercises",
           "submission_sha256", "graded_at", "source", "lms")


def write_csv(path: Path, records: list[dict], unmatched: list[dict]) -> None:
    """Write ``grades.csv`` atomically: one row per record (student and lesson) and one per
    unmatched file (status ``unmatched``, the student's id where its name carries one), by
    student id; unmatched files whose name says no id come last."""
    rows = [_row(r) for r in records] + [
        {"student_id": u.get("student", ""), "status": "unmatched", "message": f"{u['path']}: {u['reason']}",
         "source": u["path"]} for u in unmatched]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: (not r["student_id"], r["student_id"], r.get("lesson", ""),
                                                 r["source"])))
    atomic_write(path, buffer.getvalue())


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a ``grades.csv``."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _row(record: dict) -> dict:
    exercises = "; ".join(f"{name}={s:g}/{m:g}" for name, (s, m) in sorted(record.get("exercises", {}).items()))
    return {**record, "score": f"{record['score']:g}", "max_score": f"{record['max_score']:g}",
            "notes": "; ".join(record.get("notes", [])), "exercises": exercises}




