"""Settings shared by the unit tests and nbval's runs of the solution notebooks."""

import os
from collections import defaultdict

# The outputs stored in solutions/ are fast-mode outputs, so every run compares like with
# like, with or without a GPU (see course.config).
os.environ["COURSE_FAST"] = "1"
# The suite runs kernels next to JupyterLab, Chromium and nbgrader on 2 cores. PyTorch's
# OpenMP threads spin-wait for each other, so a kernel with 2 threads on a busy machine ran
# a training step 10x slower than with 1 (measured: 2.5 s against 0.17 s). One thread per
# kernel keeps notebook times predictable; kernels inherit this.
os.environ.setdefault("OMP_NUM_THREADS", "1")

_seconds = defaultdict(float)
# Lines that tests hand to the end-of-run summary, by section: a test appends ("summary: <section>", line)
# to its user_properties (record_property), so the lines reach this process under pytest-xdist too.
SUMMARY_KEY = "summary: "
_summary: dict[str, list[str]] = defaultdict(list)


def pytest_runtest_logreport(report):
    """Add up the time spent running notebooks, per notebook (nbval) or per test (a module-scoped
    fixture that grades a whole corpus counts in its first test's setup); collect summary lines."""
    if report.when == "teardown":  # each phase's report carries all the test's properties: read one
        for key, value in report.user_properties:
            if key.startswith(SUMMARY_KEY):
                _summary[key[len(SUMMARY_KEY):]].append(value)
    if report.when not in ("setup", "call") or report.skipped or report.duration < 0.05:
        return
    if ".ipynb::" in report.nodeid:
        _seconds[f"nbval {report.nodeid.split('::')[0]}"] += report.duration
    elif "notebook" in report.keywords:
        _seconds[report.nodeid] += report.duration


def pytest_terminal_summary(terminalreporter):
    for section, lines in sorted(_summary.items()):
        terminalreporter.section(section)
        for line in sorted(lines):
            terminalreporter.write_line(line)
    if not _seconds:
        return
    terminalreporter.section("notebook run times")
    for name, seconds in sorted(_seconds.items()):
        terminalreporter.write_line(f"{seconds:7.1f} s  {name}")
    terminalreporter.write_line(f"{sum(_seconds.values()):7.1f} s  in all")
