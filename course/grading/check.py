"""``course check``: what a student can learn before handing in, on Jupyter or Colab.

It runs the notebook's visible tests in a fresh kernel (never in the student's own, and
never writing the student's file) and reports each exercise as passed, failed (with the
whole message: what was expected, what came back, the hint) or not attempted (nbgrader's
stub still in place). The verdicts come from the comparison that grading uses
(:mod:`course.grading.verdict`), so a visible test that passes here passes when graded. It also warns about what would break grading:
edited or deleted test cells, duplicated cell ids, cells run out of order.

The last cell of every lesson calls :func:`check_current_notebook`, which finds the open
notebook through ``JPY_SESSION_NAME`` (set by jupyter_server for the kernel) or, on
Colab, asks the frontend for it (``google.colab._message.blocking_request("get_ipynb")``).
In the fresh kernel that call does nothing (``COURSE_CHECK_RUNNING`` is set), so a check
never runs itself again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..config import CHECK_ENV, FAST_ENV, grading
from ..validate import HIDDEN, VISIBLE, is_solution_cell, is_test_cell, nbgrader_meta, up_to_last_test
from .analysis import course_versions_used

RUNNING_ENV = CHECK_ENV
PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"


@dataclass(frozen=True)
class Exercise:
    """One exercise's outcome: ``state`` is passed, failed or not attempted."""

    name: str
    state: str
    detail: str = ""


@dataclass
class Report:
    """Per-exercise outcomes of the visible tests, and warnings about grading."""

    exercises: list[Exercise] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.warnings and all(e.state == PASSED for e in self.exercises)

    def text(self) -> str:
        marks = {PASSED: "✔", FAILED: "✘", NOT_ATTEMPTED: "·"}
        lines = []
        for e in self.exercises:
            lines.append(f"{marks[e.state]} {e.name}: {e.state}")
            if e.detail:
                lines += ["    " + line for line in e.detail.splitlines()]
        lines += [f"⚠ {w}" for w in self.warnings]
        passed = sum(e.state == PASSED for e in self.exercises)
        lines.append(f"{passed} of {len(self.exercises)} exercises pass their visible tests"
                     + ("; hidden tests run when your notebook is graded." if self.exercises else "."))
        return "\n".join(lines)


def cell_checksum(cell) -> str:
    """nbgrader's checksum of an nbgrader cell (``nbgrader.utils.compute_checksum``), computed
    here because Colab has no nbgrader: MD5 of source, type, flags, grade id and points."""
    meta = nbgrader_meta(cell)
    grade, solution = bool(meta.get("grade", False)), bool(meta.get("solution", False))
    locked = not solution and (grade or bool(meta.get("locked", False)))
    parts = [cell.source, cell.cell_type, str(grade), str(solution), str(locked), meta["grade_id"]]
    if grade:
        parts.append(str(float(meta["points"])))
    digest = hashlib.md5()
    for part in parts:
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


def grading_warnings(nb) -> list[str]:
    """What in notebook ``nb`` (a student version) would break or change grading."""
    warnings = []
    ids = [c.get("id") for c in nb.cells if c.get("id")]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        warnings.append(f"duplicated cell ids {', '.join(dup)}: a copied cell (Colab does this); delete the copies")
    grade_ids = [nbgrader_meta(c).get("grade_id") for c in nb.cells if nbgrader_meta(c).get("grade_id")]
    dup = sorted({g for g in grade_ids if grade_ids.count(g) > 1})
    if dup:
        warnings.append(f"cells {', '.join(dup)} appear twice: only the last copy is graded; delete the others")
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if is_test_cell(cell) and meta.get("checksum") != cell_checksum(cell):
            warnings.append(f"test cell {meta.get('grade_id')} was edited: grading uses the original")
    solutions = [nbgrader_meta(c)["grade_id"] for c in nb.cells
                 if is_solution_cell(c) and nbgrader_meta(c).get("grade_id")]
    missing = [name + suffix for name in solutions for suffix in (VISIBLE, HIDDEN) if name + suffix not in grade_ids]
    if missing:
        warnings.append(f"test cells deleted: {', '.join(missing)} (grading puts them back)")
    declared = nb.metadata.get("course", {}).get("points")
    total = sum(float(nbgrader_meta(c).get("points", 0)) for c in nb.cells if is_test_cell(c))
    if declared is not None and not missing and total != float(declared):
        warnings.append(f"the test cells are worth {total:g} points, the lesson {declared}: "
                        "a test cell was deleted or edited")
    answers = {nbgrader_meta(c)["grade_id"]: {"solution": True} for c in nb.cells
               if is_solution_cell(c) and nbgrader_meta(c).get("grade_id")}
    warnings += [f"{f.detail.replace('the instructor should decide', 'your instructor will see this')}"
                 for f in course_versions_used(nb, answers)]
    counts = [(i, c.get("execution_count")) for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and c.get("execution_count") is not None]
    for (i, a), (j, b) in zip(counts, counts[1:]):
        if b <= a:
            warnings.append(f"cells were run out of order (cell {j + 1} ran before cell {i + 1} above it): "
                            "grading runs them top to bottom; use Restart & Run All")
            break
    return warnings


