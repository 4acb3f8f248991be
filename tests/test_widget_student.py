"""Running a student's exercise function safely: conversions, shapes, errors, differing cells."""

import numpy as np
import pytest
import torch

from course.widgets.student import StudentResult, Wording, batch, differing_cells, run_student

PLANE = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_batch_is_a_fresh_copy_of_one_channel():
    b = batch(PLANE, np.float32)
    assert b.shape == (1, 1, 2, 2) and b.dtype == np.float32
    b[...] = 0
    assert PLANE[0, 0] == 1.0


def test_numpy_torch_and_lists_are_compared_cell_by_cell():
    for got in (batch(PLANE), torch.tensor(batch(PLANE), requires_grad=True), batch(PLANE).tolist()):
        result = run_student(lambda got=got: got, expected=PLANE, name="f")
        assert (result.name, result.error, result.message) == ("f", None, "matches")
        np.testing.assert_array_equal(result.output, PLANE)
        assert not result.differ.any()
    result = run_student(lambda x: x * [[1, 1], [2, 2]], (batch(PLANE),), expected=PLANE)
    assert result.message == "2 of 4 cells differ"
    np.testing.assert_array_equal(result.differ, [[False, False], [True, True]])


def test_tolerance_and_nan():
    assert not differing_cells(PLANE, PLANE + 1e-7).any() and differing_cells(PLANE, PLANE + 1e-5).all()
    assert not differing_cells(PLANE, PLANE + 1e-5, tol=1e-4).any()
    np.testing.assert_array_equal(differing_cells([np.nan, 1.0], [np.nan, 1.0]), [True, False])


@pytest.mark.parametrize("returned, message", [
    (None, "returned None: did you forget the `return` statement?"),
    (PLANE, "expected shape (1, 1, 2, 2), got (2, 2)"),
    (np.array([[["a", "b"], ["c", "d"]]]).reshape(1, 1, 2, 2), "expected numbers, got dtype <U1"),
    ([[[1, 2], [3]]], "expected an array, got list"),
])
def test_what_the_function_returns_wrongly_becomes_the_error(returned, message):
    result = run_student(lambda: returned, expected=PLANE)
    assert (result.outputs, result.output, result.differ) == ((), None, None)
    assert result.error == result.message == message


def test_exceptions_become_the_error_in_the_lessons_wording():
    def unfinished():
        raise NotImplementedError()

    def broken():
        raise ValueError("no {braces} needed")

    assert run_student(unfinished, expected=PLANE).error == "raised NotImplementedError"
    assert run_student(broken, expected=PLANE).error == "raised ValueError: no {braces} needed"
    wording = Wording(prefix="your function ", unfinished=" (not done yet?)", shape="returned {got}, not {expected}",
                      match="ok", differ="{count}/{size}")
    assert run_student(unfinished, expected=PLANE, wording=wording).error == \
        "your function raised NotImplementedError (not done yet?)"
    assert run_student(lambda: PLANE, expected=PLANE, wording=wording).error == \
        "your function returned (2, 2), not (1, 1, 2, 2)"
    assert run_student(lambda: batch(PLANE) + 1, expected=PLANE, wording=wording).message == "4/4"


def test_several_outputs_are_each_checked_and_their_differences_combined():
    indices = np.array([[0, 3], [5, 6]])
    right = run_student(lambda: (batch(PLANE), batch(indices, np.int64)), expected=(PLANE, indices),
                        names=("out", "indices"))
    assert right.message == "matches" and len(right.outputs) == 2
    assert right.outputs[1].dtype == np.int64
    wrong = run_student(lambda: (batch(PLANE), batch(indices + [[1, 0], [0, 0]])), expected=(PLANE, indices),
                        names=("out", "indices"))
    np.testing.assert_array_equal(wrong.differ, [[True, False], [False, False]])
    assert run_student(lambda: batch(PLANE), expected=(PLANE, indices), names=("out", "indices")).error == \
        "expected a tuple (out, indices), got ndarray"
    assert run_student(lambda: (batch(PLANE), PLANE), expected=(PLANE, indices), names=("out", "indices")).error == \
        "indices: expected shape (1, 1, 2, 2), got (2, 2)"


def test_result_output_is_the_first_plane():
    assert StudentResult("f").output is None
    assert StudentResult("f", (PLANE, PLANE * 2)).output is PLANE
