"""``course grade``: grade a folder of submissions, in parallel, resumably.

Each submission is graded by its own worker process (:mod:`course.grading.autograde`)
with its own copy of the lesson's gradebook; the kernel runs in the sandbox. Results
are a journal in ``OUT/results/<student>/<lesson>.json``, written atomically once the
submission's notebooks and feedback are in place: a run killed half-way loses only the
submissions in flight, and a rerun grades only what is new or changed (same content
and same tests: same hash). A record that is replaced moves, with its notebooks and
feedback, to ``OUT/history/<student>/<lesson>/``.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.forkserver
import os
import queue
import re
import secrets
import shutil
import signal
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..arguments import check_int
from ..files import atomic_write
from ..workspace import SOURCE
from . import autograde, feedback, reference
from . import lessons as lessons_module
from .autograde import exercise_of, gradebook_cells
from .outcome import Finding, Status, status_from
from .report import write_csv
from .sandbox import Limits, SandboxUnavailable, bwrap_path, sandbox_uids
from .submissions import Submission, ZipLimits, discover

RETRIED = {Status.GRADER_ERROR.value}  # statuses that a rerun grades again (our failure, not the student's)
KERNEL_FAILURES = ("deadkernelerror", "kernel died", "invalid signature", "zmq", "kernel didn't respond")
PROCESS_LIMIT = ("can't start new thread", "Resource temporarily unavailable", "BlockingIOError")


@dataclass(frozen=True)
class Settings:
    """How to grade: parallel jobs, time-outs (seconds per cell, per notebook), limits, sandbox."""

    jobs: int = 1
    cell_timeout: int = 300
    notebook_timeout: int = 600
    limits: Limits = field(default_factory=Limits)
    sandboxed: bool = True
    max_notebook_mb: int = 20
    zip_limits: ZipLimits = field(default_factory=ZipLimits)
    force: bool = False

    def __post_init__(self):
        for name in ("jobs", "cell_timeout", "notebook_timeout", "max_notebook_mb"):
            check_int(name, getattr(self, name), 1)


@dataclass
class Summary:
    """What one ``grade`` run did: counts by outcome and the records it wrote."""

    graded: list[dict] = field(default_factory=list)
    unchanged: int = 0
    unmatched: int = 0
    seconds: float = 0.0


class Interrupted(KeyboardInterrupt):
    """Ctrl-C: the running workers were stopped; ``summary`` holds what was committed, ``left`` the rest."""

    def __init__(self, summary: Summary, left: int):
        super().__init__()
        self.summary, self.left = summary, left


def grade(root: Path, submissions: Path, out: Path, settings: Settings = Settings(),
          only: list[str] | None = None, gradebook: Path | None = None, progress=None) -> Summary:
    """Grade every submission under ``submissions`` into ``out``; see the module's docs.

    ``only`` restricts to some lessons; ``gradebook`` is the instructor's gradebook to take
    tests from (default: ``autograder/gradebook.db`` if it holds the lesson, else
    ``solutions/``). ``progress(message)`` is called for each finished submission.
    Raises FileNotFoundError / ValueError for the instructor's mistakes (missing folder,
    unknown lesson) and SandboxUnavailable when bwrap is missing and sandboxing is on.
    """
    started = time.monotonic()
    root, out, submissions = Path(root).resolve(), Path(out).resolve(), Path(submissions).resolve()
    progress = progress or (lambda message: None)
    if settings.sandboxed and bwrap_path() is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed, so student code cannot be sandboxed: "
                                 "install it (Debian/Ubuntu: apt-get install bubblewrap) or, on a machine that "
                                 "holds nothing of value, pass --no-sandbox")
    names = lessons_module.notebook_names(root)
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise ValueError(f"expected lessons among {', '.join(names)}, got unknown {', '.join(unknown)}")
    if only:
        names = {k: v for k, v in names.items() if k in only}
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / ".staging", ignore_errors=True)  # what a killed run left in flight
    leased = sandbox_uids(settings.jobs) if os.geteuid() == 0 and settings.sandboxed else nullcontext([-1] * settings.jobs)
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp, leased as uids:  # uid -1: the grader's own
        tmp = Path(tmp)
        (tmp / "zips").mkdir()
        found, unmatched = discover(submissions, names, tmp / "zips", settings.zip_limits,
                                    lessons_module.grade_ids(root))
        unmatched_rows = [asdict(u) for u in unmatched]
        prepared = {name: lessons_module.prepare(root, name, tmp, gradebook)
                    for name in sorted({s.lesson for s in found})}
        seed = secrets.token_hex(8)
        _workers()  # the fork server's imports run next to the reference runs, not after them
        threading.Thread(target=multiprocessing.forkserver.ensure_running, daemon=True).start()
        with ThreadPoolExecutor(settings.jobs) as pool:
            expected = dict(zip(prepared, pool.map(lambda lesson: _references(root, lesson, tmp, seed, settings,
                                                                              progress), prepared.values())))
        journal = Journal(out)
        todo = []
        for sub in found:
            digest = submission_hash(sub, prepared[sub.lesson])
            old = journal.get(sub.student, sub.lesson)
            if old and old["submission_sha256"] == digest and old["status"] not in RETRIED and not settings.force:
                continue
            todo.append((sub, digest))
        summary = Summary(unchanged=len(found) - len(todo), unmatched=len(unmatched))
        write_csv(out / "grades.csv", journal.records(), unmatched_rows)
        slots: queue.Queue[int] = queue.Queue()  # the kernel uid of each job
        for uid in uids:
            slots.put(uid)
        lock = threading.Lock()

        stop = threading.Event()

        def work(item):
            if stop.is_set():
                return
            sub, digest = item
            uid = slots.get()
            try:
                record, staging = _grade_one(root, sub, digest, prepared[sub.lesson], settings, out, uid,
                                             {"reference": str(expected[sub.lesson]), "seed": seed})
            finally:
                slots.put(uid)
            with lock:
                if stop.is_set():  # its worker was killed by Ctrl-C: nothing to keep
                    shutil.rmtree(staging, ignore_errors=True)
                    return
                journal.commit(record, staging)
                write_csv(out / "grades.csv", journal.records(), unmatched_rows)
                summary.graded.append(record)
                progress(f"{record['student_id']}/{record['lesson']}: {record['score']:g}/{record['max_score']:g} "
                         f"{record['status']}")

        pool = ThreadPoolExecutor(settings.jobs)
        try:
            for future in [pool.submit(work, item) for item in todo]:
                future.result()
        except KeyboardInterrupt:
            stop.set()
            for pid in list(_RUNNING):
                _kill(pid)
            pool.shutdown(wait=True, cancel_futures=True)  # what was committed before the kills counts
            summary.seconds = time.monotonic() - started
            raise Interrupted(summary, len(todo) - len(summary.graded)) from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(out / ".staging", ignore_errors=True)
    summary.seconds = time.monotonic() - started
    return summary


def _references(root: Path, lesson, tmp: Path, seed: str, settings: Settings, progress) -> Path:
    """The expected values of every test of ``lesson``: the course's solution run once, in a
    trusted kernel, through the gradebook's tests with this run's seed; their JSON file."""
    started = time.monotonic()
    data = {}
    for name in lesson.notebooks:
        stem = Path(name).stem
        tests = {gid: cell["source"] for gid, cell in gradebook_cells(f"sqlite:///{lesson.gradebook}", lesson.name,
                                                                     stem).items() if cell["grade"]}
        try:
            data[stem] = reference.references(root / SOURCE / lesson.name / name, tests, seed, tmp / "references",
                                              timeout=settings.cell_timeout)
        except reference.ReferenceFailure as error:
            raise ValueError(f"cannot grade {lesson.name}: {error}") from None
    path = tmp / "references" / f"{lesson.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    progress(f"{lesson.name}: expected values from the course's solution in {time.monotonic() - started:.0f} s")
    return path


def submission_hash(sub: Submission, lesson: lessons_module.Lesson) -> str:
    """SHA-256 of the submitted files (names and bytes) and of the lesson's tests."""
    digest = hashlib.sha256(f"{lesson.version}\0{sub.problem}\0".encode())
    for name, path in sorted(sub.files.items()):
        digest.update(f"{name}\0".encode())
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    if not sub.files:
        digest.update(sub.source.encode())
    return digest.hexdigest()


