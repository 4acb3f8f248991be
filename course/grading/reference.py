"""The trusted run: the course's solution through the same tests, for the expected values.

:func:`run` executes a lesson's solution notebook, up to its last test cell and with the test
cells that students get graded with (the gradebook's), rewritten by
:func:`course.grading.probe.reference_source`, in a fresh kernel that runs no student code.
Every check then reports its expected value and settings. The run fails loudly, for the
instructor, if the solution does not pass its own tests. :func:`references` caches the result
per notebook, tests and seed: one run per lesson for a whole class.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat

from .. import __version__
from ..checks import SEED_ENV
from ..compare import compare, message
from ..files import atomic_write
from ..observations import encode
from ..validate import is_test_cell, nbgrader_meta, up_to_last_test
from .probe import reference_source
from .sandbox import grading_environment
from .verdict import Observation, error_of, read, split_outputs


class ReferenceFailure(RuntimeError):
    """The course's solution does not pass its own tests (the instructor's problem, not a student's)."""


def run(notebook, folder: Path, tests: dict[str, str], seed: str, timeout: int = 600) -> dict[str, list[dict]]:
    """Expected observations of every test cell of ``notebook`` (a solution), by grade id.

    ``tests`` maps grade ids to the test cells' sources to use (the gradebook's); ``folder``
    holds the lesson's other files (the kernel runs in a copy of it); ``seed`` is the grading
    run's seed (:func:`course.checks.seed`)."""
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    nb = nbformat.from_dict(json.loads(json.dumps(notebook)))
    nb.cells = up_to_last_test(nb.cells)
    graded = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_test_cell(cell):
            gid = nbgrader_meta(cell)["grade_id"]
            cell.source = reference_source(tests.get(gid, cell.source))
            graded[gid] = cell
    with tempfile.TemporaryDirectory(prefix="course-reference-") as tmp:
        work = Path(tmp) / "lesson"
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=f"{tmp}/k")
        client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=True, record_timing=False,
                                resources={"metadata": {"path": str(work)}})
        env = os.environ | grading_environment() | {SEED_ENV: seed,
                                                    "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [env["PYTHONPATH"], os.environ.get("PYTHONPATH")]))
        client.execute(env=env, cleanup_kc=True)  # a kernel manager passed in is not shut down otherwise
    errors = [c for c in nb.cells if c.cell_type == "code" and not is_test_cell(c) and error_of(c.outputs)]
    if errors:
        e = error_of(errors[0].outputs)
        raise ReferenceFailure(f"the course's solution fails before its tests: a cell raised {e.name}: {e.message}")
    return {gid: _expected(gid, cell) for gid, cell in graded.items()}


def _expected(gid: str, cell) -> list[dict]:
    observations, rest, problem = split_outputs(cell.outputs)
    error = error_of(rest)
    if problem or error is not None:
        why = problem or f"{error.name}: {error.message}"
        raise ReferenceFailure(f"the course's solution fails its own test {gid}: {why}")
    for obs in observations:
        wrong = compare(obs.kind, obs.spec or {}, obs.expected, obs.got)
        if wrong is not None:
            raise ReferenceFailure(f"the course's solution fails its own test {gid}:\n{message(obs.spec or {}, wrong)}")
    if not observations:
        raise ReferenceFailure(f"test {gid} made no check when run against the course's solution")
    return [{"index": o.index, "kind": o.kind, "spec": o.spec, "expected": encode(o.expected)} for o in observations]


def load(data: dict[str, list[dict]]) -> dict[str, list[Observation]]:
    """Expected observations as :func:`run` returns them (JSON), read back."""
    return {gid: [read({**o, "got": None}) for o in obs] for gid, obs in data.items()}


def references(notebook_path: Path, tests: dict[str, str], seed: str, cache: Path | None = None,
               timeout: int = 600) -> dict[str, list[dict]]:
    """:func:`run` for the solution at ``notebook_path``, cached in folder ``cache`` per
    solution, tests, seed and course version."""
    notebook_path = Path(notebook_path)
    digest = hashlib.sha256(notebook_path.read_bytes())
    digest.update(json.dumps([tests, seed, __version__], sort_keys=True).encode())
    path = Path(cache) / f"{notebook_path.stem}-{digest.hexdigest()[:20]}.json" if cache else None
    if path is not None and path.is_file():
        return json.loads(path.read_text())
    result = run(nbformat.read(notebook_path, as_version=4), notebook_path.parent, tests, seed, timeout)
    if path is not None:
        atomic_write(path, json.dumps(result))
    return result
