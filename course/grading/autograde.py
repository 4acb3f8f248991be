"""Grade one submission: the worker process that ``course grade`` starts for each student.

:func:`job` (in a worker process that ``course grade`` forks for each submission; or
``python -m course.grading.autograde SPEC.json LOG``) runs nbgrader's autograde and feedback
in a private temporary course (its own copy of the lesson's gradebook, so parallel
workers never share a SQLite file), with the kernel in the sandbox
(:mod:`course.grading.sandbox`) and the guard of :mod:`course.grading.kernel` restored
before every test cell. It writes ``result.json``, the autograded notebooks and the
feedback into the spec's ``staging`` folder; the parent moves them into OUT.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Integer, Unicode

from ..validate import HIDDEN, VISIBLE, nbgrader_meta, up_to_last_test
from ..workspace import _put_python_scripts_on_path, load_config

MEMORY_SIGNS = ("MemoryError", "can't allocate memory", "DefaultCPUAllocator", "std::bad_alloc")
GUARD_FAILED = "GuardError"


class GuardedExecute(Execute):
    """nbgrader's Execute with the sandboxed kernel, a restore request before every test cell,
    interruption on a cell time-out, and a cap on the output kept per notebook."""

    guard_token = Unicode("", help="the kernel's restore token ('' for no guard)").tag(config=True)
    max_output_bytes = Integer(8 * 2**20).tag(config=True)
    events: list[str] = []  # what happened, read by the worker after grading

    def __init__(self, **kwargs):
        from .sandbox import SandboxedKernelManager

        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(**kwargs)
        self._output_bytes = 0

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        meta = nbgrader_meta(cell)
        guarded = cell.cell_type == "code" and meta.get("grade") and not meta.get("solution") and self.guard_token
        restored = await self._restore() if guarded else True
        cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if not restored:
            GuardedExecute.events.append(f"guard:{meta.get('grade_id')}")
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=GUARD_FAILED, evalue="the grader could not restore the kernel before this test",
                traceback=[f"{GUARD_FAILED}: the kernel no longer answers the grader's restore request; "
                           "an earlier cell tampered with the kernel"]))
        return cell

    execute_cell = run_sync(async_execute_cell)

    async def _restore(self) -> bool:
        try:
            msg_id = self.kc.execute(self.guard_token, silent=True, store_history=False)
            reply = await self.async_wait_for_reply(msg_id)
        except Exception:  # noqa: BLE001 (a dead or stuck kernel: the cell itself will say so)
            return False
        answer = reply.get("content", {}).get("user_expressions", {}).get("guard", {})
        return answer.get("data", {}).get("text/plain") == self.guard_token

    async def _async_handle_timeout(self, timeout, cell=None):
        name = (nbgrader_meta(cell).get("grade_id") or f"cell {cell.get('id', '?')}") if cell is not None else "a cell"
        GuardedExecute.events.append(f"timeout:{name}")
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        """Keep output up to the cap; beyond it drop stdout and displays, but never what
        grades a cell: errors are kept, and stderr leaves one short stderr line."""
        self._output_bytes += len(json.dumps(msg.get("content", {}), default=str))
        if self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "error":
            content = msg["content"]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [str(line)[:2000] for line in content.get("traceback", [])[-20:]]
            return super().output(outs, msg, display_id, cell_index)
        if "output" not in GuardedExecute.events:
            GuardedExecute.events.append("output")
        stream = "stderr" if msg["msg_type"] == "stream" and msg["content"].get("name") == "stderr" else "stdout"
        note = f"[course grade: {stream} beyond {self.max_output_bytes // 2**20} MB per notebook dropped]\n"
        if not any(o.get("name") == stream and o.get("text", "").endswith(note) for o in outs):
            outs.append(nbformat.v4.new_output("stream", name=stream, text=note))
        return None


def analyse(nb, gradebook_cells: dict[str, dict], order: list[str] = ()) -> list[str]:
    """What nbgrader will have to repair in a submitted notebook, compared with the
    gradebook's cells (``{grade_id: {"source", "locked", "grade", "points"}}``) and the
    lesson's ``order`` of grade ids."""
    notes = []
    ids = [c.get("id") for c in nb.cells if c.get("id")]
    if len(ids) != len(set(ids)):
        notes.append("duplicated cell ids")
    by_id: dict[str, list] = {}
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid:
            by_id.setdefault(gid, []).append(cell)
    if any(len(cells) > 1 for cells in by_id.values()):
        notes.append("duplicated grade ids (nbgrader keeps the last)")
    if set(by_id) - set(gradebook_cells):
        notes.append("unknown nbgrader cells ignored: " + ", ".join(sorted(set(by_id) - set(gradebook_cells))))
    missing = sorted(gid for gid, cell in gradebook_cells.items() if cell["grade"] and gid not in by_id)
    if missing:
        notes.append("missing cells restored: " + ", ".join(missing))
    tampered, metadata = [], []
    for gid, cell in gradebook_cells.items():
        if gid not in by_id:
            continue
        sub = by_id[gid][-1]
        if cell["locked"] and sub.source.strip() != without_hidden_tests(cell["source"]).strip():
            tampered.append(gid)
        elif _edited_metadata(nbgrader_meta(sub), cell):
            metadata.append(gid)
    if tampered:
        notes.append("tampered tests restored: " + ", ".join(tampered))
    seen = [gid for gid in dict.fromkeys(c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells)
            if gid in order]
    expected = [gid for gid in order if gid in seen]
    moved = [gid for gid, want in zip(seen, expected) if gid != want]
    if moved:
        notes.append(f"cells reordered (nbgrader runs them in the submitted order): {moved[0]} is out of place")
    if metadata:
        notes.append("edited nbgrader metadata restored: " + ", ".join(metadata))
    return notes


