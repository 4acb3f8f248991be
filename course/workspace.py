"""Run nbgrader on a throw-away copy of the course, configured by ``autograder/nbgrader_config.py``.

Everything that regenerates lessons or grades notebooks for checking goes through
:class:`Workspace`, so the instructor's own gradebook and folders are never touched.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

CONFIG_DIR = "autograder"
CONFIG_FILE = "nbgrader_config.py"
SOURCE, RELEASE = "solutions", "lessons"


def find_root(start: Path | None = None) -> Path:
    """The course checkout containing ``start`` (default: the current folder)."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_DIR / CONFIG_FILE).is_file() and (folder / SOURCE).is_dir():
            return folder
    raise FileNotFoundError(
        f"no course checkout around {start}: expected a folder with {CONFIG_DIR}/{CONFIG_FILE} and "
        f"{SOURCE}/. Run this command inside a clone of the course repository."
    )


def lesson_names(root: Path) -> list[str]:
    """Lesson folders in ``solutions/`` (numbered slugs such as ``01-segmentation``), sorted."""
    names = sorted(p.name for p in (root / SOURCE).iterdir() if p.is_dir() and p.name[:2].isdigit())
    if not names:
        raise FileNotFoundError(f"no lesson folders in {root / SOURCE}")
    return names


def load_config(root: Path):
    """The course's nbgrader configuration, as a traitlets Config."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(CONFIG_FILE, path=str(root / CONFIG_DIR)).load_config()


class Workspace:
    """A temporary nbgrader course: solutions copied in, its own gradebook, nbgrader's API."""

    def __init__(self, root: Path, lessons: list[str]):
        self.root = Path(root)
        self._tmp = tempfile.TemporaryDirectory(prefix="course-nbgrader-")
        self.path = Path(self._tmp.name)
        for lesson in lessons:
            shutil.copytree(self.root / SOURCE / lesson, self.path / SOURCE / lesson,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        config = load_config(self.root)
        config.CourseDirectory.root = str(self.path)
        config.CourseDirectory.db_url = f"sqlite:///{self.path / 'gradebook.db'}"
        config.Exchange.root = str(self.path / "exchange")
        (self.path / "exchange").mkdir()
        self.config = config
        self._api = None

    @property
    def api(self):
        if self._api is None:
            from nbgrader.apps import NbGraderAPI

            _put_python_scripts_on_path()
            _alembic_head_once()
            self._api = NbGraderAPI(config=self.config, log=_quiet_logger())
        return self._api

    @property
    def coursedir(self):
        return self.api.coursedir

    def generate(self, lesson: str) -> Path:
        """Run ``nbgrader generate_assignment``; return the generated student folder."""
        _check(self.api.generate_assignment(lesson, force=True, create=True), "generate_assignment", lesson)
        return Path(self.coursedir.format_path(self.coursedir.release_directory, ".", lesson))

    def autograde(self, lesson: str, student: str, submission: Path) -> dict[str, dict[str, tuple[float, float]]]:
        """Autograde ``submission`` (a folder with the lesson's notebooks) as ``student``.

        The lesson must have been generated in this workspace. Returns, per notebook, the
        ``(score, max_score)`` of every graded cell by ``grade_id``.
        """
        from nbgrader.api import Gradebook

        target = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, lesson))
        shutil.copytree(submission, target, dirs_exist_ok=True)
        _check(self.api.autograde(lesson, student, force=True, create=True), "autograde", f"{student}/{lesson}")
        with Gradebook(self.coursedir.db_url) as gb:
            return {nb.name: {g.name: (float(g.score), float(g.max_score)) for g in nb.grades}
                    for nb in gb.find_submission(lesson, student).notebooks}

    def autograded(self, lesson: str, student: str) -> Path:
        """Folder of the autograded notebooks (with outputs) of ``student``."""
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, lesson))

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _check(result: dict, step: str, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {step} failed for {what}:\n{result.get('error') or ''}\n{result.get('log') or ''}")


def _put_python_scripts_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH; make it this Python's, even in an unactivated venv."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def _alembic_head_once() -> None:
    """nbgrader stamps every new gradebook with the head of its database migrations, which it finds
    by running ``alembic heads`` in a new process each time (3 s here). The head belongs to the
    installed nbgrader: ask once per process."""
    import nbgrader.api

    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)


def _quiet_logger() -> logging.Logger:
    log = logging.getLogger("course.nbgrader")
    log.setLevel(logging.WARNING)
    return log