class Journal:
    """The results in ``OUT/results``: one JSON record per student and lesson."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.results = self.out / "results"
        self.results.mkdir(parents=True, exist_ok=True)

    def path(self, student: str, lesson: str) -> Path:
        return self.results / student / f"{lesson}.json"

    def get(self, student: str, lesson: str) -> dict | None:
        path = self.path(student, lesson)
        return json.loads(path.read_text()) if path.is_file() else None

    def records(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted(self.results.glob("*/*.json"))]

    def commit(self, record: dict, staging: Path) -> None:
        """Replace the student's notebooks, feedback and record by the new ones; the old
        ones move to ``history/`` first. The record is written last (the commit point)."""
        student, lesson = record["student_id"], record["lesson"]
        targets = {kind: self.out / kind / student / lesson for kind in ("autograded", "feedback", "logs")}
        (staging / "logs").mkdir(exist_ok=True)
        shutil.rmtree(staging / "work", ignore_errors=True)  # what a killed worker left: a gradebook copy, sockets
        for log in ("worker.log", "nbgrader.log", "kernel.log"):
            if (staging / log).is_file():
                os.replace(staging / log, staging / "logs" / log)
        old = self.get(student, lesson)
        if old is not None:
            stamp = old["graded_at"].replace(":", "").replace("-", "")
            history = self.out / "history" / student / lesson / f"{stamp}-{old['submission_sha256'][:12]}"
            history.mkdir(parents=True, exist_ok=True)
            for kind, target in targets.items():
                if target.exists():
                    os.replace(target, history / kind)
            atomic_write(history / "record.json", json.dumps(old, indent=1))
        for kind, target in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            if (staging / kind).is_dir():
                os.replace(staging / kind, target)
        path = self.path(student, lesson)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(record, indent=1))
        shutil.rmtree(staging, ignore_errors=True)


def worker_spec(root: Path, sub: Submission, lesson: lessons_module.Lesson, settings: Settings,
                staging: Path, uid: int, expected: dict) -> dict:
    """What :mod:`course.grading.autograde` needs to grade ``sub`` (JSON-serialisable);
    ``uid`` is the kernel's (-1: the grader's own); ``expected`` names the reference file and the seed."""
    return {**expected, "root": str(root), "student": sub.student, "lesson": sub.lesson, "work": str(staging / "work"),
            "files": {name: str(path) for name, path in sub.files.items()}, "gradebook": str(lesson.gradebook),
            "staging": str(staging), "cell_timeout": settings.cell_timeout, "limits": asdict(settings.limits),
            "sandboxed": settings.sandboxed,
            "uid": uid,
            "max_notebook_mb": settings.max_notebook_mb, "lesson_files": [str(p) for p in lesson.files],
            "order": lesson.order}


def _grade_one(root, sub: Submission, digest: str, lesson, settings: Settings, out: Path, uid: int,
               expected: dict):
    staging = out / ".staging" / uuid.uuid4().hex
    staging.mkdir(parents=True)
    record, staging = _graded(root, sub, digest, lesson, settings, staging, uid, expected), staging
    feedback.write(staging / "feedback", record, staging / "autograded")
    return record, staging


def _graded(root, sub: Submission, digest: str, lesson, settings: Settings, staging: Path, uid: int,
            expected: dict) -> dict:
    base = {"student_id": sub.student, "student_name": sub.name, "lms": sub.lms, "lesson": sub.lesson,
            "max_score": lesson.points, "score": 0.0,
            "submission_sha256": digest, "source": sub.source, "notes": list(sub.notes), "findings": [],
            "exercises": {}, "cells": {}, "verdicts": {}, "sandbox": "bubblewrap" if settings.sandboxed else "none",
            "tests_from": lesson.origin}
    if sub.problem:
        return _finish(base, Status.BAD_ZIP if sub.source.endswith(".zip") else Status.NOT_A_NOTEBOOK, sub.problem)
    spec_path = staging / "spec.json"
    spec_path.write_text(json.dumps(worker_spec(root, sub, lesson, settings, staging, uid, expected)))
    started = time.monotonic()
    proc = _workers().Process(target=autograde.job, args=(str(spec_path), str(staging / "worker.log")))
    proc.start()
    _RUNNING.add(proc.pid)
    try:
        proc.join(timeout=settings.notebook_timeout)
        timed_out = proc.is_alive()
        if timed_out:
            _kill(proc.pid)
            proc.join()
    finally:
        _RUNNING.discard(proc.pid)
    if timed_out:
        return _finish(base, Status.TIMEOUT, f"grading took longer than {settings.notebook_timeout} s and was "
                                             "stopped (an endless loop or a very slow cell?)")
    base["seconds"] = round(time.monotonic() - started, 2)
    result_path = staging / "result.json"
    if not result_path.is_file():
        return _finish(base, Status.GRADER_ERROR, f"the grading process failed ({proc.exitcode}): "
                                                  f"{failure_reason(_tail(staging / 'worker.log', 5000))[:300]}")
    return _classify(base, json.loads(result_path.read_text()), settings, _tail(staging / "worker.log"))


def _tail(path: Path, size: int = 1 << 20) -> str:
    """The last ``size`` bytes of the file at ``path`` as text ("" when there is none)."""
    if not path.is_file():
        return ""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - size))
        return f.read().decode(errors="replace")


def _classify(base: dict, result: dict, settings: Settings, log: str = "") -> dict:
    findings = [Finding.from_json(f) for f in result.get("findings", [])]
    base["findings"] = [f.to_json() for f in findings]
    base["notes"] += [f.detail for f in findings] + result.get("unreadable", [])
    base["verdicts"] = result.get("verdicts", {})
    base["worker_max_rss_mb"] = result.get("max_rss_mb")
    if result.get("unreadable") and not result.get("cells") and not result.get("nbgrader_error"):
        return _finish(base, Status.NOT_A_NOTEBOOK, result["unreadable"][0])
    if result.get("nbgrader_error"):
        error = result["nbgrader_error"]
        if any(sign in error.lower() for sign in KERNEL_FAILURES):
            cause = "it reached the limit of " f"{settings.limits.processes} processes" \
                if any(sign in log for sign in PROCESS_LIMIT) else "os._exit, a crash, or the memory limit"
            return _finish(base, Status.CRASHED, f"the kernel died or stopped answering while running the notebook "
                                                 f"({cause}); nothing could be graded")
        if "CellTimeoutError" in error:
            return _finish(base, Status.TIMEOUT, f"a cell stopped answering for more than {settings.cell_timeout} s "
                                                 "and grading could not go on; nothing could be graded")
        return _finish(base, Status.GRADER_ERROR, f"nbgrader failed: {failure_reason(error)[:300]}")
    cells = result["cells"]
    base["cells"] = cells
    base["score"] = sum(s for s, _ in cells.values())
    base["max_score"] = sum(m for _, m in cells.values()) or base["max_score"]
    exercises: dict[str, list[float]] = {}
    for gid, (s, m) in cells.items():
        total = exercises.setdefault(exercise_of(gid), [0.0, 0.0])
        total[0] += s
        total[1] += m
    base["exercises"] = exercises
    if result.get("memory"):
        return _finish(base, Status.MEMORY, "ran out of memory (limit " f"{settings.limits.memory_mb} MB) in "
                       + ", ".join(result["memory"]))
    if result.get("timeouts"):
        return _finish(base, Status.TIMEOUT, f"cells ran longer than {settings.cell_timeout} s and were interrupted: "
                       + ", ".join(sorted(set(result["timeouts"]))))
    status, finding = status_from(findings)
    if finding is not None:
        return _finish(base, status, f"graded with the instructor's tests: {finding.detail}")
    if result.get("output_dropped"):
        return _finish(base, Status.OUTPUT_TRUNCATED, f"more than {settings.limits.output_mb} MB of output; the rest "
                                                      "was dropped")
    return _finish(base, Status.GRADED, "")


_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Failure)\b(?::.*)?$")


def failure_reason(text: str) -> str:
    """The line of a traceback or log that says why it failed: its last exception line, else its
    last line that is not nbgrader's "Please see the above traceback"."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    reason = next((line for line in reversed(lines) if _EXCEPTION_LINE.match(line)), None)
    if reason is None:
        reason = next((line for line in reversed(lines) if "see the above traceback" not in line.lower()), None)
    return reason or "no message"


def _finish(record: dict, status: Status, message: str) -> dict:
    record["status"], record["message"] = status.value, message
    record["graded_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return record


_RUNNING: set[int] = set()  # the pids of the workers grading now (Ctrl-C kills them)

# what every worker imports: once in the fork server instead of once per submission (about 3 s each)
PRELOAD = ["course.grading.autograde", "course.grading.execute", "course.grading.sandbox", "nbgrader.apps",
           "nbgrader.api", "nbgrader.converters", "nbgrader.preprocessors", "nbclient", "jupyter_client"]


def _workers():
    """Worker processes forked from a server that imported nbgrader once (seconds per
    submission saved); each worker is its own session, killed as a group."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _kill(pid: int) -> None:
    """Kill a worker's process group; its sandboxed kernel dies with it (--die-with-parent)."""
    for kill in (os.killpg, os.kill):  # os.kill too: it may not have made its session yet
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