def _edited_metadata(meta: dict, cell: dict) -> bool:
    points = meta.get("points")
    return (bool(meta.get("grade")) != cell["grade"] or bool(meta.get("locked")) != cell["locked"]
            or bool(meta.get("solution")) != cell["solution"]
            or (cell["grade"] and (points is None or float(points) != cell["points"])))


def without_hidden_tests(source: str) -> str:
    """``source`` without its hidden-test block, as nbgrader releases it."""
    from nbgrader.preprocessors import ClearHiddenTests

    cell = nbformat.v4.new_code_cell(source)
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


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


def run(spec: dict) -> dict:
    """Grade the submission described by ``spec`` (see ``runner.worker_spec``); return its result."""
    staging = Path(spec["staging"])
    student, lesson = spec["student"], spec["lesson"]
    work = Path(tempfile.mkdtemp(prefix="cg-"))
    try:
        return _run(spec, work, staging, student, lesson)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(spec, work, staging, student, lesson) -> dict:
    db = work / "gradebook.db"
    shutil.copyfile(spec["gradebook"], db)
    db_url = f"sqlite:///{db}"
    submitted = work / "submitted" / student / lesson
    submitted.mkdir(parents=True)
    notes, unreadable, graded_notebooks = [], [], []
    for name, path in sorted(spec["files"].items()):
        size = Path(path).stat().st_size
        if size > spec["max_notebook_mb"] * 2**20:
            unreadable.append(f"{name} is {size / 2**20:.0f} MB, more than the limit of {spec['max_notebook_mb']} MB")
            continue
        try:
            with open(path, encoding="utf-8") as f:
                raw = json.load(f)
            version = raw.get("nbformat") if isinstance(raw, dict) else None
            nb = nbformat.reads(json.dumps(raw), as_version=4)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("no cells")
        except Exception as error:  # noqa: BLE001 (any parse failure means: not a notebook)
            first = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            unreadable.append(f"{name} is not a notebook ({first})")
            continue
        if version != 4:
            notes.append(f"{name} converted from nbformat {version}")
        cells = gradebook_cells(db_url, lesson, Path(name).stem)
        notes += [f"{name}: {n}" if len(spec['files']) > 1 else n
                  for n in analyse(nb, cells, spec.get("order", {}).get(name, []))]
        _deduplicate(nb)
        _reset_metadata(nb, cells)
        nb.cells = up_to_last_test(nb.cells)  # the rest cannot change a score (lesson 07 trains there)
        nbformat.write(nb, submitted / name)  # (writing also gives duplicated cell ids new ones)
        graded_notebooks.append(name)
    result = {"notes": notes, "unreadable": unreadable, "cells": {}, "nbgrader_error": ""}
    if not graded_notebooks:
        return result
    config = _config(spec, work, db_url)
    from nbgrader.apps import NbGraderAPI

    _put_python_scripts_on_path()
    api = NbGraderAPI(config=config, log=_logger(staging))
    GuardedExecute.events = []
    outcome = api.autograde(lesson, student, force=True, create=True)
    result["events"] = list(GuardedExecute.events)
    if not outcome.get("success"):
        result["nbgrader_error"] = (outcome.get("error") or "") + "\n" + (outcome.get("log") or "")
        return result
    result["cells"] = _scores(db_url, lesson, student)
    result["memory"] = _memory_errors(work / "autograded" / student / lesson)
    api.generate_feedback(lesson, student, force=True)
    for kind in ("autograded", "feedback"):
        source = work / kind / student / lesson
        if source.is_dir():
            shutil.copytree(source, staging / kind, dirs_exist_ok=True)
    return result


