"""The test-cell helpers: silent when right, and a message a student can act on when wrong."""

import numpy as np
import pytest
import torch

from course.checks import check_array, check_scalar


def test_equal_arrays_and_tensors_pass_silently(capsys):
    check_array(np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]], call="f(x)")
    check_array(torch.tensor([0.5, np.nan]), [0.5, np.nan], call="f(x)", equal_nan=True)
    check_scalar(np.float64(0.25), 0.25, call="g(x)")
    assert capsys.readouterr() == ("", "")


def test_wrong_values_name_the_call_both_arrays_the_first_difference_and_the_hint():
    with pytest.raises(AssertionError) as error:
        check_array(np.array([[1, 0], [0, 4]]), [[1, 2], [3, 4]], call="confusion_matrix(p, t, 2)",
                    hint="rows are the true class")
    text = str(error.value)
    assert text.startswith("confusion_matrix(p, t, 2) is not right:")
    assert "first difference at index [0, 1]: expected 2, got 0 (2 of 4 entries differ)" in text
    assert "Hint: rows are the true class" in text


def test_wrong_shape_is_reported_before_values():
    with pytest.raises(AssertionError, match=r"expected an array of shape \(3, 3\), got shape \(2, 2\)"):
        check_array(np.zeros((2, 2)), np.zeros((3, 3)), call="f(x)")


def test_a_missing_return_is_spelled_out():
    with pytest.raises(AssertionError, match="returned None: did you forget the `return` statement"):
        check_array(None, [1], call="f(x)")


def test_a_list_instead_of_an_array_is_reported():
    with pytest.raises(AssertionError, match="expected a NumPy array, got list"):
        check_array([1, 2], [1, 2], call="f(x)")


def test_nan_only_matches_nan_when_asked():
    with pytest.raises(AssertionError, match="first difference at index \\[1\\]"):
        check_array(np.array([0.5, np.nan]), [0.5, np.nan], call="f(x)")
    with pytest.raises(AssertionError, match="expected nan, got 0.0"):
        check_scalar(0.0, float("nan"), call="f(x)")
    check_scalar(float("nan"), float("nan"), call="f(x)")


@pytest.mark.parametrize("got", [[0.5], np.array([0.5, 0.5]), "0.5", None])
def test_check_scalar_wants_a_single_number(got):
    with pytest.raises(AssertionError, match="expected a single number"):
        check_scalar(got, 0.5, call="mean_iou(cm)")


def test_tolerance_is_respected():
    check_array(np.array([1 / 3]), [0.3333333333], call="f(x)", atol=1e-9)
    with pytest.raises(AssertionError):
        check_array(np.array([1 / 3]), [0.33], call="f(x)", atol=1e-9)


def test_check_shape_names_both_shapes():
    from course.checks import check_shape

    check_shape(torch.zeros(2, 3), (2, 3), call="f(x)")
    with pytest.raises(AssertionError, match=r"f\(x\) is not right:\n  expected shape \(2, 4\), got shape \(2, 3\)"):
        check_shape(torch.zeros(2, 3), (2, 4), call="f(x)")
    with pytest.raises(AssertionError, match="expected an array or tensor of shape \\(2,\\), got NoneType"):
        check_shape(None, (2,), call="f(x)")


def test_an_array_subclass_cannot_redefine_the_comparison():
    class Agreeable(np.ndarray):
        """Claims to be close to anything."""

        def __array_function__(self, func, types, args, kwargs):
            if func is np.isclose:
                return np.ones(np.shape(args[1]), dtype=bool)
            return super().__array_function__(func, types, args, kwargs)

    liar = np.zeros((2, 2)).view(Agreeable)
    assert np.isclose(liar, np.ones((2, 2))).all()          # the trick works on NumPy itself...
    with pytest.raises(AssertionError, match="4 of 4 entries differ"):
        check_array(liar, np.ones((2, 2)), call="f(x)")     # ...but not on the test helper
