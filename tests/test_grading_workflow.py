"""The workflows of autograder/README.md, run as written, in a fresh copy of the repository:
course grade and course export, then plain nbgrader. Afterwards git status is clean (student
work never lands in the repository), and nbgrader warns about no untouched test cell."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.grading.sandbox import bwrap_path
from tests.adversarial import corpus
from tests.conftest import ROOT

pytestmark = [pytest.mark.notebook,
              pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed"),
              pytest.mark.skipif(not (ROOT / ".git").exists(), reason="the course is not a git checkout")]


def readme_blocks() -> list[str]:
    text = (ROOT / "autograder" / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


def run(script: str, cwd: Path) -> str:
    """``script`` as the README's reader runs it, in the project's environment (no `source`)."""
    lines = [line for line in script.splitlines() if not line.startswith("source ")]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(lines)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """The working tree's files (tracked and not ignored) as a fresh git repository."""
    copy = tmp_path_factory.mktemp("checkout")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "as cloned"]):
        subprocess.run(git + args, cwd=copy, check=True)
    return copy


def status(copy: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=copy, check=True,
                          capture_output=True, text=True).stdout


def test_the_course_grade_workflow_grades_exports_and_leaves_git_clean(checkout):
    block = readme_blocks()[0]
    assert "course grade grading/submissions/" in block
    corpus.write(corpus.solved(), checkout / "grading" / "submissions" / "doejane_12345_678901_Copy of "
                                                                       "segmentation.ipynb")
    output = run(block, checkout)
    assert "12345/01-segmentation: 9/9 graded" in output, output
    assert (checkout / "grading" / "out" / "canvas.csv").read_text().splitlines()[2] == "doejane,12345,,,,9"
    assert f"wrote {Path('grading/out/canvas.csv')}" in output
    assert status(checkout) == ""


def test_the_plain_nbgrader_workflow_warns_about_nothing_untouched_and_leaves_git_clean(checkout):
    block = next(b for b in readme_blocks() if "nbgrader autograde" in b)
    submitted = checkout / "autograder" / "submitted" / "s1" / corpus.LESSON
    submitted.mkdir(parents=True)
    shutil.copy(checkout / "lessons" / corpus.LESSON / corpus.NOTEBOOK, submitted)  # an untouched lesson
    output = run(block, checkout)
    assert "checksum" not in output.lower(), output
    grades = (checkout / "autograder" / "grades.csv").read_text()
    assert "01-segmentation" in grades and ",s1," in grades, grades
    assert status(checkout) == ""
