"""Execute notebooks the way the course stores and tests them: fast mode, no timing noise."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from .config import FAST_ENV


def execute(path: Path, allow_errors: bool = False, timeout: int = 600):
    """Run the notebook at ``path`` top to bottom in fast mode (in its own folder) and return it.

    With ``allow_errors`` a failing cell is recorded in its outputs and execution goes on,
    as when a student runs everything; otherwise the first error raises.
    """
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, allow_errors=allow_errors, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=os.environ | {FAST_ENV: "1"})
    return nb


def refresh_outputs(path: Path) -> None:
    """Re-execute a solution notebook and store its outputs (what nbval compares against).

    Widget state is not stored: its random model ids would change the file on every run.
    """
    nb = execute(path)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
