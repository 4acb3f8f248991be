"""Fixtures for the tests: the repository, a disposable copy of it, headless matplotlib."""

import shutil
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())


@pytest.fixture
def course_copy(tmp_path) -> Path:
    """A copy of the course's notebooks and nbgrader configuration, free to break."""
    for folder in ("solutions", "lessons", "autograder"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("gradebook.db", "submitted", "autograded", "feedback"))
    return tmp_path


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")

