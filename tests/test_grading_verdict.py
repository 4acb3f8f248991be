"""Verdicts decided from two lists of observations: what passes, and what every kind of failure says."""

import numpy as np
import nbformat

from course.grading.verdict import Observation, error_of, judge, judge_own, read, split_outputs
from course.observations import MIME, Number, Raised, encode, to_plain

SPEC = {"call": "cm(p, t)", "hint": "rows are the true class"}
EXPECTED = [Observation(0, "array", None, to_plain(np.eye(2, dtype=int)), SPEC),
            Observation(1, "scalar", None, to_plain(0.5), {"call": "miou(cm)"})]


def got(*values):
    return [Observation(i, kind, to_plain(v)) for i, (kind, v) in enumerate(values)]


def test_right_values_pass():
    verdict = judge(EXPECTED, got(("array", np.eye(2)), ("scalar", 0.5)))
    assert verdict.passed and verdict.checks == 2 and verdict.message == ""


def test_a_wrong_value_fails_with_the_comparisons_message_and_the_hint():
    verdict = judge(EXPECTED, got(("array", np.eye(2)[::-1]), ("scalar", 0.5)))
    assert not verdict.passed
    assert verdict.message.startswith("cm(p, t) is not right:") and "Hint: rows are the true class" in verdict.message


def test_results_that_are_forged_sent_twice_or_out_of_order_fail():
    twice = got(("array", np.eye(2)), ("array", np.eye(2)), ("scalar", 0.5))
    twice[1] = Observation(0, "array", to_plain(np.eye(2)))
    assert "came out of order" in judge(EXPECTED, twice).message
    extra = got(("array", np.eye(2)), ("scalar", 0.5)) + [Observation(1, "scalar", to_plain(0.5))]
    assert "did code in the notebook publish test results itself" in judge(EXPECTED, extra).message
    assert not judge(EXPECTED, [Observation(1, "scalar", to_plain(0.5))]).passed


def test_a_cell_that_stops_says_before_which_check_and_why():
    error = Raised(("ValueError", "Exception"), "cannot reshape array of size 8 into shape (2,2)")
    verdict = judge(EXPECTED, got(("array", np.eye(2))), error)
    assert "The test stopped before checking miou(cm): the cell raised ValueError: cannot reshape" in verdict.message
    stub = judge(EXPECTED, [], Raised(("NotImplementedError",), ""))
    assert stub.not_implemented and "not attempted yet" in stub.message
    assert "The test stopped before checking cm(p, t)." == judge(EXPECTED, []).message


def test_an_error_after_every_check_still_fails():
    verdict = judge(EXPECTED, got(("array", np.eye(2)), ("scalar", 0.5)), Raised(("RuntimeError",), "late"))
    assert not verdict.passed and "Every check passed, but then the cell raised RuntimeError: late" in verdict.message


def test_unreadable_results_fail_and_say_so():
    cell = nbformat.v4.new_code_cell("", outputs=[
        nbformat.v4.new_output("display_data", data={MIME: {"index": 0, "kind": "array", "got": {"t": "pickle"}}}),
        nbformat.v4.new_output("stream", name="stdout", text="hello")])
    observations, rest, problem = split_outputs(cell.outputs)
    assert observations == [] and len(rest) == 1 and "unknown tag 'pickle'" in problem
    assert "could not be read" in judge(EXPECTED, observations, None, problem).message


def test_a_course_check_run_judges_its_own_expected_values():
    both = [read({"index": 0, "kind": "scalar", "got": encode(Number(1, "int")), "expected": encode(Number(2, "int")),
                  "spec": {"call": "f(1)"}})]
    assert "expected 2, got 1" in judge_own(both).message
    assert judge_own([]).message == "the test cell made no check"
    error = error_of([nbformat.v4.new_output("error", ename="NotImplementedError", evalue="", traceback=["\x1b[0;31mx"])])
    assert judge_own([], error).not_implemented and error.traceback == "x"
