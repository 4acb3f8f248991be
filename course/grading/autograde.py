"""Grade one submission: the worker process that ``course grade`` starts for each student.

:func:`job` (in a worker process that ``course grade`` forks for each submission; or
``python -m course.grading.autograde SPEC.json LOG``) repairs the submitted notebooks
(:mod:`course.grading.analysis`), then runs nbgrader's autograde in a private temporary
course (its own copy of the lesson's gradebook, so parallel workers never share a SQLite
file) with :class:`~course.grading.execute.TrustedExecute`: the student's kernel, in the
sandbox (:mod:`course.grading.sandbox`), runs only the test cells' probes, and every verdict
is taken here against the expected values of the trusted run (``spec["reference"]``). It
writes ``result.json`` and the autograded notebooks into the spec's ``staging`` folder; the
parent classifies the result, writes the feedback and moves everything into OUT.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import nbformat

from ..files import atomic_write
from ..validate import HIDDEN, VISIBLE, up_to_last_test
from ..workspace import RELEASE, _put_python_scripts_on_path, load_config
from .analysis import analyse, repair
from .outcome import Finding, Kind

MEMORY_SIGNS = ("MemoryError", "can't allocate memory", "DefaultCPUAllocator", "std::bad_alloc")


def gradebook_cells(db_url: str, lesson: str, notebook: str) -> dict[str, dict]:
    """The gradebook's graded and locked cells of ``notebook`` (without .ipynb) by grade_id."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_notebook(notebook, lesson)
        cells = {c.name: {"source": c.source, "locked": c.locked, "grade": False, "points": None, "solution": False}
                 for c in nb.source_cells}
        for g in nb.grade_cells:
            cells.setdefault(g.name, {"source": "", "locked": False, "solution": False})
            cells[g.name] |= {"grade": True, "points": float(g.max_score)}
        for c in nb.solution_cells:
            cells.setdefault(c.name, {"source": "", "locked": False, "grade": False, "points": None})["solution"] = True
        return cells


def read_notebook(path: Path, max_mb: int):
    """The notebook at ``path`` in nbformat 4 and what converting it found, or raise ValueError
    saying why it is not a notebook."""
    size = path.stat().st_size
    if size > max_mb * 2**20:
        raise ValueError(f"it is {size / 2**20:.0f} MB, more than the limit of {max_mb} MB")
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        if version not in (2, 3, 4):
            raise ValueError(f"nbformat {version!r}" if isinstance(raw, dict) else f"a JSON {type(raw).__name__}")
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        _check_cells(nb)
    except Exception as error:  # noqa: BLE001 (any failure to read means: not a notebook)
        text = str(error).strip()
        raise ValueError(f"not a notebook ({text.splitlines()[0][:200] if text else type(error).__name__})") from None
    found = [Finding(Kind.CONVERTED, f"converted from nbformat {version}")] if version != 4 else []
    return nb, found


