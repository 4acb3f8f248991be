"""The throw-away nbgrader course (course.workspace.Workspace)."""

import sqlite3

import nbgrader.api
import nbgrader.dbutil
from alembic.script import ScriptDirectory

from course.workspace import Workspace
from tests.conftest import ROOT


def test_gradebooks_get_nbgraders_migration_head_and_alembic_runs_once_per_process(monkeypatch):
    """nbgrader runs `alembic heads` in a new process for every new gradebook (3 s); the course asks
    once. The stamp must still be the head of nbgrader's own migration scripts."""
    calls = []
    real = nbgrader.api.sp.check_output
    monkeypatch.setattr(nbgrader.api.sp, "check_output", lambda *a, **k: calls.append(a) or real(*a, **k))
    if hasattr(nbgrader.api.get_alembic_version, "cache_clear"):
        nbgrader.api.get_alembic_version.cache_clear()
    stamps = []
    for _ in range(2):
        with Workspace(ROOT, ["01-segmentation"]) as ws:
            ws.generate("01-segmentation")
            with sqlite3.connect(ws.path / "gradebook.db") as db:
                stamps += [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
    head = ScriptDirectory(nbgrader.dbutil.ALEMBIC_DIR).get_current_head()
    assert stamps == [head, head]
    assert len(calls) == 1, f"expected one `alembic heads` for two gradebooks, got {len(calls)}"
