"""Pooling explorer: pooling against torch, the arithmetic text, and the widget headless."""

import ipywidgets as widgets
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.widgets.pooling import (
    LECTURE_GRID, WORDING, covered_cells, explain_cell, pool, pool_windows, pooled_shape,
    pooling_explorer, same_place, street_image)
from course.widgets.student import batch, run_student
from tests.widget_helpers import artists, find, one

def torch_pool(x, k, s, mode):
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    return fn(torch.as_tensor(x, dtype=torch.float64)[None, None], k, s)[0, 0].numpy()


def random_cases(n: int, seed: int = 1):
    """``n`` random (input, kernel, stride) cases, the same for a given seed whatever ran before."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        h, w = rng.integers(1, 13, 2)
        k = int(rng.integers(1, min(h, w) + 1))
        yield rng.normal(size=(h, w)), k, int(rng.integers(1, 7))


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_equals_torch_on_random_sizes(mode):
    for x, k, s in random_cases(150):
        np.testing.assert_allclose(pool(x, k, s, mode), torch_pool(x, k, s, mode), rtol=1e-12,
                                   err_msg=f"shape {x.shape}, kernel {k}, stride {s}")


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("shape, k, s", [((5, 7), 5, 1), ((4, 4), 4, 3), ((6, 6), 2, 3), ((7, 5), 1, 4),
                                         ((9, 9), 3, 5), ((1, 1), 1, 1)])
def test_pool_edge_cases_equal_torch(shape, k, s, mode):
    """Kernel as large as the input, stride larger than the kernel, 1x1."""
    x = np.random.default_rng(sum(shape) * 10 + k).integers(-9, 10, shape)
    np.testing.assert_allclose(pool(x, k, s, mode), torch_pool(x, k, s, mode))


def test_lecture_example():
    np.testing.assert_array_equal(pool(LECTURE_GRID, 2, 2, "max"), [[6, 5], [2, 6]])
    np.testing.assert_array_equal(pool(LECTURE_GRID, 2, 2, "avg"), [[3.25, 2.75], [1, 4.5]])


def test_pooled_shape_is_the_convolution_output_size_along_each_axis():
    for x, k, s in random_cases(50):
        assert pooled_shape(x.shape, k, s) == torch_pool(x, k, s, "max").shape
    assert pooled_shape((5, 7), 2) == (2, 3) and pooled_shape((5, 7), (3, 2), (1, 2)) == (3, 3)
    with pytest.raises(ValueError, match=r"does not fit .* got 5 > 4"):
        pooled_shape((4, 6), 5, 1)


def test_windows_are_the_inputs_of_each_output_cell():
    for x, k, s in random_cases(40):
        windows = pool_windows(*x.shape, k, s)
        expected = torch_pool(x, k, s, "max")
        assert (len(windows), len(windows[0])) == expected.shape
        for (i, j), value in np.ndenumerate(expected):
            rows, cols = windows[i][j]
            assert (rows, cols) == (slice(i * s, i * s + k), slice(j * s, j * s + k))
            assert x[rows, cols].max() == value


def test_covered_cells_skip_what_no_window_reads():
    covered = covered_cells((6, 6), 2, 3)
    assert covered[np.ix_([0, 1, 3, 4], [0, 1, 3, 4])].all()
    assert not covered[:, [2, 5]].any() and not covered[[2, 5]].any()
    assert covered.sum() == 16
    for x, k, s in random_cases(30):
        brute = np.zeros(x.shape, bool)
        for line in pool_windows(*x.shape, k, s):
            for rows, cols in line:
                brute[rows, cols] = True
        np.testing.assert_array_equal(covered_cells(x.shape, k, s), brute)


def test_same_place_follows_the_window_centre():
    for i in range(5):
        assert same_place(i, 3, 2, 3, 2, 5) == i
    assert [same_place(i, 2, 2, 2, 1, 5) for i in range(3)] == [0, 2, 4]
    assert [same_place(i, 2, 1, 2, 2, 3) for i in range(5)] == [0, 1, 1, 2, 2]  # ties go to the later window
    assert same_place(10, 2, 2, 4, 4, 24) == 5 and same_place(40, 2, 2, 4, 4, 5) == 4  # clipped


def test_explain_cell_shows_the_arithmetic():
    assert explain_cell(LECTURE_GRID, 2, 2, "max", 0, 0) == "max(6, 2, 1, 4) = 6"
    assert explain_cell(LECTURE_GRID, 2, 2, "avg", 0, 0) == "(6 + 2 + 1 + 4) / 4 = 3.25"
    assert explain_cell(LECTURE_GRID, 2, 2, "avg", 0, 1) == "(3 + 2 + 5 + 1) / 4 = 2.75"
    assert explain_cell(LECTURE_GRID, 3, 1, "max", 1, 0) == "max(1, 4, 5, 1, 2, 3, 1, 0, 5) = 5"
    x = np.arange(36).reshape(6, 6)
    assert explain_cell(x, 4, 2, "max", 1, 1) == "max(14, 15, 16, 17, 20, 21, ..., 34, 35; 16 values) = 35"
    assert explain_cell(x, 4, 2, "avg", 0, 0).endswith(" + ... + 20 + 21) / 16 = 10.5")


@pytest.mark.parametrize("call, message", [
    (lambda: pool(LECTURE_GRID, 2, 2, "min"), "expected mode 'max' or 'avg', got 'min'"),
    (lambda: pool(np.zeros((1, 4, 4)), 2, 2, "max"), r"expected x to be a non-empty 2-D array of numbers \(H, W\), got shape \(1, 4, 4\)"),
    (lambda: pool(LECTURE_GRID, 5, 1, "max"), r"does not fit .* got 5 > 4"),
    (lambda: pool(LECTURE_GRID, 2, 0, "max"), "expected stride to be an int >= 1, got 0"),
    (lambda: explain_cell(LECTURE_GRID, 2, 2, "max", 2, 0), r"expected an output cell .* got \(2, 0\)"),
])
def test_bad_input_says_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def reference_pool2d(x, kernel_size, stride, mode):
    fn = F.max_pool2d if mode == "max" else F.avg_pool2d
    return fn(torch.as_tensor(x), kernel_size, stride).numpy()


def run_pool2d(fn, x, kernel_size, stride, mode):
    """A student's pool2d run as the explorer runs it."""
    return run_student(fn, (batch(x), kernel_size, stride, mode), expected=pool(x, kernel_size, stride, mode),
                       name="pool2d", wording=WORDING)