def _check_cells(nb) -> None:
    if not isinstance(nb.get("cells"), list):
        raise ValueError("no list of cells")
    for i, cell in enumerate(nb.cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw") \
                or not isinstance(cell.get("source"), str):
            raise ValueError(f"cell {i} is not a notebook cell")
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = nbformat.NotebookNode()
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None


def run(spec: dict) -> dict:
    """Grade the submission described by ``spec`` (see ``runner.worker_spec``); return its result."""
    staging = Path(spec["staging"])
    work = Path(spec["work"])  # inside staging: the parent removes it, even after killing this worker
    work.mkdir(mode=0o700)
    try:
        return _run(spec, work, staging, spec["student"], spec["lesson"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(spec, work, staging, student, lesson) -> dict:
    db = work / "gradebook.db"
    shutil.copyfile(spec["gradebook"], db)
    db_url = f"sqlite:///{db}"
    submitted = work / "submitted" / student / lesson
    submitted.mkdir(parents=True)
    findings, unreadable, graded_notebooks = [], [], []
    several = len(spec["files"]) > 1
    for name, path in sorted(spec["files"].items()):
        try:
            nb, found = read_notebook(Path(path), spec["max_notebook_mb"])
        except ValueError as error:
            unreadable.append(f"{name}: {error}")
            continue
        cells = gradebook_cells(db_url, lesson, Path(name).stem)
        found += analyse(nb, cells, spec.get("order", {}).get(name, []), _released(spec, name))
        findings += [Finding(f.kind, f"{name}: {f.detail}", f.cells) if several else f for f in found]
        repair(nb, cells)
        nb.cells = up_to_last_test(nb.cells)  # the rest cannot change a score (lesson 07 trains there)
        nbformat.write(nb, submitted / name)  # (writing also gives duplicated cell ids new ones)
        graded_notebooks.append(name)
    result = {"findings": [f.to_json() for f in findings], "unreadable": unreadable, "cells": {}, "verdicts": {},
              "timeouts": [], "output_dropped": False, "memory": [], "nbgrader_error": ""}
    if not graded_notebooks:
        return result
    report = work / "report.jsonl"
    config = _config(spec, work, db_url, report)
    from nbgrader.apps import NbGraderAPI

    _put_python_scripts_on_path()
    api = NbGraderAPI(config=config, log=_logger(staging))
    outcome = api.autograde(lesson, student, force=True, create=True)
    for line in report.read_text().splitlines() if report.is_file() else []:
        entry = json.loads(line)
        result["verdicts"].update(entry["verdicts"])
        result["timeouts"] += entry["timeouts"]
        result["output_dropped"] |= entry["output_dropped"]
    if not outcome.get("success"):
        result["nbgrader_error"] = (outcome.get("error") or "") + "\n" + (outcome.get("log") or "")
        return result
    result["cells"] = _scores(db_url, lesson, student)
    autograded = work / "autograded" / student / lesson
    result["memory"] = _memory_errors(autograded)
    if autograded.is_dir():
        shutil.copytree(autograded, staging / "autograded", dirs_exist_ok=True)
    return result


def _released(spec: dict, name: str) -> list[str]:
    """The sources of the released lesson's cells (what the student was given)."""
    path = Path(spec["root"]) / RELEASE / spec["lesson"] / name
    if not path.is_file():
        return []
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _config(spec: dict, work: Path, db_url: str, report: Path):
    config = load_config(Path(spec["root"]))
    config.CourseDirectory.root = str(work)
    config.CourseDirectory.db_url = db_url
    for key, folder in (("submitted_directory", "submitted"), ("autograded_directory", "autograded"),
                        ("feedback_directory", "feedback")):
        setattr(config.CourseDirectory, key, folder)
    config.Exchange.root = str(work / "exchange")
    (work / "exchange").mkdir()
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    from .execute import SandboxedExecute
    from .overwrite import use_course_preprocessors

    use_course_preprocessors(config, SandboxedExecute)
    trusted = config.TrustedExecute
    trusted.timeout, trusted.interrupt_on_timeout = spec["cell_timeout"], True
    trusted.max_output_bytes = spec["limits"]["output_mb"] * 2**20
    trusted.reference_file, trusted.seed, trusted.report_file = spec["reference"], spec["seed"], str(report)
    ipc = work / "ipc"
    ipc.mkdir()
    km = config.SandboxedKernelManager
    km.ipc_dir, km.sandboxed, km.uid = str(ipc), spec["sandboxed"], spec["uid"]
    km.log_file = str(Path(spec["staging"]) / "kernel.log")
    km.files = os.pathsep.join(spec.get("lesson_files", []))
    for key in ("memory_mb", "cpu_seconds", "processes", "file_size_mb", "scratch_mb"):
        setattr(km, key, spec["limits"][key])
    return config


def _scores(db_url: str, lesson: str, student: str) -> dict[str, list[float]]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        sub = gb.find_submission(lesson, student)
        return {g.name: [float(g.score), float(g.max_score)] for nb in sub.notebooks for g in nb.grades}


def _memory_errors(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                text = f"{out.get('ename', '')}: {out.get('evalue', '')}" if out.output_type == "error" else ""
                if any(sign in text for sign in MEMORY_SIGNS):
                    found.append(cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {cell.get('id', '?')}")
    return found


def exercise_of(grade_id: str) -> str:
    """The exercise a test cell belongs to (``x-visible-tests`` -> ``x``)."""
    return grade_id.removesuffix(VISIBLE).removesuffix(HIDDEN)


def _logger(staging: Path) -> logging.Logger:
    log = logging.getLogger("course.grading.nbgrader")
    log.setLevel(logging.INFO)
    handler = logging.FileHandler(staging / "nbgrader.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return log


def job(spec_path: str, log_path: str) -> None:
    """Grade one submission in this (worker) process: its own session, its output (and its
    kernel's) to ``log_path``, dead with its parent; writes ``result.json`` into staging."""
    from .limits import die_with_parent

    os.setsid()
    die_with_parent()  # a killed `course grade` takes its workers (and their sandboxes) along
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for fd in (1, 2):
        os.dup2(log, fd)
    spec = json.loads(Path(spec_path).read_text())
    staging = Path(spec["staging"])
    os.chdir(staging)
    started = time.monotonic()
    result = run(spec)
    result["seconds"] = round(time.monotonic() - started, 2)
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # this worker's peak
    atomic_write(staging / "result.json", json.dumps(result))


def main(argv: list[str]) -> int:
    """``python -m course.grading.autograde SPEC.json LOG``: :func:`job` in a process of its own."""
    job(argv[0], argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
