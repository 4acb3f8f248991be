"""Feedback pages run nothing a student wrote: course grade's and plain nbgrader's, opened in Chromium.

A submission worth 3 of 9 points carries scripts in a markdown cell (``<script>``, ``onerror``,
``onload``, a ``javascript:`` frame) and in outputs (HTML, JavaScript, SVG), each of which would
set the page's title to "pwned", and HTML that claims "Score: 9.0 / 9.0". Both feedback pages
must leave the title alone and show the real score; the same payload in a page without the
protections proves that the check would see a script run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course import cli  # noqa: E402
from course.grading.sandbox import bwrap_path  # noqa: E402
from course.workspace import Workspace  # noqa: E402
from tests import corpus as answers  # noqa: E402
from tests.adversarial import corpus  # noqa: E402
from tests.browser.widget_driver import ARTIFACTS  # noqa: E402


def _ran_a_script(browser, url: str) -> tuple[bool, str]:
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(url)
        page.wait_for_timeout(800)
        page.mouse.move(200, 200)  # an onmouseover handler, if one survived
        page.wait_for_timeout(200)
        pwned = page.evaluate("document.title === 'pwned' || document.body.dataset.pwned === 'yes'") or bool(dialogs)
        return pwned, page.inner_text("body")
    finally:
        page.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    base = tmp_path_factory.mktemp("feedback")
    corpus.write(corpus.xss(), base / "subs" / "mallory" / corpus.LESSON / corpus.NOTEBOOK)
    corpus.write(student_work(), base / "subs" / "ada" / corpus.LESSON / corpus.NOTEBOOK)
    found = {}
    if bwrap_path() is not None:
        assert cli.main(["--root", str(ROOT), "grade", str(base / "subs"), "--output", str(base / "out")]) == 0
        found["course grade"] = base / "out" / "feedback" / "mallory" / corpus.LESSON / f"{corpus.LESSON}.html"
        found["ada"] = base / "out" / "feedback" / "ada" / corpus.LESSON / f"{corpus.LESSON}.html"
    with Workspace(ROOT, [corpus.LESSON]) as ws:
        ws.generate(corpus.LESSON)
        ws.autograde(corpus.LESSON, "mallory", base / "subs" / "mallory" / corpus.LESSON)
        assert ws.api.generate_feedback(corpus.LESSON, "mallory")["success"]
        folder = Path(ws.coursedir.format_path(ws.coursedir.feedback_directory, "mallory", corpus.LESSON))
        page = folder / corpus.NOTEBOOK.replace(".ipynb", ".html")
        found["nbgrader generate_feedback"] = base / "nbgrader.html"
        found["nbgrader generate_feedback"].write_bytes(page.read_bytes())
    control = base / "control.html"
    control.write_text("<html><head><title>feedback</title></head><body>"
                       + corpus.xss().cells[1].source + "</body></html>")
    return found, control


def student_work():
    """Lesson 01 as a student hands it in: one exercise right, one with a classic mistake, one not begun."""
    lesson = answers.module(corpus.LESSON)
    union = next(m for m in lesson.MISTAKES["iou-per-class"] if "twice" in m.name)
    return answers.as_notebook(corpus.LESSON, {"confusion-matrix": next(iter(lesson.CORRECT["confusion-matrix"].values())),
                                               "iou-per-class": union.answer})


def test_the_course_grade_page_reads_by_exercise_and_is_pictured_for_the_readme(playwright_browser, pages):
    """By exercise: name and points, each test's result, the failed test's message with its hint,
    the code folded; no empty boxes. Its screenshot is autograder/README.md's picture
    (tools/readme_pictures.py)."""
    found, _ = pages
    if "ada" not in found:
        pytest.skip("bubblewrap is not installed")
    page = playwright_browser.new_page(viewport={"width": 900, "height": 1000})
    try:
        page.goto(found["ada"].as_uri())
        assert page.locator("h2").all_inner_texts() == [
            "confusion-matrix: 3 / 3 points", "iou-per-class: 0 / 3 points", "mean-iou: 0 / 3 points"]
        rows = [" ".join(r.split()) for r in page.locator("tr").all_inner_texts()]
        assert rows == ["visible tests 1 / 1 ✔ passed", "hidden tests 2 / 2 ✔ passed",
                        "visible tests 0 / 1 ✘ failed", "hidden tests 0 / 2 ✘ failed",
                        "visible tests 0 / 1 ✘ not attempted yet", "hidden tests 0 / 2 ✘ not attempted yet"], rows
        text = page.inner_text("body")
        assert "expected 0.3333, got 0.25" in text and "Hint: class 0: TP = 1" in text, text
        assert "mean_iou on the worked example: not attempted yet" in text, text
        assert "Comments" not in text and page.locator("details[open]").count() == 0
        assert page.locator("details").count() == 3
        shots = ARTIFACTS / "feedback"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "course-grade.png"), full_page=True)
    finally:
        page.close()


def test_the_check_sees_a_script_run_in_a_page_without_the_protections(playwright_browser, pages):
    _, control = pages
    assert _ran_a_script(playwright_browser, control.as_uri())[0]


@pytest.mark.parametrize("which", ["course grade", "nbgrader generate_feedback"])
def test_a_feedback_page_runs_nothing_and_shows_the_real_score(playwright_browser, pages, which):
    found, _ = pages
    if which not in found:
        pytest.skip("bubblewrap is not installed")
    pwned, text = _ran_a_script(playwright_browser, found[which].as_uri())
    assert not pwned, f"a student's script ran in the {which} feedback page"
    assert re.search(r"Score:\s*3(\.0)? / 9", text), text[:500]
