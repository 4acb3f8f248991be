"""The instructor's side of grading: each lesson's gradebook (hidden tests, checksums) and version."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..workspace import CONFIG_DIR, RELEASE, SOURCE, Workspace, lesson_names

INSTRUCTOR_GRADEBOOK = Path(CONFIG_DIR) / "gradebook.db"


@dataclass(frozen=True)
class Lesson:
    """A lesson ready to grade: a private copy of its gradebook and what identifies its tests.

    ``version`` hashes the gradebook's test cells (source, checksums, points): a change of
    tests regrades every submission. ``files`` are the released lesson's other files,
    shown read-only in the kernel's working folder.
    """

    name: str
    gradebook: Path
    notebooks: list[str]
    points: float
    version: str
    files: list[Path]
    origin: str
    order: dict[str, list[str]]  # notebook name -> grade ids in the lesson's order


def notebook_names(root: Path) -> dict[str, list[str]]:
    """Each lesson's notebook names, from ``solutions/``: ``{"01-segmentation": ["segmentation.ipynb"]}``."""
    return {name: sorted(p.name for p in (root / SOURCE / name).glob("*.ipynb")) for name in lesson_names(root)}


def grade_ids(root: Path) -> dict[tuple[str, str], set[str]]:
    """The grade ids of each (lesson, notebook) of ``solutions/``, to recognise a notebook by its cells."""
    return {(name, notebook): set(ids) for name in lesson_names(root)
            for notebook, ids in _order(root / SOURCE / name).items()}


def prepare(root: Path, name: str, folder: Path, gradebook: Path | None = None) -> Lesson:
    """Copy the gradebook of lesson ``name`` into ``folder``.

    From ``gradebook`` when given (it must hold the lesson); else from the instructor's
    ``autograder/gradebook.db`` when it holds the lesson (what ``nbgrader generate_assignment``
    recorded at release); else generated now from ``solutions/``.
    """
    target = folder / f"{name}.db"
    candidates = [gradebook] if gradebook is not None else [root / INSTRUCTOR_GRADEBOOK]
    source = next((p for p in candidates if p.is_file() and _has_lesson(p, name)), None)
    if gradebook is not None and source is None:
        raise ValueError(f"expected the gradebook {gradebook} to hold lesson {name!r}, got "
                         f"{'no such file' if not gradebook.is_file() else 'a gradebook without it'}; "
                         f"record it with `nbgrader generate_assignment {name}` in autograder/")
    if source is not None:
        _copy_sqlite(source, target)
        origin = f"gradebook {source}"
    else:
        with Workspace(root, [name]) as ws:
            ws.generate(name)
            _copy_sqlite(ws.path / "gradebook.db", target)
        origin = f"generated from {SOURCE}/{name}"
    notebooks, points, version = _describe(target, name)
    release = root / RELEASE / name
    files = sorted(p for p in release.iterdir() if p.is_file() and p.suffix != ".ipynb") if release.is_dir() else []
    return Lesson(name, target, notebooks, points, version, files, origin, _order(root / SOURCE / name))


def _order(folder: Path) -> dict[str, list[str]]:
    import nbformat

    from ..validate import nbgrader_meta

    return {p.name: [nbgrader_meta(c)["grade_id"] for c in nbformat.read(p, as_version=4).cells
                     if nbgrader_meta(c).get("grade_id")] for p in sorted(folder.glob("*.ipynb"))}


def _has_lesson(db: Path, name: str) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return con.execute("select 1 from assignment where name = ?", (name,)).fetchone() is not None
    except sqlite3.Error:
        return False


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API), never a write to ``source``."""
    target.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _describe(db: Path, name: str) -> tuple[list[str], float, str]:
    from nbgrader.api import Gradebook

    digest = hashlib.sha256()
    with Gradebook(f"sqlite:///{db}") as gb:
        assignment = gb.find_assignment(name)
        notebooks = sorted(nb.name for nb in assignment.notebooks)
        points = 0.0
        for nb in sorted(assignment.notebooks, key=lambda n: n.name):
            for cell in sorted(nb.source_cells, key=lambda c: c.name):
                digest.update(f"{nb.name}/{cell.name}/{cell.checksum}/{cell.source}\0".encode())
            for grade in sorted(nb.grade_cells, key=lambda c: c.name):
                digest.update(f"{nb.name}/{grade.name}/{grade.max_score}\0".encode())
                points += float(grade.max_score)
    return [f"{n}.ipynb" for n in notebooks], points, digest.hexdigest()

