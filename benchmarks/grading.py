"""Throughput of ``course grade`` against plain serial nbgrader: ``python benchmarks/grading.py [--n N]``.

Generates a class of N submissions of lesson 01 (a mix of full, partial and empty work,
built like the test corpus in tests/adversarial), grades it with nbgrader's autograde and
feedback, one student after the other, in a throw-away course configured by
autograder/nbgrader_config.py (as `nbgrader autograde` and `nbgrader generate_feedback` do;
with ``--stock`` also with nbgrader's own Execute and feedback), then with ``course grade
--jobs J`` for each J (sandboxed, with feedback), from the same generated gradebook
(generating it is not timed), and prints seconds, submissions per minute and the speed-up
over the first. Exits with 1 if any score differs between nbgrader and course grade.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.adversarial builds the submissions

from course.grading.report import read_csv  # noqa: E402
from course.grading.runner import Settings, grade  # noqa: E402
from course.workspace import Workspace  # noqa: E402
from tests.adversarial import corpus  # noqa: E402

warnings.filterwarnings("ignore", message="Object of type")  # nbgrader's SQLAlchemy noise while autograding
KINDS = {"full": None, "partial": ["confusion-matrix"], "empty": []}


def make_class(folder: Path, n: int) -> dict[str, str]:
    """N submissions in nbgrader's layout; returns student -> kind."""
    kinds = {}
    for i in range(n):
        kind = list(KINDS)[i % len(KINDS)]
        student = f"student{i:03d}"
        corpus.write(corpus.solved(KINDS[kind]), folder / student / corpus.LESSON / corpus.NOTEBOOK)
        kinds[student] = kind
    return kinds


def nbgrader_serial(folder: Path, students: list[str], gradebook: Path, stock: bool = False) -> tuple[float, dict]:
    """Seconds for nbgrader's autograde and feedback of every student in turn, and their
    scores; the lesson's gradebook, as generated before grading, is copied to ``gradebook``.
    ``stock``: with nbgrader's own Execute and feedback instead of this repository's (which
    decide verdicts outside the kernel, skip the cells after the last test, and make feedback safe)."""
    with Workspace(ROOT, [corpus.LESSON]) as ws:
        if stock:
            from nbgrader.converters import Autograde, GenerateFeedback

            ws.config.Autograde.autograde_preprocessors = \
                Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
            ws.config.GenerateFeedback.preprocessors = GenerateFeedback.class_traits()["preprocessors"].make_dynamic_default()
            del ws.config.GenerateFeedback["exporter_class"]
        ws.generate(corpus.LESSON)
        if not stock:
            shutil.copyfile(ws.path / "gradebook.db", gradebook)
        started = time.perf_counter()
        scores = {}
        for s in students:
            result = ws.autograde(corpus.LESSON, s, folder / s / corpus.LESSON)
            scores[s] = sum(score for nb in result.values() for score, _ in nb.values())
            assert ws.api.generate_feedback(corpus.LESSON, s)["success"]
        return time.perf_counter() - started, scores


def course_grade(folder: Path, out: Path, jobs: int, gradebook: Path) -> tuple[float, dict[str, float]]:
    """Seconds for ``course grade --jobs JOBS --gradebook GRADEBOOK`` and the scores."""
    started = time.perf_counter()
    grade(ROOT, folder, out, Settings(jobs=jobs), gradebook=gradebook)
    seconds = time.perf_counter() - started
    return seconds, {r["student_id"]: float(r["score"]) for r in read_csv(out / "grades.csv")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12, help="submissions in the class (default 12)")
    parser.add_argument("--jobs", type=str, default="1,2", help="comma-separated --jobs values (default 1,2)")
    parser.add_argument("--stock", action="store_true", help="also time nbgrader with its own Execute and feedback "
                                                             "(the whole notebook runs, verdicts in the kernel)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"expected --n to be an int >= 1, got {args.n}")
    jobs = [int(j) for j in args.jobs.split(",")]
    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as tmp:
        tmp = Path(tmp)
        kinds = make_class(tmp / "class", args.n)
        print(f"a class of {args.n} submissions of lesson {corpus.LESSON} "
              f"({', '.join(f'{sum(k == kind for k in kinds.values())} {kind}' for kind in KINDS)})", flush=True)
        rows = []
        if args.stock:
            stock_seconds, _ = nbgrader_serial(tmp / "class", sorted(kinds), tmp / "unused.db", stock=True)
            rows.append(("nbgrader autograde + feedback, serial, stock", stock_seconds))
        configured, expected = nbgrader_serial(tmp / "class", sorted(kinds), tmp / "gradebook.db")
        rows.append(("nbgrader autograde + feedback, serial, this config", configured))
        mismatch = False
        for j in jobs:
            seconds, scores = course_grade(tmp / "class", tmp / f"out-{j}", j, tmp / "gradebook.db")
            rows.append((f"course grade --jobs {j} (sandboxed, with feedback)", seconds))
            wrong = {s: (scores.get(s), want) for s, want in expected.items() if scores.get(s) != want}
            if wrong:
                print(f"scores differ from nbgrader's with --jobs {j}: {wrong}", file=sys.stderr)
                mismatch = True
            shutil.rmtree(tmp / f"out-{j}")
    base_seconds = rows[0][1]
    print(f"{'how':<50} {'seconds':>8} {'subs/min':>9} {'speed-up':>9} {'vs config':>9}")
    for name, seconds in rows:
        print(f"{name:<50} {seconds:8.1f} {args.n * 60 / seconds:9.1f} {base_seconds / seconds:8.2f}x "
              f"{configured / seconds:8.2f}x")
    return 1 if mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