def run_visible_tests(nb, folder: Path, timeout: int = 600) -> list[Exercise]:
    """Run a copy of ``nb`` up to its last test cell in a fresh kernel (cwd ``folder``), its
    visible tests rewritten to report what they saw (:func:`course.grading.probe.reference_source`),
    and judge each exercise here, with the comparison that grading uses. What follows the last
    test (a lesson's training runs) cannot change an outcome, so it is not run."""
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    from .probe import reference_source

    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    copy.cells = up_to_last_test(copy.cells)
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_test_cell(cell):
            visible = nbgrader_meta(cell).get("grade_id", "").endswith(VISIBLE)
            try:
                cell.source = reference_source(cell.source) if visible else "pass  # hidden tests run when graded"
            except SyntaxError:
                pass  # runs as it is, and fails as it is
    with tempfile.TemporaryDirectory(prefix="course-check-") as sockets:
        # IPC sockets where there are any: private to this user, unlike loopback TCP
        km = AsyncKernelManager(kernel_name="python3", **({"transport": "ipc", "ip": f"{sockets}/k"}
                                                          if os.name == "posix" else {}))
        client = NotebookClient(copy, km=km, timeout=timeout, allow_errors=True, record_timing=False,
                                resources={"metadata": {"path": str(folder)}})
        client.execute(env=os.environ | {RUNNING_ENV: "1", FAST_ENV: "1"},
                       cleanup_kc=True)  # a kernel manager passed in is not shut down otherwise
    return outcomes(copy, judged=True)


def outcomes(nb, judged: bool = False) -> list[Exercise]:
    """Each exercise's state: from the observations of a notebook run by :func:`run_visible_tests`
    (``judged``), or else from the errors its visible test cells show (a student's own run)."""
    from .verdict import error_of, judge_own, split_outputs

    cells = {nbgrader_meta(c).get("grade_id"): c for c in nb.cells if nbgrader_meta(c).get("grade_id")}
    result = []
    for cell in nb.cells:
        if not is_solution_cell(cell):
            continue
        name = nbgrader_meta(cell)["grade_id"]
        visible = cells.get(name + VISIBLE)
        stub = "raise NotImplementedError()" in cell.source
        if visible is None:
            result.append(Exercise(name, FAILED, "its visible test cell is missing"))
            continue
        if visible.get("execution_count") is None and not visible.get("outputs"):
            result.append(Exercise(name, NOT_ATTEMPTED, "" if stub else "its test cell has not been run"))
            continue
        if judged:
            observations, rest, problem = split_outputs(visible.get("outputs", []))
            verdict = judge_own(observations, error_of(rest + cell.get("outputs", [])), problem)
            passed, stubbed, detail = verdict.passed, verdict.not_implemented, verdict.message
        else:
            error = error_of(cell.get("outputs", []) + visible.get("outputs", []))
            passed, stubbed = error is None, error is not None and error.name == "NotImplementedError"
            detail = "" if error is None else f"{error.name}: {error.message}".strip()
        if passed:
            result.append(Exercise(name, PASSED))
        elif stubbed and stub:
            result.append(Exercise(name, NOT_ATTEMPTED))
        else:
            result.append(Exercise(name, FAILED, detail))
    return result


def check_notebook(path: Path, execute: bool = True, timeout: int = 600) -> Report:
    """Check the notebook file at ``path`` (read only; it is never written)."""
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise FileNotFoundError(f"expected a notebook file, got {str(path)!r} (no such file)") from None
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
        raise ValueError(f"expected a notebook (JSON), got {str(path)!r}: {error}") from None
    return check(nb, path.parent, execute, timeout)


def check(nb, folder: Path, execute: bool = True, timeout: int = 600) -> Report:
    """Warnings about ``nb`` and, if ``execute``, its exercises run in a fresh kernel
    (else read from the outputs it already holds)."""
    warnings = grading_warnings(nb)
    exercises = run_visible_tests(nb, folder, timeout) if execute else outcomes(nb)
    return Report(exercises, warnings)


def current_notebook():
    """The open notebook and its folder: on Colab from the frontend (unsaved edits
    included), in Jupyter from the saved file named by ``JPY_SESSION_NAME``."""
    try:
        from google.colab import _message  # type: ignore[import-not-found]
    except ImportError:
        _message = None
    if _message is not None:
        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=60)
        ipynb = reply.get("ipynb", reply) if isinstance(reply, dict) else reply
        return nbformat.reads(json.dumps(ipynb), as_version=4), Path.cwd()
    name = os.environ.get("JPY_SESSION_NAME")
    if not name:
        raise RuntimeError("cannot tell which notebook is open (no JPY_SESSION_NAME): run "
                           "`course check path/to/notebook.ipynb` in a terminal instead")
    path = Path(name) if Path(name).is_absolute() else Path.cwd() / name
    return nbformat.read(path, as_version=4), path.parent


def check_current_notebook(execute: bool = True, timeout: int = 600) -> None:
    """Check the notebook this kernel belongs to and print the report (the last cell of
    every lesson calls it). Does nothing but say so inside a check's own run or while
    grading, and prints (never raises) when it cannot tell which notebook is open."""
    if grading():
        print("(this notebook is being checked or graded: the check cell skips itself)")
        return
    try:
        nb, folder = current_notebook()
    except RuntimeError as error:
        print(f"course check: {error}")
        return
    print(check(nb, folder, execute, timeout).text())
