"""The transposed-convolution stepper, the three-views and checkerboard figures, set headless."""

import contextlib
import io

import ipywidgets as widgets
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course import transposed_conv as tc
from course.widgets import transposed_conv as w
from course.widgets.core import Explorer, render_png


@pytest.fixture(autouse=True)
def _quiet_output():
    """Output.clear_output writes terminal escapes outside IPython."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def board(explorer_or_figure):
    figure = getattr(explorer_or_figure, "figure", explorer_or_figure)
    return figure.axes[0].board


def boxes(explorer, label: str) -> list:
    return [p for p in explorer.figure.axes[0].patches if p.get_label() == label]


def texts(figure) -> list[str]:
    """Every label drawn on the figure: board labels (glyph collections with the text as gid) and Text artists."""
    found = [t.get_text() for t in figure.texts]
    for ax in figure.axes:
        found += [c.get_gid() for c in ax.collections if c.get_gid()] + [t.get_text() for t in ax.texts]
        found.append(ax.get_title())
    return found


def torch_transposed(x, kernel, stride, padding, output_padding) -> np.ndarray:
    return F.conv_transpose2d(torch.as_tensor(x, dtype=torch.float64)[None, None],
                              torch.as_tensor(kernel, dtype=torch.float64)[None, None], stride=stride,
                              padding=padding, output_padding=output_padding)[0, 0].numpy()


def set_values(explorer: Explorer, **values) -> None:
    for name, value in values.items():
        explorer.controls[name].value = value


# ------------------------------------------------------------------ compute helpers


def test_demo_values_are_small_integers_no_flip_or_transpose_keeps():
    v = w.demo_values(3, 3)
    np.testing.assert_array_equal(v, [[1, 2, 3], [4, 1, 2], [3, 4, 1]])
    for n in (2, 3, 4):
        v = w.demo_values(n, n)
        assert v.min() >= 1 and v.max() <= n + 1
        for other in (v[::-1, ::-1], v.T, v[::-1], v[:, ::-1]):
            assert not np.array_equal(other, v)


def test_size_formula_fills_in_the_numbers():
    assert w.size_formula(3, 3, 2, 1, 1) == ("(input − 1)·stride − 2·padding + kernel + output padding = "
                                             "(3 − 1)·2 − 2·1 + 3 + 1 = 6")
    assert w.size_formula(2, 2, 1, 2, 0).endswith("= -1")  # never raises


def test_compare_student_reports_matches_differences_shapes_and_errors():
    x, kernel = w.demo_values(2, 2), w.demo_values(3, 3)
    expected = tc.scatter_steps(x, kernel, 2).output
    right = w.compare_student(F.conv_transpose2d, x, kernel, 2, 0, 0, expected)
    assert right.message == "matches the reference" and not right.differ.any() and right.error is None
    np.testing.assert_allclose(right.output, expected)

    def plus_one_numpy(x, weight, stride=1, padding=0, output_padding=0):
        return F.conv_transpose2d(x, weight, stride=stride).numpy() + (np.arange(25).reshape(1, 1, 5, 5) < 3)

    wrong = w.compare_student(plus_one_numpy, x, kernel, 2, 0, 0, expected)
    assert wrong.message == "3 of 25 cells differ (marked)"
    assert wrong.differ.sum() == 3 and wrong.differ[0, :3].all()

    shape = w.compare_student(lambda x, weight, **kw: x, x, kernel, 2, 0, 0, expected)
    assert shape.message == shape.error == "your function returned shape (1, 1, 2, 2), expected (1, 1, 5, 5)"
    assert shape.output is None

    def unfinished(x, weight, stride=1, padding=0, output_padding=0):
        raise NotImplementedError()

    assert w.compare_student(unfinished, x, kernel, 2, 0, 0, expected).message == \
        "your function raised NotImplementedError"
    none = w.compare_student(lambda *a, **k: None, x, kernel, 2, 0, 0, expected).message
    assert none == "your function returned None: did you forget the `return` statement?"


# ------------------------------------------------------------------ the stepper


def test_stepper_starts_in_the_lecture_setting():
    explorer = w.transposed_conv_stepper()
    assert explorer.values() == {"kernel": 3, "stride": 2, "padding": 0, "output_padding": 0,
                                 "input_size": 2, "step": 0}
    assert explorer.controls["step"].max == 4
    html = explorer.widget.children[-2].value
    assert "(2 − 1)·2 − 2·0 + 3 + 0 = 5" in html and "step 0 of 4" in html
    b = board(explorer)
    np.testing.assert_array_equal(b.values["input"], w.demo_values(2, 2))
    np.testing.assert_array_equal(b.values["kernel"], w.demo_values(3, 3))
    assert np.isnan(b.values["output"]).all(), "nothing added at step 0"
    assert not boxes(explorer, "current input") and not boxes(explorer, "footprint")


def test_play_is_linked_to_the_step_slider_and_follows_its_range():
    explorer = w.transposed_conv_stepper()
    play = next(c for box in explorer.widget.children if isinstance(box, widgets.HBox)
                for c in box.children if isinstance(c, widgets.Play))
    assert play.max == 4
    explorer.controls["input_size"].value = 3
    assert play.max == explorer.controls["step"].max == 9


@pytest.mark.parametrize("kernel, stride, padding, output_padding, size",
                         [(3, 2, 0, 0, 2), (3, 2, 1, 1, 3), (2, 3, 0, 2, 3), (4, 1, 2, 0, 4), (3, 3, 2, 1, 2)])
def test_each_step_adds_value_times_kernel_and_the_last_equals_torch(kernel, stride, padding, output_padding,
                                                                     size):
    explorer = w.transposed_conv_stepper()
    set_values(explorer, kernel=kernel, stride=stride, padding=padding, output_padding=output_padding,
               input_size=size)
    x, k = w.demo_values(size, size), w.demo_values(kernel, kernel)
    full = (size - 1) * stride + kernel + output_padding
    running = np.zeros((full, full))
    for step in range(1, size * size + 1):
        explorer.controls["step"].value = step
        i, j = divmod(step - 1, size)
        running[i * stride:i * stride + kernel, j * stride:j * stride + kernel] += x[i, j] * k
        b = board(explorer)
        shown = b.values["output"]
        written = ~np.isnan(shown)
        np.testing.assert_array_equal(shown[written], running[written])
        np.testing.assert_array_equal(b.values["scaled"], x[i, j] * k)
        # the highlighted input follows the step, the footprint sits stride cells further per input
        (current,), (footprint,) = boxes(explorer, "current input"), boxes(explorer, "footprint")
        assert current.get_xy() == b.places["input"].corner(i, j)
        assert footprint.get_xy() == b.places["output"].corner(i * stride, j * stride)
        assert (footprint.get_width(), footprint.get_height()) == (kernel, kernel)
        assert f"input: x[{i}, {j}] = {x[i, j]}" in texts(explorer.figure)
    expected = torch_transposed(x, k, stride, padding, output_padding)
    shown = board(explorer).values["output"]
    kept = shown[padding:padding + expected.shape[0], padding:padding + expected.shape[1]]
    np.testing.assert_array_equal(np.nan_to_num(kept), expected)
    assert f"rows {padding}–{padding + expected.shape[0] - 1}" in explorer.widget.children[-2].value


def test_the_kept_output_is_outlined_when_padding_crops():
    explorer = w.transposed_conv_stepper()
    assert not boxes(explorer, "kept output")
    set_values(explorer, padding=1, output_padding=1, step=4)
    (kept,) = boxes(explorer, "kept output")
    place = board(explorer).places["output"]
    assert kept.get_xy() == place.corner(1, 1)
    assert (kept.get_width(), kept.get_height()) == (4, 4)  # (2 - 1) * 2 - 2 + 3 + 1
    assert "output: all inputs added\ndashed: kept after cropping, grey: output padding" in texts(explorer.figure)


def test_overlap_counts_panel_matches_the_compute_function():
    explorer = w.transposed_conv_stepper()
    set_values(explorer, input_size=3)
    np.testing.assert_array_equal(board(explorer).values["counts"], tc.overlap_counts(3, 3, 2))
    assert "overlap count\n(1–4 copies per pixel)" in texts(explorer.figure)


def test_the_formula_text_updates_with_the_controls():
    explorer = w.transposed_conv_stepper()
    html = explorer.widget.children[-2]
    explorer.controls["stride"].value = 3
    assert "(2 − 1)·3 − 2·0 + 3 + 0 = 6" in html.value
    set_values(explorer, padding=1, output_padding=2, input_size=4)
    assert "(4 − 1)·3 − 2·1 + 3 + 2 = 12" in html.value


def test_impossible_combinations_give_a_message_not_an_exception():
    explorer = w.transposed_conv_stepper()
    html = explorer.widget.children[-2]
    explorer.controls["output_padding"].value = 2  # stride is 2
    assert "Impossible combination" in html.value
    assert "expected output_padding &lt; 2, got output_padding=2" in html.value
    assert any("expected output_padding < 2, got output_padding=2" in t for t in texts(explorer.figure))
    set_values(explorer, output_padding=0, stride=1, kernel=2, padding=2)
    assert "the output would be empty" in html.value and "= -1" in html.value
    explorer.controls["padding"].value = 0  # valid again: the grids come back
    assert "Impossible" not in html.value and board(explorer).values["output"].shape == (3, 3)


def test_a_smaller_input_clips_the_step_with_one_redraw():
    explorer = w.transposed_conv_stepper()
    set_values(explorer, input_size=3, step=9)
    before = explorer.redraws
    explorer.controls["input_size"].value = 2
    assert explorer.redraws == before + 1
    assert explorer.controls["step"].value == explorer.controls["step"].max == 4
    assert boxes(explorer, "current input")[0].get_xy() == board(explorer).places["input"].corner(1, 1)


def test_student_panel_matches_marks_differences_and_shows_errors():
    right = w.transposed_conv_stepper(student_fn=F.conv_transpose2d)
    assert "your conv_transpose2d:\nmatches the reference" in texts(right.figure)
    np.testing.assert_allclose(board(right).values["student"], torch_transposed(
        w.demo_values(2, 2), w.demo_values(3, 3), 2, 0, 0))
    assert not boxes(right, "differs")

    def flipped(x, weight, stride=1, padding=0, output_padding=0):
        return F.conv_transpose2d(x, weight.flip(-1, -2), stride=stride, padding=padding,
                                  output_padding=output_padding)

    wrong = w.transposed_conv_stepper(student_fn=flipped)
    set_values(wrong, padding=1, output_padding=1)
    x, k = w.demo_values(2, 2), w.demo_values(3, 3)
    differs = torch_transposed(x, k[::-1, ::-1].copy(), 2, 1, 1) != torch_transposed(x, k, 2, 1, 1)
    marked = boxes(wrong, "differs")
    assert len(marked) == differs.sum() > 0
    place = board(wrong).places["student"]
    assert {m.get_xy() for m in marked} == {place.corner(i, j) for i, j in np.argwhere(differs)}
    title = f"your conv_transpose2d:\n{differs.sum()} of {differs.size} cells differ (marked)"
    assert title in texts(wrong.figure)

    def unfinished(x, weight, stride=1, padding=0, output_padding=0):
        raise NotImplementedError("write conv_transpose2d first")

    raising = w.transposed_conv_stepper(student_fn=unfinished)
    raising.controls["step"].value = 4  # the rest of the widget still works
    assert "your function raised\nNotImplementedError: write\nconv_transpose2d first" in texts(raising.figure)
    assert "student" not in board(raising).values


# ------------------------------------------------------------------ the figures


def test_three_views_agree_and_show_the_zero_inserted_input_and_the_matrix():
    rng = np.random.default_rng(0)
    x, kernel = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    fig = w.three_views_figure(x, kernel, stride=2, padding=1, output_padding=1)
    expected = torch_transposed(x, kernel, 2, 1, 1)
    results = fig.axes[:3]
    for ax in results:
        np.testing.assert_allclose(ax.board.values["result"], expected, atol=1e-12)
    assert [ax.get_title().split("\n")[0] for ax in results] == \
        ["1. scatter-add", "2. zero insertion + conv", "3. Cᵀ · x"]
    for ax in results[1:]:
        difference = float(ax.get_title().split("= ")[-1])
        assert difference < 1e-12
    zero = tc.zero_insertion_view(x, kernel, 2, 1, 1)
    np.testing.assert_array_equal(fig.axes[4].board.values["padded"], zero.padded)
    np.testing.assert_array_equal(fig.axes[4].board.values["flipped"], kernel[::-1, ::-1])
    matrix = fig.axes[5].images[0].get_array()
    assert matrix.shape == (12, expected.size)
    np.testing.assert_allclose(matrix, tc.conv_matrix(expected.shape, kernel, 2, 1))
    assert "largest difference between them: " in fig._suptitle.get_text()
    assert len(render_png(fig)) > 1000


def test_checkerboard_figure_shows_every_layer_before_and_after_training():
    demo = tc.checkerboard_demo(seed=0, steps=5)
    fig = w.checkerboard_figure(demo)
    axes = np.array(fig.axes).reshape(3, 4)
    for column, name in zip(axes.T, tc.UPSAMPLERS):
        for ax, image in ((column[1], demo.initial[name]), (column[2], demo.trained[name])):
            np.testing.assert_allclose(ax.images[0].get_array(), image)
            assert ax.get_title() == f"checkerboard {tc.checkerboard_strength(image):.2f}"
        assert column[2].get_xlabel() == f"training loss {demo.losses[name]:.0e}"
        assert w.CHECKERBOARD_TITLES[name] in [text.get_text() for text in column[0].texts]
    np.testing.assert_array_equal(axes[0, 0].board.values["overlap"], demo.overlaps["k3s2"])
    assert [ax.get_title() for ax in axes[0, :3]] == ["inside the border: 1, 2, 4", "inside the border: 4",
                                                      "inside the border: 1"]
    assert len(render_png(fig)) > 1000


# ------------------------------------------------------------------ benchmark cases
