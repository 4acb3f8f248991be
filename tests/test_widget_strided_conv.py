"""Strided-convolution explorer: output sizes and filter positions against torch, and the widget headless."""

import ipywidgets as widgets
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.widgets.strided_conv import (
    conv_output_size, conv_positions, conv_taps, output_size_formula, strided_conv_explorer)
from tests.widget_helpers import artists, find, one

RNG = np.random.default_rng(0)
COMBOS = [tuple(int(v) for v in RNG.integers((1, 1, 1, 0, 1), (14, 6, 5, 4, 4))) for _ in range(300)]


def fits(size, kernel, stride, padding, dilation) -> bool:
    return dilation * (kernel - 1) + 1 <= size + 2 * padding


def test_output_size_equals_conv2d():
    """300 random (size, kernel, stride, padding, dilation): the same size as conv2d, or both refuse."""
    for combo in COMBOS:
        size, kernel, stride, padding, dilation = combo
        if fits(*combo):
            x = torch.zeros(1, 1, size, size + 3)
            out = F.conv2d(x, torch.zeros(1, 1, kernel, kernel), stride=stride, padding=padding, dilation=dilation)
            assert (conv_output_size(size, kernel, stride, padding, dilation),
                    conv_output_size(size + 3, kernel, stride, padding, dilation)) == out.shape[2:], combo
        else:
            with pytest.raises(RuntimeError):
                F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel), stride=stride,
                         padding=padding, dilation=dilation)
            with pytest.raises(ValueError, match=r"does not fit .* got \d+ > \d+"):
                conv_output_size(size, kernel, stride, padding, dilation)
    assert sum(fits(*c) for c in COMBOS) > 150 and sum(not fits(*c) for c in COMBOS) > 10, "both cases covered"


def test_taps_are_where_conv1d_reads():
    """A one-hot filter at tap t copies the input at conv_taps[:, t] (0 where that is padding)."""
    for size, kernel, stride, padding, dilation in COMBOS[:120]:
        if not fits(size, kernel, stride, padding, dilation):
            continue
        x = torch.arange(1, size + 1, dtype=torch.float64).view(1, 1, size)
        taps = conv_taps(size, kernel, stride, padding, dilation)
        np.testing.assert_array_equal(taps[:, 0], conv_positions(size, kernel, stride, padding, dilation))
        for t in range(kernel):
            w = torch.zeros(1, 1, kernel, dtype=torch.float64)
            w[0, 0, t] = 1
            got = F.conv1d(x, w, stride=stride, padding=padding, dilation=dilation)[0, 0].numpy()
            inside = (taps[:, t] >= 0) & (taps[:, t] < size)
            expected = np.where(inside, np.clip(taps[:, t], 0, size - 1) + 1, 0)
            np.testing.assert_array_equal(got, expected, err_msg=f"{(size, kernel, stride, padding, dilation, t)}")


def test_positions_of_the_lecture_example():
    """3x3 filter, stride 2 on a 7-wide input: top-left taps at 0, 2, 4; padding 1 shifts them by -1."""
    assert conv_positions(7, 3, 2, 0).tolist() == [0, 2, 4]
    assert conv_positions(7, 3, 2, 1).tolist() == [-1, 1, 3, 5]
    assert conv_taps(7, 2, 1, 0, dilation=2)[1].tolist() == [1, 3]


def test_formula_text():
    assert output_size_formula(4, 2, 2) == "floor((H - k) / s) + 1 = floor((4 - 2) / 2) + 1 = 2"
    assert output_size_formula(7, 3, 2, 1, name="W") == (
        "floor((W + 2p - k) / s) + 1 = floor((7 + 2*1 - 3) / 2) + 1 = 4")
    assert output_size_formula(7, 3, 1, 0, 2) == (
        "floor((H - d(k - 1) - 1) / s) + 1 = floor((7 - 2*(3 - 1) - 1) / 1) + 1 = 3")
    assert output_size_formula(4, 5, 1).endswith("= 0 (the kernel does not fit: no output)")


def test_formula_value_is_the_output_size():
    for combo in COMBOS:
        text = output_size_formula(*combo)
        value = int(text.split(" = ")[2].split()[0])
        if fits(*combo):
            assert value == conv_output_size(*combo), (combo, text)
        else:
            assert value <= 0 and "does not fit" in text, (combo, text)


@pytest.mark.parametrize("kwargs, name", [({"kernel": 0}, "kernel"), ({"stride": 0}, "stride"),
                                          ({"padding": -1}, "padding"), ({"dilation": 0}, "dilation"),
                                          ({"size": 2.0}, "size"), ({"kernel": True}, "kernel")])
def test_bad_arguments_say_what_was_expected(kwargs, name):
    args = {"size": 5, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1} | kwargs
    for fn in (conv_output_size, conv_positions, output_size_formula):
        with pytest.raises(ValueError, match=rf"expected {name} to be an int >= \d, got"):
            fn(**args)


# --------------------------------------------------------------------------- the widget


def origin(fig, gid: str) -> tuple[float, float]:
    """(row, col) of cell (0, 0) of the grid drawn as image ``gid``."""
    left, _, _, top = one(fig, gid).get_extent()
    return top, left


