"""What a submitted notebook did to the lesson, and its repair before nbgrader runs it.

:func:`analyse` compares a submission with the gradebook's cells and the lesson's order and
returns :class:`~course.grading.outcome.Finding` s: deleted, edited, moved or duplicated cells,
edited metadata, and answers that call the course's own version of their exercise.
:func:`repair` then makes the notebook safe for nbgrader: metadata that is not what nbgrader
expects (a string, a list, points that are no number, unknown keys) is replaced by the
gradebook's, copies are dropped, and cells that claim to be tests but are none lose the claim.
"""

from __future__ import annotations

import ast
import math

import nbformat

from ..exercises import REFERENCES
from ..validate import nbgrader_meta
from .outcome import Finding, Kind

NBGRADER_KEYS = ("cell_type", "checksum", "grade", "grade_id", "locked", "points", "schema_version", "solution",
                 "task")


def analyse(nb, gradebook_cells: dict[str, dict], order: list[str] = (), released: list[str] = ()) -> list[Finding]:
    """Findings about submitted notebook ``nb`` against the gradebook's cells
    (``{grade_id: {"source", "locked", "grade", "points", "solution"}}``), the lesson's ``order``
    of grade ids and the ``released`` cells' sources (what students were given)."""
    findings = []
    ids = [c.get("id") for c in nb.cells if isinstance(c.get("id"), str)]
    if len(ids) != len(set(ids)):
        findings.append(Finding(Kind.DUPLICATE_CELL_IDS, "duplicated cell ids (copied cells): given new ids"))
    by_id: dict[str, list] = {}
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid:
            by_id.setdefault(gid, []).append(cell)
    twice = sorted(g for g, cells in by_id.items() if len(cells) > 1)
    if twice:
        findings.append(Finding(Kind.DUPLICATE_GRADE_IDS, "cells appear twice, the last copy is graded: "
                                + ", ".join(twice), tuple(twice)))
    unknown = sorted(set(by_id) - set(gradebook_cells))
    if unknown:
        findings.append(Finding(Kind.UNKNOWN_CELLS, "unknown nbgrader cells ignored: " + ", ".join(unknown),
                                tuple(unknown)))
    missing = sorted(g for g, cell in gradebook_cells.items() if cell["grade"] and g not in by_id)
    if missing:
        findings.append(Finding(Kind.MISSING_TESTS, "missing cells restored: " + ", ".join(missing), tuple(missing)))
    edited, hidden, metadata = [], [], []
    for gid, cell in gradebook_cells.items():
        if gid not in by_id:
            continue
        sub = by_id[gid][-1]
        if cell["locked"]:
            source = sub.get("source", "")
            if source.strip() == cell["source"].strip() and source.strip() != without_hidden_tests(source).strip():
                hidden.append(gid)
            elif source.strip() != without_hidden_tests(cell["source"]).strip():
                edited.append(gid)
        if _edited_metadata(sub, cell):
            metadata.append(gid)
    if edited:
        findings.append(Finding(Kind.EDITED_TESTS, "tampered tests restored: " + ", ".join(edited), tuple(edited)))
    if hidden:
        findings.append(Finding(Kind.HIDDEN_TESTS, "the notebook holds the hidden tests (an instructor's copy?): "
                                "graded with the gradebook's tests as usual", tuple(hidden)))
    seen = [g for g in dict.fromkeys(_grade_id(c) for c in nb.cells) if g in order]
    expected = [g for g in order if g in seen]
    moved = [g for g, want in zip(seen, expected) if g != want]
    if moved:
        findings.append(Finding(Kind.REORDERED, f"cells reordered (nbgrader runs them in the submitted order): "
                                f"{moved[0]} is out of place", (moved[0],)))
    if metadata or any(_grade_id(c) is None and "nbgrader" in _metadata(c) for c in nb.cells):
        findings.append(Finding(Kind.EDITED_METADATA, "edited nbgrader metadata restored: "
                                + (", ".join(metadata) if metadata else "cells whose metadata nbgrader cannot read"),
                                tuple(metadata)))
    findings += course_versions_used(nb, gradebook_cells, released)
    return findings


def repair(nb, gradebook_cells: dict[str, dict]) -> None:
    """Make ``nb`` what nbgrader can grade, with the gradebook's metadata (see the module's docs)."""
    for cell in nb.cells:
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = nbformat.NotebookNode()
        if "nbgrader" in cell.metadata and _grade_id(cell) not in gradebook_cells:
            del cell.metadata["nbgrader"]  # unreadable, or a cell the gradebook does not know
    seen = set()
    for cell in reversed(nb.cells):  # nbgrader keeps the last of cells sharing a grade id
        gid = _grade_id(cell)
        if gid in seen:
            del cell.metadata["nbgrader"]
        elif gid:
            seen.add(gid)
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid is None:
            continue
        ref = gradebook_cells[gid]
        meta = {"grade": ref["grade"], "grade_id": gid, "locked": ref["locked"], "schema_version": 3,
                "solution": ref["solution"], "task": False}
        if ref["grade"]:
            meta["points"] = ref["points"]
        old = cell.metadata["nbgrader"]
        if isinstance(old.get("checksum"), str):
            meta["checksum"] = old["checksum"]
        if old.get("cell_type") in ("code", "markdown"):
            meta["cell_type"] = old["cell_type"]
        cell.metadata["nbgrader"] = nbformat.NotebookNode(meta)


