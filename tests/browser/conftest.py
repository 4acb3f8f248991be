"""Fixtures of the browser tests: one JupyterLab server and one Chromium for the whole session.

Without Playwright or a system Chromium the browser tests are skipped, with the reason, on a
developer's machine; in CI (the environment variable ``CI`` set) that is a failure instead:
``.ci/run`` installs Debian's chromium, and Playwright's own browser download is never used.
Screenshots go to ``$COURSE_BROWSER_ARTIFACTS`` (default ``tests/browser/artifacts/``, see widget_driver).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lab_server import CHROMIUM_ARGS, LabServer, NotebookPage, find_chromium
from widget_driver import TIMINGS, timing_line

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives JupyterLab in Chromium (tests/browser)")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _report_widget_timings(request):
    """The redraw times of the widgets this test drove, as lines of the end-of-run summary
    (conftest.py prints them, also when the tests run on pytest-xdist's workers)."""
    before = {name: len(times) for name, times in TIMINGS.items()}
    yield
    for name, times in TIMINGS.items():
        if times[before.get(name, 0):]:
            request.node.user_properties.append(("summary: widget redraw in the browser (input event to new image)",
                                                 timing_line(name, times[before.get(name, 0):])))


def _unavailable(reason: str):
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs Debian's chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_browser():
    """A headless system Chromium driven by Playwright (skipped, or failed in CI, if either is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    chromium = find_chromium()
    if chromium is None:
        _unavailable("no system Chromium found (apt-get install chromium, or set COURSE_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """A disposable copy of solutions/ and lessons/ that the server serves (tests may add notebooks)."""
    root = tmp_path_factory.mktemp("lab")
    for folder in ("solutions", "lessons"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


@pytest.fixture(scope="session")
def lab(playwright_browser, lab_root) -> LabServer:
    """JupyterLab on 127.0.0.1 with a random token, fast mode on in its kernels."""
    if not _importable("jupyterlab"):
        _unavailable("JupyterLab is not installed (pip install -e '.[dev]')")
    server = LabServer(lab_root)
    try:
        yield server
    finally:
        server.stop()


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


@pytest.fixture
def open_notebook(lab, playwright_browser):
    """``open_notebook(path)`` -> a NotebookPage; its tab is closed and every kernel stopped afterwards."""
    opened = []

    def open_(path: str) -> NotebookPage:
        notebook = NotebookPage.open(playwright_browser, lab, path)
        opened.append(notebook)
        return notebook

    yield open_
    for notebook in opened:
        notebook.close()
    lab.shutdown_kernels()