def _deduplicate(nb) -> None:
    """Keep the last of cells sharing a grade id, as nbgrader does, but drop the others'
    nbgrader metadata entirely: nbgrader 0.9 leaves it empty and then fails with KeyError."""
    seen = set()
    for cell in reversed(nb.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in seen:
            del cell.metadata["nbgrader"]
        elif gid:
            seen.add(gid)


def _reset_metadata(nb, cells: dict[str, dict]) -> None:
    """Give every nbgrader cell the gradebook's flags and points, and drop the nbgrader
    metadata of cells the gradebook does not know: nbgrader 0.9 fails on a solution cell
    that claims points, and would grade a cell a student declared a test."""
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        ref = cells.get(meta.get("grade_id"))
        if ref is None:
            del cell.metadata["nbgrader"]
            continue
        meta.update(grade=ref["grade"], solution=ref["solution"], locked=ref["locked"])
        if ref["grade"]:
            meta["points"] = ref["points"]
        else:
            meta.pop("points", None)


def _config(spec: dict, work: Path, db_url: str):
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
    from nbgrader.converters import Autograde

    defaults = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
    config.Autograde.autograde_preprocessors = [GuardedExecute if p is Execute else p for p in defaults]
    config.GuardedExecute.timeout = spec["cell_timeout"]
    config.GuardedExecute.interrupt_on_timeout = True
    config.GuardedExecute.max_output_bytes = spec["limits"]["output_mb"] * 2**20
    token = "# course-guard " + secrets.token_hex(16)
    ipc = work / "ipc"
    token_file = ipc / "guard-token"
    ipc.mkdir()
    token_file.write_text(token)
    config.GuardedExecute.guard_token = token
    km = config.SandboxedKernelManager
    km.ipc_dir, km.token_file, km.sandboxed, km.uid = str(ipc), str(token_file), spec["sandboxed"], spec["uid"]
    km.files = os.pathsep.join(spec.get("lesson_files", []))
    for key in ("memory_mb", "cpu_seconds", "processes", "file_size_mb", "scratch_mb"):
        setattr(km, key, spec["limits"][key])
    if spec["uid"] >= 0:
        os.chown(token_file, spec["uid"], spec["uid"])
        os.chown(ipc, spec["uid"], spec["uid"])
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
                    found.append(nbgrader_meta(cell).get("grade_id") or f"cell {cell.get('id', '?')}")
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
    (staging / "result.json.tmp").write_text(json.dumps(result))
    os.replace(staging / "result.json.tmp", staging / "result.json")


def main(argv: list[str]) -> int:
    """``python -m course.grading.autograde SPEC.json LOG``: :func:`job` in a process of its own."""
    job(argv[0], argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
