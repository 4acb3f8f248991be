"""``course release``: regenerate the student notebooks (``lessons/``) from ``solutions/``.

nbgrader's ``generate_assignment`` does the work (solutions and hidden tests removed,
outputs cleared, cells locked and checksummed); it runs in a throw-away workspace and the
result replaces ``lessons/``. ``--check`` compares instead of writing, so CI can prove
that the committed lessons are exactly what nbgrader makes of the committed solutions.
"""

from __future__ import annotations

import filecmp
import re
import shutil
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from .workspace import RELEASE, SOURCE, Workspace, lesson_names

REGENERATE = "course release"


def release(root: Path) -> list[str]:
    """Regenerate every lesson; return the lessons whose files changed."""
    changed = []
    with Workspace(root, lesson_names(root)) as ws:
        for lesson in lesson_names(root):
            generated, target = ws.generate(lesson), root / RELEASE / lesson
            if _differences(generated, target, lesson):
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(generated, target)
                changed.append(lesson)
    for orphan in _orphans(root):
        shutil.rmtree(root / RELEASE / orphan)
        changed.append(orphan)
    return changed


def stale(root: Path) -> list[str]:
    """What differs between ``lessons/`` and a fresh generation (empty when up to date)."""
    problems = [f"{RELEASE}/{o}/ has no solution in {SOURCE}/{o}/" for o in _orphans(root)]
    with Workspace(root, lesson_names(root)) as ws:
        for lesson in lesson_names(root):
            problems += _differences(ws.generate(lesson), root / RELEASE / lesson, lesson)
    return problems


def stale_message(problems: list[str]) -> str:
    """The error shown when lessons are stale, with the command that fixes it."""
    listed = "\n".join(f"  - {p}" for p in problems)
    return (f"lessons/ is out of date with solutions/:\n{listed}\n"
            f"Regenerate the student versions with `{REGENERATE}` and commit lessons/ with solutions/.")


class StudentVersion(NbGraderPreprocessor):
    """nbgrader preprocessor: point a lesson's Colab badge at the lesson, not at its
    solution, and drop what the solution's run left in the metadata (timestamps, widget state)."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            cell.get("metadata", {}).pop("execution", None)
            if "colab-badge" in cell.get("metadata", {}).get("tags", []):
                cell.source = re.sub(rf"/blob/([^/]+)/{SOURCE}/", rf"/blob/\1/{RELEASE}/", cell.source)
        return nb, resources


def _orphans(root: Path) -> list[str]:
    released = root / RELEASE
    if not released.is_dir():
        return []
    sources = set(lesson_names(root))
    return sorted(p.name for p in released.iterdir() if p.is_dir() and p.name not in sources)


def _differences(generated: Path, committed: Path, lesson: str) -> list[str]:
    if not committed.is_dir():
        return [f"{RELEASE}/{lesson}/ is missing"]
    problems = []
    new, old = _files(generated), _files(committed)
    problems += [f"{RELEASE}/{lesson}/{f} is missing" for f in sorted(new - old)]
    problems += [f"{RELEASE}/{lesson}/{f} is not generated from {SOURCE}/{lesson}/" for f in sorted(old - new)]
    problems += [f"{RELEASE}/{lesson}/{f} differs from what nbgrader generates"
                 for f in sorted(new & old) if not filecmp.cmp(generated / f, committed / f, shallow=False)]
    return problems


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}