def test_run_student_checks_what_comes_back():
    result = run_pool2d(reference_pool2d, LECTURE_GRID, 2, 2, "avg")
    assert result.error is None and result.message == "all correct" and not result.differ.any()
    np.testing.assert_array_equal(result.output, [[3.25, 2.75], [1, 4.5]])
    result = run_pool2d(lambda *a: torch.as_tensor(reference_pool2d(*a)), LECTURE_GRID, 2, 2, "max")
    np.testing.assert_array_equal(result.output, [[6, 5], [2, 6]])  # a tensor is fine too
    assert run_pool2d(off_by_one, LECTURE_GRID, 2, 2, "max").message == "1/4 differ"

    def unfinished(x, kernel_size, stride, mode):
        raise NotImplementedError()

    for fn, message in [(lambda x, *a: x[0, 0, :2, :2], "expected an array of shape (1, 1, 2, 2), got shape (2, 2)"),
                        (lambda *a: None, "returned None: did you forget the `return` statement?"),
                        (unfinished, "NotImplementedError (the exercise is not done yet?)"),
                        (lambda *a: 1 / 0, "ZeroDivisionError: division by zero")]:
        result = run_pool2d(fn, LECTURE_GRID, 2, 2, "max")
        assert (result.output, result.differ, result.error, result.message) == (None, None, message, message)


# --------------------------------------------------------------------------- the widget


def info(e) -> str:
    [html] = find(e.widget, widgets.HTML)
    return html.value


def cell_buttons(e) -> list:
    [grid] = find(e.widget, widgets.GridBox)
    return list(grid.children)


def button(e, text: str) -> widgets.Button:
    [b] = [b for b in find(e.widget, widgets.Button) if b.description == text]
    return b


def outline(fig, gid: str, grid: str, scale=(1, 1)) -> tuple:
    """(row, col, height, width) of outline ``gid`` in cells (scaled) of the image ``grid``."""
    left, _, _, top = one(fig, grid).get_extent()
    rect = one(fig, gid)
    x, y = rect.get_xy()
    return tuple(round(v, 6) for v in ((y - top) / scale[0], (x - left) / scale[1],
                                       rect.get_height() / scale[0], rect.get_width() / scale[1]))


def numbers(fig, grid: str) -> list[str]:
    return one(fig, f"{grid}/numbers").get_label().split()


def text(fig, gid: str) -> str:
    """The text of artist ``gid``, wrapped lines joined."""
    return one(fig, gid).get_text().replace("\n", " ")


def title(fig, grid: str) -> str:
    return one(fig, f"{grid}/title").get_text()


