"""What ``course grade`` hands back: ``grades.csv`` and a feedback page per student and lesson."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

COLUMNS = ("student_id", "lesson", "score", "max_score", "status", "message", "notes", "exercises",
           "submission_sha256", "graded_at", "source")


def write_csv(path: Path, records: list[dict], unmatched: list[dict]) -> None:
    """Write ``grades.csv`` atomically: one row per record (student and lesson), sorted, then
    one row per unmatched file (empty student_id and lesson, status ``unmatched``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in sorted(records, key=lambda r: (r["student_id"], r["lesson"])):
        writer.writerow(_row(record))
    for item in sorted(unmatched, key=lambda u: u["path"]):
        writer.writerow({"status": "unmatched", "message": f"{item['path']}: {item['reason']}", "source": item["path"]})
    atomic_write(path, buffer.getvalue())


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a ``grades.csv``."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _row(record: dict) -> dict:
    exercises = "; ".join(f"{name}={s:g}/{m:g}" for name, (s, m) in sorted(record.get("exercises", {}).items()))
    return {**record, "score": f"{record['score']:g}", "max_score": f"{record['max_score']:g}",
            "notes": "; ".join(record.get("notes", [])), "exercises": exercises}


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


