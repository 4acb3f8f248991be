"""The test-cell checks: silent when right (every correct dtype and container), a message a student
can act on when wrong, and the helpers that keep exercises apart (course_versions, fill_parameters)."""

import numpy as np
import pytest
import torch
from torch import nn

from course import checks
from course.checks import (check_array, check_equal, check_raises, check_scalar, check_shape, course_versions,
                           fill_parameters, seed)


def failure(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as error:
        check(*args, **kwargs)
    return str(error.value)


def test_right_answers_pass_silently_in_every_dtype_and_container(capsys):
    expected = np.array([[1 / 3, 0.5], [0.25, 2.0]])
    check_array(expected, expected, call="f(x)")
    check_array(expected.astype(np.float32), expected, call="f(x)")          # float32 answers pass
    check_array(torch.tensor(expected, dtype=torch.float32), expected, call="f(x)")
    check_array(torch.tensor(expected).to(torch.bfloat16), expected, call="f(x)", rtol=1e-2)
    check_array(np.array([[1, 2], [3, 4]], dtype=np.uint8), [[1, 2], [3, 4]], call="f(x)")
    check_array(torch.tensor([0.5, np.nan]), [0.5, np.nan], call="f(x)", equal_nan=True)
    check_scalar(np.float64(0.25), 0.25, call="g(x)")
    check_scalar(np.int64(30), 30, call="g(x)")
    check_scalar(torch.tensor(0.5), 0.5, call="g(x)")
    assert capsys.readouterr() == ("", "")


def test_a_wrong_array_says_shape_dtype_the_first_difference_a_window_and_the_hint():
    text = failure(check_array, np.array([[1, 0], [0, 4]]), [[1, 2], [3, 4]], call="confusion_matrix(p, t, 2)",
                   hint="rows are the true class")
    assert text.startswith("confusion_matrix(p, t, 2) is not right:\n")
    assert "shape (2, 2) as expected, dtype int64; 2 of 4 values differ" in text
    assert "first difference at [0, 1]: expected 2, got 0" in text
    assert "expected" in text and "0*" in text  # the window marks the differences
    assert text.endswith("Hint: rows are the true class")


def test_a_large_4d_array_fits_in_twenty_lines_and_names_the_largest_error():
    expected = np.arange(2 * 3 * 40 * 50, dtype=float).reshape(2, 3, 40, 50)
    got = expected.copy()
    got[1, 2, 17, 33] += 5.0
    got[0, 0, 3, 4] += 0.5
    text = failure(check_array, got, expected, call="f(x)")
    assert len(text.splitlines()) <= 20, text
    assert "first difference at [0, 0, 3, 4]" in text and "largest difference 5 at [1, 2, 17, 33]" in text
    assert "rows 0-5, columns 1-6 of [0, 0]" in text


def test_digits_enough_to_tell_close_values_apart():
    text = failure(check_array, np.array([1.0000003]), [1.0], call="f(x)")
    assert "expected 1.0, got 1.0000003" in text or "expected 1, got 1.0000003" in text


def test_usual_mistakes_are_named_in_the_message():
    cm = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    assert "transposed: rows and columns swapped" in failure(check_array, cm.T, cm, call="cm")
    assert "all the values that came back are 0" in failure(check_array, np.zeros((3, 3)), cm, call="cm")
    assert "each value is 2 times the expected one" in failure(check_array, 2 * cm, cm, call="cm")
    assert "expected a NumPy array or a tensor, got list: convert it with np.asarray" in \
        failure(check_array, [1, 2], [1, 2], call="f(x)")
    assert "returned None: did you forget the `return` statement?" in failure(check_array, None, [1], call="f(x)")
    assert "expected an array of shape (3, 3), got shape (2, 2)" in failure(check_array, np.zeros((2, 2)), cm, call="f")


def test_dtype_container_and_graph_are_checked_first_when_an_exercise_fixes_them():
    cm = np.eye(2)
    assert "expected integers, got dtype float64" in failure(check_array, cm, cm.astype(int), dtype="integer", call="f")
    assert "expected dtype float32, got dtype torch.float64" in \
        failure(check_array, torch.zeros(2, dtype=torch.float64), [0.0, 0.0], dtype="float32", call="f")
    assert "expected a torch tensor, got a NumPy array" in failure(check_array, cm, cm, container="tensor", call="f")
    loss = torch.tensor(1.0, requires_grad=True) * 2
    assert "return tensor.detach()" in failure(check_array, loss, 2.0, requires_grad=False, call="f")
    check_array(loss.detach(), 2.0, requires_grad=False, call="f")


def test_integers_stay_integers_and_an_integer_answer_must_be_one():
    assert "expected 31, got 30" in failure(check_scalar, 30, 31, call="conv_output_size(...)")
    assert "expected an integer, got 30, a float (use integer division //, or int(...))" in \
        failure(check_scalar, 30.0, 30, call="f")
    assert "expected a Python float, got 0.5, a numpy.float32" in \
        failure(check_scalar, np.float32(0.5), 0.5, type="float", call="f")
    assert "expected a single number, got an array of shape (2,)" in \
        failure(check_scalar, np.array([0.5, 0.5]), 0.5, call="f")
    assert "expected a single number, got True" in failure(check_scalar, True, 1, call="f")


def test_nan_equals_nan_only_where_asked():
    assert "first difference at [1]" in failure(check_array, np.array([0.5, np.nan]), [0.5, np.nan], call="f")
    assert "expected nan, got 0" in failure(check_scalar, 0.0, float("nan"), call="f")
    check_scalar(float("nan"), float("nan"), call="f")


def test_raises_shape_and_equal():
    check_raises(lambda: int("x"), ValueError, call="int('x')")
    assert "expected it to raise ValueError, but it raised nothing (it returned 3)" in \
        failure(check_raises, lambda: 3, ValueError, call="f")
    assert "expected ValueError, got IndexError: list index out of range" in \
        failure(check_raises, lambda: [][1], ValueError, call="f")
    check_shape(torch.zeros(2, 3), (2, 3), call="f(x)")
    assert "expected shape (2, 4), got shape (2, 3)" in failure(check_shape, torch.zeros(2, 3), (2, 4), call="f")
    check_equal([(True, torch.bfloat16)], [(True, torch.bfloat16)], call="spy.seen")
    assert "expected [(True, torch.bfloat16)], got [(False, torch.bfloat16)]" in \
        failure(check_equal, [(False, torch.bfloat16)], [(True, torch.bfloat16)], call="spy.seen")


def test_an_array_subclass_cannot_redefine_the_comparison():
    class Agreeable(np.ndarray):
        def __array_function__(self, func, types, args, kwargs):
            if func is np.isclose:
                return np.ones(np.shape(args[1]), dtype=bool)
            return super().__array_function__(func, types, args, kwargs)

    liar = np.zeros((2, 2)).view(Agreeable)
    assert np.isclose(liar, np.ones((2, 2))).all()
    assert "4 of 4 values differ" in failure(check_array, liar, np.ones((2, 2)), call="f")


def test_an_error_inside_the_tested_code_is_explained_in_the_courses_words():
    from course.compare import describe_error
    from course.observations import raised

    try:
        torch.cat([torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 5, 5)], dim=1)
    except RuntimeError as error:
        text = describe_error(raised(error))
    assert "raised RuntimeError: Sizes of tensors must match" in text and "center_crop" in text