def without_hidden_tests(source: str) -> str:
    """``source`` without its hidden-test block, as nbgrader releases it."""
    from nbgrader.preprocessors import ClearHiddenTests

    cell = nbformat.v4.new_code_cell(source)
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


def course_versions_used(nb, gradebook_cells: dict[str, dict], released: list[str] = ()) -> list[Finding]:
    """Answers that call the course's own version of their exercise (``course.exercises.REFERENCES``),
    found by reading the code: answer cells, and code cells the student added or changed."""
    bindings = _course_bindings(nb)
    found = []
    released = {s.strip() for s in released}
    for cell in nb.cells:
        if cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        gid = _grade_id(cell)
        answer = gid in gradebook_cells and gradebook_cells[gid]["solution"]
        if not answer and (gid is not None or cell.source.strip() in released or not released):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        own = _defined(tree) & set(REFERENCES) if answer else set(REFERENCES)
        where = f"the answer to {gid}" if answer else "a cell the student added or changed"
        for name, how in _uses(tree, bindings, own):
            found.append(Finding(Kind.COURSE_VERSION, f"{where} calls {how}, the course's own version of "
                                 f"{name}: the instructor should decide", (gid,) if answer else ()))
        for target in _rebound(tree, bindings):
            found.append(Finding(Kind.GRADER_CODE, f"{where} rebinds {target}: it cannot change a verdict (they are "
                                 "decided outside the student's kernel), but it says what was tried",
                                 (gid,) if answer else ()))
    return found


def _rebound(tree: ast.AST, bindings: dict[str, str]):
    """Attributes of the course's checks that the code assigns to."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            qualified = _qualified(target, bindings) if isinstance(target, ast.Attribute) else None
            if qualified and qualified.startswith(("course.checks", "course.compare", "course.observations")):
                yield qualified


def _uses(tree: ast.AST, bindings: dict[str, str], names: set[str]):
    wanted = {n: REFERENCES[n].split(":")[1] for n in names}
    for node in ast.walk(tree):
        qualified = _qualified(node, bindings)
        if qualified is None:
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and \
                    ast.unparse(node.func).split(".")[-1] in ("import_module", "__import__") and \
                    any(isinstance(a, ast.Constant) and str(a.value).startswith("course") for a in node.args):
                yield "the course package", "a dynamic import of the course package"
            continue
        for name, attribute in wanted.items():
            if qualified.endswith("." + attribute) or qualified == f"course.exercises.{name}":
                yield name, qualified
        if qualified.startswith("course.exercises") and isinstance(node, ast.Attribute) and \
                node.attr in ("reference", "use", "REFERENCES"):
            yield "an exercise", qualified


def _qualified(node: ast.AST, bindings: dict[str, str]) -> str | None:
    """``a.b.c`` as a dotted name rooted in the course package, or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in bindings or not isinstance(node.ctx, ast.Load):
        return None
    return ".".join([bindings[node.id], *reversed(parts)])


def _course_bindings(nb) -> dict[str, str]:
    """Names that the notebook's imports bind to the course package or something in it."""
    bindings = {}
    for cell in nb.cells:
        if cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "course":
                        bindings[a.asname or "course"] = a.name if a.asname else "course"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "course":
                for a in node.names:
                    bindings[a.asname or a.name] = f"{node.module}.{a.name}"
    return bindings


def _defined(tree: ast.AST) -> set[str]:
    return {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _metadata(cell) -> dict:
    meta = cell.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell) -> str | None:
    meta = _metadata(cell).get("nbgrader")
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) and gid else None


def _edited_metadata(sub, cell: dict) -> bool:
    meta = nbgrader_meta(sub)
    if not isinstance(meta, dict) or set(meta) - set(NBGRADER_KEYS):
        return True
    points = meta.get("points")
    try:
        points = float(points) if points is not None else None
    except (TypeError, ValueError):
        return True
    if points is not None and not math.isfinite(points):
        return True
    flags = [meta.get(k) for k in ("grade", "locked", "solution")]
    if any(not isinstance(f, (bool, type(None))) for f in flags):
        return True
    return (bool(meta.get("grade")) != cell["grade"] or bool(meta.get("locked")) != cell["locked"]
            or bool(meta.get("solution")) != cell["solution"] or (cell["grade"] and points != cell["points"]))
