"""Rules every lesson notebook follows; the tests (and ``course validate``) check them.

An exercise named ``X`` is a solution cell with ``grade_id`` ``X`` and two test cells,
``X-visible-tests`` (students run them) and ``X-hidden-tests`` (a ``BEGIN HIDDEN TESTS``
block, run only when grading). docs/authoring.md explains the conventions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from . import colab
from .exercises import VISIBLE_TESTS

VISIBLE, HIDDEN = "-visible-tests", "-hidden-tests"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
HIDDEN_MARKER, SOLUTION_MARKERS = "BEGIN HIDDEN TESTS", ("BEGIN SOLUTION", "END SOLUTION")


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata, or {} (also when a submission made it something else than a dict)."""
    meta = cell.get("metadata", {})
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def up_to_last_test(cells: list) -> list:
    """``cells`` up to and including the last test cell (all of them if there is none): what
    follows runs after every test, so it cannot change a test's outcome."""
    last = max((i for i, c in enumerate(cells) if is_test_cell(c)), default=len(cells) - 1)
    return cells[:last + 1]


def is_solution_cell(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def check_notebook(nb, path: str) -> list[str]:
    """Static rules for a solution notebook at repository path ``path``; returns the problems."""
    problems = _check_colab_cells(nb, path) + _check_grade_ids(nb) + _check_exercises(nb)
    problems += _check_points(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            problems += [f"cell {index}: {p}" for p in _check_nbval_markers(cell.source)]
        if is_test_cell(cell):
            gid = nbgrader_meta(cell)["grade_id"]
            problems += [f"test cell {gid!r}: {p}" for p in _check_test_source(cell.source, gid.endswith(VISIBLE))]
    return [f"{path}: {p}" for p in problems]


def check_outputs(nb, path: str) -> list[str]:
    """Rules on an executed solution: no errors; test cells print nothing to stderr and
    end without a value (nbgrader would score either as a failure or as partial credit);
    cells showing a widget are marked for nbval, which cannot read what Output widgets hold."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        name = nbgrader_meta(cell).get("grade_id", f"cell {index}")
        shows_widget = any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", []))
        if shows_widget and not _nbval_ignores(cell):
            problems.append(f"{name} shows a widget: tag it nbval-ignore-output (nbval cannot read widget outputs)")
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"{name} raised {out.ename}: {out.evalue}")
            elif is_test_cell(cell) and out.output_type == "stream" and out.name == "stderr":
                problems.append(f"test cell {name} writes to stderr (nbgrader scores that 0): {out.text[:200]!r}")
            elif is_test_cell(cell) and out.output_type == "execute_result":
                problems.append(f"test cell {name} ends with a value (nbgrader reads it as partial credit)")
    return [f"{path}: {p}" for p in problems]


def check_tree(root: Path) -> list[str]:
    """Static rules for every solution notebook of the course at ``root``."""
    problems = []
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        rel = path.relative_to(root).as_posix()
        problems += check_notebook(nbformat.read(path, as_version=4), rel)
    return problems


def _check_colab_cells(nb, path: str) -> list[str]:
    copy = nbformat.from_dict(nb)
    try:
        changed = colab.stamp(copy, path)
    except ValueError as error:
        return [str(error).removeprefix(f"{path}: ")]
    return ["the Colab badge or setup cell is not up to date; run `course badges`"] if changed else []


def _check_grade_ids(nb) -> list[str]:
    seen, problems = set(), []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        gid = meta.get("grade_id")
        if not gid:
            problems.append("an nbgrader cell has no grade_id")
        elif gid in seen:
            problems.append(f"grade_id {gid!r} is used twice")
        seen.add(gid)
    return problems


def _check_exercises(nb) -> list[str]:
    problems = []
    solutions = {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if is_solution_cell(c) and nbgrader_meta(c).get("grade_id")}
    tests = {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if is_test_cell(c) and nbgrader_meta(c).get("grade_id")}
    for name, cell in solutions.items():
        if not all(marker in cell.source for marker in SOLUTION_MARKERS):
            problems.append(f"solution cell {name!r} lacks the ### BEGIN/END SOLUTION markers")
        visible, hidden = tests.get(name + VISIBLE), tests.get(name + HIDDEN)
        if visible is None:
            problems.append(f"exercise {name!r} has no visible tests (a test cell {name + VISIBLE!r})")
        elif HIDDEN_MARKER in visible.source:
            problems.append(f"{name + VISIBLE!r} holds hidden tests; put them in {name + HIDDEN!r}")
        if hidden is None:
            problems.append(f"exercise {name!r} has no hidden tests (a test cell {name + HIDDEN!r})")
        elif HIDDEN_MARKER not in hidden.source:
            problems.append(f"{name + HIDDEN!r} has no ### {HIDDEN_MARKER} block")
    for name in tests:
        owner = name.removesuffix(VISIBLE).removesuffix(HIDDEN)
        if owner == name or owner not in solutions:
            problems.append(f"test cell {name!r} belongs to no exercise (expected <exercise>{VISIBLE} "
                            f"or <exercise>{HIDDEN} after a solution cell <exercise>)")
    return problems


def _check_points(nb) -> list[str]:
    declared = nb.metadata.get("course", {}).get("points")
    if declared is None:
        return ["notebook metadata has no course.points (the lesson's declared total)"]
    total = sum(float(nbgrader_meta(c).get("points", 0)) for c in nb.cells if nbgrader_meta(c).get("grade"))
    if total != float(declared):
        return [f"test cells add up to {total:g} points, but the lesson declares course.points = {declared}"]
    return []


def _check_test_source(source: str, visible: bool) -> list[str]:
    from .grading.probe import rules

    try:
        body = ast.parse(source).body
    except SyntaxError as error:
        return [f"does not parse: {error}"]
    problems = []
    if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        problems.append("must start with a docstring saying what it checks")
    elif visible and not body[0].value.value.startswith(VISIBLE_TESTS):
        problems.append(f"its docstring must begin with {VISIBLE_TESTS!r}: that is how Run All knows to pass an "
                        "exercise not yet written (course.exercises.guard_visible_tests)")
    problems += rules(source, visible)
    last = body[-1] if body else None
    if isinstance(last, ast.Expr) and not isinstance(last.value, (ast.Call, ast.Constant)):
        problems.append("ends with an expression; nbgrader would read its value as partial credit")
    return problems


# nbval's comment markers: it honours a comment line only when it is exactly one of these
NBVAL_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_RAISES_EXCEPTION", "NBVAL_SKIP")


def _comments(source: str) -> list[str]:
    """The text of each comment line, as nbval reads it (``#`` and spaces stripped)."""
    return [line.strip().lstrip("#").strip() for line in source.splitlines() if line.strip().startswith("#")]


def _check_nbval_markers(source: str) -> list[str]:
    return [f"the comment {c!r} is not an nbval marker (nbval honours only a line that is exactly one of "
            f"{', '.join(NBVAL_MARKERS)}): tag the cell nbval-ignore-output instead"
            for c in _comments(source) if c.startswith("NBVAL_") and c not in NBVAL_MARKERS]


def _nbval_ignores(cell) -> bool:
    return ("nbval-ignore-output" in cell.get("metadata", {}).get("tags", [])
            or "NBVAL_IGNORE_OUTPUT" in _comments(cell.source))