def test_explorer_starts_on_the_lecture_grid():
    e = pooling_explorer()
    assert numbers(e.figure, "input") == [str(v) for v in LECTURE_GRID.ravel()]
    assert numbers(e.figure, "output") == ["6", "5", "2", "6"]
    assert outline(e.figure, "window", "input") == (0, 0, 2, 2)
    assert outline(e.figure, "cell", "output") == (0, 0, 1, 1)
    text = info(e)
    assert "max(6, 2, 1, 4) = 6" in text and "from input rows 0..1, cols 0..1" in text
    assert "output height = <code>floor((H - k) / s) + 1 = floor((4 - 2) / 2) + 1 = 2</code>" in text
    assert "output width = <code>floor((W - k) / s) + 1 = floor((4 - 2) / 2) + 1 = 2</code>" in text
    assert [b.description for b in cell_buttons(e)] == ["6", "5", "2", "6"]
    assert [b.button_style for b in cell_buttons(e)] == ["warning", "", "", ""]
    assert title(e.figure, "output") == "max pool, k=2, s=2: 2x2"
    assert len(artists(e.figure, "student/title")) == 0


def test_clicking_a_cell_button_selects_it_with_one_redraw():
    e = pooling_explorer()
    before = e.redraws
    cell_buttons(e)[3].click()  # output (1, 1)
    assert e.redraws == before + 1
    assert (e.controls["row"].value, e.controls["col"].value) == (1, 1)
    assert outline(e.figure, "window", "input") == (2, 2, 2, 2)
    assert outline(e.figure, "cell", "output") == (1, 1, 1, 1)
    assert "output (1, 1)</b> from input rows 2..3, cols 2..3: <code>max(3, 4, 5, 6) = 6</code>" in info(e)
    assert [b.button_style for b in cell_buttons(e)] == ["", "", "", "warning"]
    cell_buttons(e)[1].click()  # (0, 1): only the column changes
    assert e.redraws == before + 2
    assert "max(3, 2, 5, 1) = 5" in info(e)


def test_average_mode_changes_numbers_and_arithmetic():
    e = pooling_explorer()
    e.controls["mode"].value = "avg"
    assert numbers(e.figure, "output") == ["3.25", "2.75", "1", "4.5"]
    assert [b.description for b in cell_buttons(e)] == ["3.25", "2.75", "1", "4.5"]
    assert "(6 + 2 + 1 + 4) / 4 = 3.25" in info(e)
    assert title(e.figure, "output") == "avg pool, k=2, s=2: 2x2"


def test_kernel_and_stride_rebuild_the_grid_and_keep_the_selection_valid():
    e = pooling_explorer()
    cell_buttons(e)[3].click()
    e.controls["kernel_size"].value = 3  # stride 2: a single output
    assert len(cell_buttons(e)) == 1
    assert (e.controls["row"].value, e.controls["col"].value) == (0, 0)
    assert outline(e.figure, "window", "input") == (0, 0, 3, 3)
    assert "floor((4 - 3) / 2) + 1 = 1" in info(e)
    e.controls["stride"].value = 1
    assert [b.description for b in cell_buttons(e)] == ["6", "5", "5", "6"]
    cell_buttons(e)[2].click()  # (1, 0)
    assert outline(e.figure, "window", "input") == (1, 0, 3, 3)
    assert "max(1, 4, 5, 1, 2, 3, 1, 0, 5) = 5" in info(e)


def test_stride_larger_than_kernel_greys_the_skipped_cells():
    e = pooling_explorer(x=np.arange(36).reshape(6, 6))
    e.controls["stride"].value = 3
    colours = one(e.figure, "input").get_array()
    grey = np.abs(colours - colours[5, 5]).sum(-1) < 1e-9
    np.testing.assert_array_equal(grey, ~covered_cells((6, 6), 2, 3))
    assert numbers(e.figure, "output") == ["7", "10", "25", "28"]


def test_kernel_that_does_not_fit_gives_a_message():
    e = pooling_explorer()
    e.controls["kernel_size"].value = 5
    message = one(e.figure, "message").get_text()
    assert message == "Kernel 5 does not fit the 4x4 input: expected kernel size <= 4, got 5."
    assert "floor((4 - 5) / 2) + 1 = 0 (the kernel does not fit: no output)" in info(e)
    [picker] = [b for b in find(e.widget, widgets.VBox) if widgets.GridBox in map(type, b.children)]
    assert picker.layout.display == "none"
    e.controls["kernel_size"].value = 2
    assert picker.layout.display == "" and artists(e.figure, "message") == []


def test_random_inputs_and_the_new_random_button():
    e = pooling_explorer()
    e.controls["input"].value = "random 6x6"
    first = numbers(e.figure, "input")
    assert len(first) == 36 and len(cell_buttons(e)) == 9
    before = e.redraws
    button(e, "new random 6x6").click()
    assert e.redraws == before + 1
    assert numbers(e.figure, "input") != first
    e.controls["input"].value = "lecture 4x4"
    button(e, "new random 6x6").click()  # also switches to the random grid
    assert e.controls["input"].value == "random 6x6" and len(numbers(e.figure, "input")) == 36