def cell_box(fig, gid: str, grid: str) -> tuple[float, float, float, float]:
    """(row, col, height, width) of the outline ``gid`` in cells of the grid ``grid``."""
    rect = one(fig, gid)
    r0, c0 = origin(fig, grid)
    x, y = rect.get_xy()
    return tuple(round(v, 6) for v in (y - r0, x - c0, rect.get_height(), rect.get_width()))


def caption(fig) -> str:
    return one(fig, "caption").get_text()


def test_explorer_starts_on_the_lecture_example():
    e = strided_conv_explorer()
    html = find(e.widget, widgets.HTML)[0].value
    assert "floor((H - k) / s) + 1 = floor((7 - 3) / 2) + 1 = 3" in html
    assert "moves <b>2 positions</b> in the input" in html
    assert e.controls["position"].max == 8
    assert caption(e.figure) == "output (0, 0) <- input rows 0..2, cols 0..2"
    assert cell_box(e.figure, "footprint", "input") == (0, 0, 3, 3)
    assert cell_box(e.figure, "cell", "output") == (0, 0, 1, 1)
    assert artists(e.figure, "previous") == []  # nothing before the first position
    assert len(find(e.widget, widgets.Play)) == 1


def test_moving_one_output_position_moves_the_filter_by_the_stride():
    e = strided_conv_explorer()
    for position, (i, j) in [(1, (0, 1)), (4, (1, 1)), (8, (2, 2))]:
        before = e.redraws
        e.controls["position"].value = position
        assert e.redraws == before + 1
        rows, cols = f"{2 * i}..{2 * i + 2}", f"{2 * j}..{2 * j + 2}"
        assert caption(e.figure) == f"output ({i}, {j}) <- input rows {rows}, cols {cols}"
        assert cell_box(e.figure, "footprint", "input") == (2 * i, 2 * j, 3, 3)
        assert cell_box(e.figure, "cell", "output") == (i, j, 1, 1)
        pi, pj = divmod(position - 1, 3)
        assert cell_box(e.figure, "previous", "input") == (2 * pi, 2 * pj, 3, 3)
    out = one(e.figure, "output").get_array()
    assert out.shape[:2] == (3, 3)
    assert not np.allclose(out[0, 0], out[2, 2])  # cells done are coloured, the current one too


def test_padding_shows_in_the_grid_the_formula_and_the_positions():
    e = strided_conv_explorer()
    e.controls["position"].value = 5
    e.controls["padding"].value = 1
    html = find(e.widget, widgets.HTML)[0].value
    assert "floor((7 + 2*1 - 3) / 2) + 1 = 4" in html
    assert e.controls["position"].max == 15 and e.controls["position"].value == 5
    grid = one(e.figure, "input").get_array()
    assert grid.shape[:2] == (9, 9)
    assert np.allclose(grid[0, 4], grid[8, 4]) and not np.allclose(grid[0, 4], grid[4, 6])
    assert caption(e.figure) == "output (1, 1) <- input rows 1..3, cols 1..3"
    e.controls["position"].value = 0
    assert caption(e.figure) == "output (0, 0) <- input rows -1..1 incl. padding, cols -1..1 incl. padding"
    assert cell_box(e.figure, "footprint", "input") == (0, 0, 3, 3)  # the padded grid's corner


def test_dilation_spreads_the_taps():
    e = strided_conv_explorer(size=7, kernel=3, stride=1, padding=0, dilation=2)
    e.controls["position"].value = 4  # output 3x3 -> (1, 1)
    assert caption(e.figure) == "output (1, 1) <- input rows 1..5 (step 2), cols 1..5 (step 2)"
    grid = one(e.figure, "input").get_array()
    lit = np.abs(grid - 1).sum(-1) > 0.1  # not white
    expected = np.zeros((7, 7), bool)
    expected[np.ix_([1, 3, 5], [1, 3, 5])] = True
    np.testing.assert_array_equal(lit, expected)
    assert cell_box(e.figure, "footprint", "input") == (1, 1, 5, 5)


def test_a_smaller_output_clamps_the_position_with_one_redraw():
    e = strided_conv_explorer(size=7, kernel=3, stride=1)  # 5x5 outputs
    e.controls["position"].value = 24
    before = e.redraws
    e.controls["stride"].value = 3  # 2x2 outputs
    assert e.redraws == before + 1
    assert e.controls["position"].max == 3 and e.controls["position"].value == 3
    assert caption(e.figure) == "output (1, 1) <- input rows 3..5, cols 3..5"


def test_impossible_combination_shows_a_message_and_recovers():
    e = strided_conv_explorer(size=5, kernel=5, dilation=1)
    e.controls["dilation"].value = 2
    message = one(e.figure, "message").get_text()
    assert "does not fit" in message and "got 9 > 5" in message
    assert "(the kernel does not fit: no output)" in find(e.widget, widgets.HTML)[0].value
    e.controls["padding"].value = 2
    assert artists(e.figure, "message") == []
    assert caption(e.figure).startswith("output (0, 0) <- input rows -2..6 (step 2)")


def test_set_values_redraws_once():
    e = strided_conv_explorer()
    before = e.redraws
    e.set_values(stride=1, padding=1)
    assert e.redraws == before + 1
    assert e.controls["position"].max == 48  # 7 outputs per axis
    e.set_values(stride=1)  # nothing changes: no redraw
    assert e.redraws == before + 1