def test_course_versions_stand_in_for_the_notebooks_functions_and_go_away_again():
    from course import metrics

    def iou_per_class(cm):
        return "the student's"

    namespace = {"iou_per_class": iou_per_class}
    exec("from course.checks import course_versions\n"
         "with course_versions('iou_per_class', 'mean_iou'):\n    inside = (iou_per_class, mean_iou)", namespace)
    assert namespace["inside"] == (metrics.iou_per_class, metrics.mean_iou)
    assert namespace["iou_per_class"] is iou_per_class and "mean_iou" not in namespace
    with pytest.raises(ValueError, match="expected one of the exercises"):
        course_versions("nope")


class Described(nn.Module):
    """conv => ReLU => conv, layers created in that order."""

    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.second(torch.relu(self.first(x)))


class Reordered(nn.Module):
    """The same function, layers created the other way round and kept in a ModuleDict."""

    def __init__(self):
        super().__init__()
        self.parts = nn.ModuleDict({"b": nn.Conv2d(4, 2, 1), "a": nn.Conv2d(3, 4, 3, padding=1)})

    def forward(self, x):
        return self.parts["b"](nn.functional.relu(self.parts["a"](x)))


def test_fill_parameters_gives_networks_that_compute_the_same_function_the_same_weights():
    x = torch.randn(2, 3, 8, 8)
    a = fill_parameters(Described(), x, seed=1)
    b = fill_parameters(Reordered(), x, seed=1)
    assert torch.allclose(a(x), b(x))
    assert not torch.allclose(fill_parameters(Described(), x, seed=2)(x), a(x)), "the seed must matter"
    swapped = fill_parameters(nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(), nn.Conv2d(4, 2, 3, padding=1)), x, seed=1)
    assert not torch.allclose(swapped(x), a(x)), "another function must get other outputs"
    norm = fill_parameters(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)), x, seed=3)
    assert norm[1].running_var.min() >= 1 and norm.training, "buffers filled, the mode kept"


def test_seed_is_the_given_one_in_a_notebook_and_another_per_grading_run(monkeypatch):
    monkeypatch.delenv(checks.SEED_ENV, raising=False)
    assert seed(7) == 7
    monkeypatch.setenv(checks.SEED_ENV, "run-1")
    first = seed(7)
    monkeypatch.setenv(checks.SEED_ENV, "run-2")
    assert first != seed(7) != 7 and seed(7) == seed(7)
