"""How course grade reads a worker's result when nbgrader itself stopped: the row names the cause."""

import pytest

from course.grading.runner import Settings, _classify, failure_reason
from course.grading.sandbox import Limits


def classify(error: str, log: str = "") -> dict:
    base = {"notes": [], "score": 0.0, "max_score": 9.0}
    return _classify(base, {"nbgrader_error": error, "cells": {}}, Settings(limits=Limits(processes=48)), log)


@pytest.mark.parametrize("log, cause", [
    ("RuntimeError: can't start new thread", "it reached the limit of 48 processes"),
    ("", "os._exit, a crash, or the memory limit"),
])
def test_a_dead_kernel_is_a_crash_whose_likely_cause_is_named(log, cause):
    row = classify("nbclient.exceptions.DeadKernelError: Kernel died", log)
    assert (row["status"], row["score"]) == ("crashed kernel", 0.0), row
    assert f"({cause}); nothing could be graded" in row["message"], row["message"]


def test_a_kernel_deaf_to_interrupts_is_a_timeout_and_other_failures_quote_nbgrader():
    row = classify("Traceback ...\nnbclient.exceptions.CellTimeoutError: The kernel ignored its interrupt")
    assert row["status"] == "timeout" and "stopped answering for more than 300 s" in row["message"], row
    row = classify("Traceback ...\n\nValueError: no gradebook\n")
    assert (row["status"], row["message"]) == ("grader error", "nbgrader failed: ValueError: no gradebook"), row


def test_a_grader_errors_reason_is_the_line_that_says_why():
    log = ("[AutogradeApp | ERROR] There was an error processing assignment: /tmp/x\nTraceback (most recent call "
           "last):\n  File \"x.py\", line 3, in f\n    raise e\nsqlalchemy.exc.OperationalError: (sqlite3."
           "OperationalError) database is locked\n[AutogradeApp | ERROR] Please see the above traceback for details.")
    assert failure_reason(log) == "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked"
    assert failure_reason("warming up\nno kernel named python3\nPlease see the above traceback") == \
        "no kernel named python3"
    assert failure_reason("") == "no message"