def test_street_image_draws_images_and_uses_sliders():
    e = pooling_explorer()
    e.controls["input"].value = "street image"
    fig = e.figure
    assert not [a for a in fig.findobj() if str(a.get_gid()).endswith("/numbers")]  # no numbers drawn
    np.testing.assert_allclose(one(fig, "input").get_array(), street_image())
    np.testing.assert_allclose(one(fig, "output").get_array(), pool(street_image(), 2, 2, "max"))
    assert e.controls["row"].layout.display == "" and e.controls["row"].max == 47 and e.controls["col"].max == 79
    assert (e.controls["row"].value, e.controls["col"].value) == (24, 40)  # starts in the middle
    assert outline(fig, "window", "input") == (48, 80, 2, 2)
    assert outline(fig, "cell", "output", scale=(2, 2)) == (24, 40, 1, 1)  # output drawn at input scale
    e.controls["row"].value = 10
    assert "from input rows 20..21, cols 80..81" in info(e)
    e.controls["kernel_size"].value = 4
    e.controls["stride"].value = 4
    assert e.controls["row"].max == 23 and title(e.figure, "output") == "max pool, k=4, s=4: 24x40"
    assert (e.controls["row"].value, e.controls["col"].value) == (5, 20)  # the same place of the image
    assert "from input rows 20..23, cols 80..83" in info(e) and "; 16 values) = " in info(e)


def off_by_one(x, kernel_size, stride, mode):
    out = reference_pool2d(x, kernel_size, stride, mode).copy()
    out[0, 0, 0, 0] += 1
    return out


def test_student_output_is_shown_and_differences_marked():
    e = pooling_explorer(student_pool=reference_pool2d)
    assert title(e.figure, "student") == "your pool2d: all correct"
    assert numbers(e.figure, "student") == ["6", "5", "2", "6"]
    e = pooling_explorer(student_pool=off_by_one)
    assert title(e.figure, "student") == "your pool2d: 1/4 differ"
    assert numbers(e.figure, "student") == ["7", "5", "2", "6"]
    colours = one(e.figure, "student").get_array()
    assert not np.allclose(colours[0, 0], 1) and np.allclose(colours[[0, 1, 1], [1, 0, 1]], 1)  # only (0, 0) red
    cell_buttons(e)[3].click()
    assert outline(e.figure, "student cell", "student") == (1, 1, 1, 1)
    e.controls["input"].value = "street image"
    assert title(e.figure, "student").startswith("your pool2d: 1/3840 differ")
    red = one(e.figure, "differ").get_array()
    assert red[0, 0, 3] > 0 and red[..., 3].sum() == red[0, 0, 3]


def test_student_gets_a_batch_of_one_float_channel():
    calls = []

    def spy(x, kernel_size, stride, mode):
        calls.append((x.shape, x.dtype, kernel_size, stride, mode))
        return reference_pool2d(x, kernel_size, stride, mode)

    e = pooling_explorer(student_pool=spy)
    e.controls["mode"].value = "avg"
    cell_buttons(e)[1].click()  # a new cell: the student's function is not called again
    assert calls == [((1, 1, 4, 4), np.float64, 2, 2, "max"), ((1, 1, 4, 4), np.float64, 2, 2, "avg")]


def test_raising_student_function_shows_its_message():
    def unfinished(x, kernel_size, stride, mode):
        raise NotImplementedError()

    e = pooling_explorer(student_pool=unfinished)
    assert text(e.figure, "student/error") == "NotImplementedError (the exercise is not done yet?)"
    assert title(e.figure, "student") == "your pool2d: failed"
    assert "your pool2d: NotImplementedError" in info(e)
    assert numbers(e.figure, "output") == ["6", "5", "2", "6"]  # the reference still works
    e.controls["stride"].value = 1
    assert numbers(e.figure, "output") == ["6", "5", "5", "4", "5", "5", "2", "5", "6"]

    e = pooling_explorer(student_pool=lambda x, k, s, m: x[0, 0])
    assert text(e.figure, "student/error") == "expected an array of shape (1, 1, 2, 2), got shape (4, 4)"


def test_given_input_comes_first_and_bad_input_is_refused():
    e = pooling_explorer(x=np.arange(20).reshape(4, 5))
    assert e.controls["input"].options[0] == "your input 4x5"
    assert numbers(e.figure, "output") == ["6", "8", "16", "18"]
    with pytest.raises(ValueError, match=r"expected x to be a non-empty 2-D array of numbers \(H, W\), got shape \(2, 2, 2\)"):
        pooling_explorer(x=np.zeros((2, 2, 2)))
