"""Unpooling explorer (lesson 03): compute against torch.nn.functional, the lecture's example,
headless interactions and the comparison with a student's functions."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.widgets import unpooling as u

LECTURE_POOLED = [[6, 5], [2, 6]]
LECTURE_INDICES = [[0, 6], [9, 15]]
LECTURE_OUTPUT = [[2, 0, 0, 0], [0, 0, 4, 0], [0, 1, 0, 0], [0, 0, 0, 3]]


def _torch_pool(x, kernel, stride):
    out, idx = F.max_pool2d(torch.as_tensor(x, dtype=torch.float64)[None, None], kernel, stride,
                            return_indices=True)
    return out[0, 0].numpy(), idx[0, 0].numpy()


def _random_pooling(rng):
    h, w = (int(v) for v in rng.integers(1, 10, size=2))
    kernel = (int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1)))
    stride = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    if rng.random() < 0.5 and kernel[0] == kernel[1] and stride[0] == stride[1]:
        kernel, stride = kernel[0], stride[0]  # ints as well as pairs
    return (h, w), kernel, stride


@pytest.fixture
def one_thread():
    """torch's CPU max_unpool2d keeps the last of repeated indices only on one thread (PyTorch
    documents repeats as nondeterministic; with more threads the kept value varies)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _image(fig, label):
    """The colour image of panel ``label`` (the figure is one axes in cell units)."""
    return next(im for im in fig.axes[0].images if im.get_gid() == label)


def _drawn(fig, label, kind="value"):
    """The numbers written in the cells of the panel ``label``, as a grid of strings."""
    image = _image(fig, label)
    left, _, _, top = image.get_extent()
    grid = np.full(image.get_array().shape[:2], "", dtype=object)
    for collection in fig.axes[0].collections:
        panel, what, text = (collection.get_gid() or "//").split("/", 2)
        if (panel, what) == (label, kind):
            for x, y in collection.get_offsets():
                grid[int(y - top), int(x - left)] = text
    return grid


def _colour(fig, label, i, j):
    return tuple(np.asarray(_image(fig, label).get_array()[i, j]))


def _stamped(fig):
    """(panel, kind, text) of every piece of text drawn as glyph paths, in drawing order."""
    return [tuple(c.get_gid().split("/", 2)) for c in fig.axes[0].collections if (c.get_gid() or "").count("/") >= 2]


def _gid_texts(fig, gid):
    return [text for panel, kind, text in _stamped(fig) if f"{panel}/{kind}" == gid]


def _title(fig, label):
    (title,) = _gid_texts(fig, f"{label}/title")
    return title


def _panels(fig):
    return [panel for panel, kind, _ in _stamped(fig) if kind == "title"]


def _differ(fig, label):
    """(row, col) of the cells marked as different in panel ``label``."""
    left, _, _, top = _image(fig, label).get_extent()
    return sorted((int(p.get_y() - top), int(p.get_x() - left)) for p in fig.axes[0].patches
                  if p.get_gid() == f"{label}/differ")


def _figure_texts(fig):
    return [t.get_text() for t in fig.texts] + ([text for *_, text in _stamped(fig)] if fig.axes else [])


def _as_text(grid):
    return np.asarray(grid).astype(int).astype(str)


# ---------------------------------------------------------------------------- compute


def test_the_lecture_example_exactly():
    pooled, indices = u.max_pool_with_positions(u.LECTURE_X, 2, 2)
    np.testing.assert_array_equal(pooled, LECTURE_POOLED)
    np.testing.assert_array_equal(indices, LECTURE_INDICES)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(u.max_unpool(u.LECTURE_VALUES, indices, (4, 4)), LECTURE_OUTPUT)
    result = u.unpool("max unpooling", u.LECTURE_VALUES, x=u.LECTURE_X, kernel_size=2, stride=2)
    np.testing.assert_array_equal(result.output, LECTURE_OUTPUT)
    np.testing.assert_array_equal(result.source, [[0, -1, -1, -1], [-1, -1, 1, -1], [-1, 2, -1, -1],
                                                  [-1, -1, -1, 3]])


@pytest.mark.parametrize("seed", range(40))
def test_max_pooling_values_and_indices_match_torch(seed):
    rng = np.random.default_rng(seed)
    shape, kernel, stride = _random_pooling(rng)
    # small integers make ties frequent; torch picks the first maximum in row-major window order
    x = rng.integers(0, 3, size=shape) if seed % 2 else rng.normal(size=shape)
    pooled, indices = u.max_pool_with_positions(x, kernel, stride)
    expected, expected_indices = _torch_pool(x, kernel, stride)
    np.testing.assert_array_equal(pooled, expected)
    np.testing.assert_array_equal(indices, expected_indices)
    assert pooled.dtype == x.dtype


def test_ties_go_to_the_first_maximum_in_row_major_order_as_in_torch():
    x = np.array([[1, 3, 3], [3, 2, 3], [0, 3, 3]])
    for kernel, stride in [(2, 1), (3, 1), ((2, 3), 1), (2, 2)]:
        _, indices = u.max_pool_with_positions(x, kernel, stride)
        np.testing.assert_array_equal(indices, _torch_pool(x, kernel, stride)[1])
    _, indices = u.max_pool_with_positions(np.ones((4, 4)), 2)
    np.testing.assert_array_equal(indices, [[0, 2], [8, 10]])  # the top-left of every window


def test_nan_is_the_maximum_and_the_last_nan_wins_as_in_torch():
    x = np.array([[1.0, np.nan, 0.0], [3.0, np.nan, 5.0], [np.nan, 2.0, 1.0]])
    for kernel, stride in [(2, 1), (3, 1), (2, 2), (1, 1)]:
        pooled, indices = u.max_pool_with_positions(x, kernel, stride)
        expected, expected_indices = _torch_pool(x, kernel, stride)
        np.testing.assert_array_equal(pooled, expected)  # NaN == NaN here
        np.testing.assert_array_equal(indices, expected_indices)


@pytest.mark.parametrize("seed", range(30))
def test_max_unpooling_matches_torch_including_overlapping_windows(seed, one_thread):
    rng = np.random.default_rng(100 + seed)
    shape, kernel, stride = _random_pooling(rng)
    x = rng.integers(0, 4, size=shape)
    _, indices = u.max_pool_with_positions(x, kernel, stride)
    values = rng.normal(size=indices.shape).astype(np.float32)
    got = u.max_unpool(values, indices, shape)
    expected = F.max_unpool2d(torch.as_tensor(values)[None, None], torch.as_tensor(indices)[None, None],
                              kernel, stride, output_size=shape)[0, 0].numpy()
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float32


def test_max_unpooling_of_any_indices_keeps_the_last_value_per_cell_as_torch(one_thread):
    rng = np.random.default_rng(7)
    indices = rng.integers(0, 6, size=(2, 3))  # repeats
    assert len(np.unique(indices)) < indices.size
    values = np.arange(1.0, 7.0).reshape(2, 3)
    expected = F.max_unpool2d(torch.as_tensor(values)[None, None], torch.as_tensor(indices)[None, None],
                              1, output_size=(2, 3))[0, 0].numpy()
    got = u.max_unpool(values, indices, (2, 3))
    np.testing.assert_array_equal(got, expected)
    for cell in np.unique(indices):
        assert got.flat[cell] == values[indices == cell][-1]


@pytest.mark.parametrize("seed", range(12))
def test_nearest_unpooling_matches_interpolate_nearest(seed):
    rng = np.random.default_rng(200 + seed)
    x = rng.normal(size=tuple(rng.integers(1, 6, size=2)))
    factor = int(rng.integers(1, 5)) if seed % 3 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    expected = F.interpolate(torch.as_tensor(x)[None, None], scale_factor=factor, mode="nearest")[0, 0]
    np.testing.assert_array_equal(u.nearest_unpool(x, factor), expected.numpy())


@pytest.mark.parametrize("seed", range(12))
def test_bed_of_nails_matches_a_strided_transposed_convolution_with_a_top_left_one(seed):
    rng = np.random.default_rng(300 + seed)
    x = rng.normal(size=tuple(rng.integers(1, 6, size=2)))
    fh, fw = (int(v) for v in rng.integers(1, 5, size=2))
    nail = torch.zeros(1, 1, fh, fw, dtype=torch.float64)
    nail[0, 0, 0, 0] = 1
    expected = F.conv_transpose2d(torch.as_tensor(x)[None, None], nail, stride=(fh, fw))[0, 0].numpy()
    np.testing.assert_array_equal(u.bed_of_nails_unpool(x, (fh, fw)), expected)
    if fh == fw:
        np.testing.assert_array_equal(u.bed_of_nails_unpool(x, fh), expected)


def test_the_three_methods_on_the_lecture_values():
    np.testing.assert_array_equal(u.nearest_unpool(u.LECTURE_VALUES, 2),
                                  [[2, 2, 4, 4], [2, 2, 4, 4], [1, 1, 3, 3], [1, 1, 3, 3]])
    np.testing.assert_array_equal(u.bed_of_nails_unpool(u.LECTURE_VALUES, 2),
                                  [[2, 0, 4, 0], [0, 0, 0, 0], [1, 0, 3, 0], [0, 0, 0, 0]])
    result = u.unpool("bed of nails", u.LECTURE_VALUES, 3)
    assert result.output.shape == (6, 6) and result.block == (3, 3)
    np.testing.assert_array_equal(result.source[::3, ::3], [[0, 1], [2, 3]])
    assert (result.source >= 0).sum() == 4
    np.testing.assert_array_equal(u.unpool("nearest neighbour", u.LECTURE_VALUES, 3).source,
                                  np.kron([[0, 1], [2, 3]], np.ones((3, 3), int)))


def test_pooled_shape_handles_odd_sizes_and_stride_larger_than_kernel():
    assert u.pooled_shape((5, 7), 2) == (2, 3)
    assert u.pooled_shape((5, 7), 2, 3) == (2, 2)
    assert u.pooled_shape((5, 7), (3, 2), (1, 2)) == (3, 3)


@pytest.mark.parametrize("call, message", [
    (lambda: u.max_pool_with_positions(np.zeros((2, 2, 2)), 2), r"expected x to be a non-empty 2-D array of numbers \(H, W\), got shape \(2, 2, 2\)"),
    (lambda: u.max_pool_with_positions(np.zeros((4, 4)), 0), r"expected kernel_size to be an int or a pair of ints >= 1 \(rows, cols\), got 0"),
    (lambda: u.max_pool_with_positions(np.zeros((4, 4)), 2.5), "got 2.5"),
    (lambda: u.max_pool_with_positions(np.zeros((4, 4)), True), "got True"),
    (lambda: u.max_pool_with_positions(np.zeros((4, 4)), 2, 0), r"expected stride to be an int or a pair of ints >= 1 \(rows, cols\), got 0"),
    (lambda: u.max_pool_with_positions(np.zeros((2, 4)), 3), "a 3×3 kernel needs an input of at least 3×3, got 2×4"),
    (lambda: u.max_pool_with_positions(np.array([["a"]]), 1), r"expected x to be a non-empty 2-D array of numbers \(H, W\), got shape \(1, 1\) and dtype <U1"),
    (lambda: u.max_unpool(np.ones((2, 2)), np.zeros((2, 3), int), (4, 4)),
     r"shape of values \(2, 2\), got \(2, 3\)"),
    (lambda: u.max_unpool(np.ones((1, 2)), np.array([[0, 16]]), (4, 4)),
     r"must lie in \[0, 16\) for an output of shape \(4, 4\), got values 0..16"),
    (lambda: u.max_unpool(np.ones((1, 1)), np.array([[0.0]]), (4, 4)), "must be integers, got dtype float64"),
    (lambda: u.max_unpool(np.ones((1, 1)), np.array([[0]]), (4, 0)), r"expected output_shape to be a pair of ints >= 1 \(rows, cols\), got \(4, 0\)"),
    (lambda: u.nearest_unpool(np.ones((2, 2)), 0), r"expected factor to be an int or a pair of ints >= 1 \(rows, cols\), got 0"),
    (lambda: u.bed_of_nails_unpool(np.ones(3), 2), r"got shape \(3,\)"),
    (lambda: u.unpool("bilinear", np.ones((2, 2))), "method must be one of .* got 'bilinear'"),
    (lambda: u.unpool("max unpooling", np.ones((2, 2))), "max unpooling needs x"),
    (lambda: u.unpool("max unpooling", np.ones((2, 2)), x=np.ones((4, 4)), kernel_size=2, stride=1),
     "needs values of the pooled shape 3×3, got 2×2"),
])
def test_bad_input_gets_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_parse_grid_reads_rows_in_several_spellings():
    expected = [[6, 2, 3], [1, -4, 5]]
    for text in ["6 2 3\n1 -4 5", "6, 2, 3\n\n 1,-4,5 \n", "6\t2\t3\n1\t-4\t5", "[[6, 2, 3], [1, -4, 5]]",
                 "6 2 3; 1 -4 5", "[6, 2, 3],\n[1, -4, 5]"]:
        np.testing.assert_array_equal(u.parse_grid(text), expected, err_msg=repr(text))
    np.testing.assert_array_equal(u.parse_grid(u.format_grid(u.LECTURE_X)), u.LECTURE_X)


@pytest.mark.parametrize("text, message", [
    ("", "x: expected rows of whole numbers, got an empty text"),
    ("1 2\n3 4.5", r"x, row 2: expected whole numbers between -999 and 999, got '4.5'"),
    ("1 2 3\n4 5", "every row needs the same number of values, got rows of 3, 2"),
    ("1 2\n3 1000", "got '1000'"),
    ("\n".join(["1 " * 9] * 2), "expected at most 8×8, got 2×9"),
])
def test_parse_grid_explains_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        u.parse_grid(text, "x")


def test_random_examples_are_seeded_small_and_fit_the_pooling():
    for seed in range(20):
        for kernel, stride in [(2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (3, 3)]:
            x, values = u.random_example(seed, kernel, stride)
            assert max(x.shape) <= u.MAX_SIDE and min(x.shape) >= kernel
            assert values.shape == u.pooled_shape(x.shape, kernel, stride)
            assert 1 <= values.min() and values.max() <= 9
    a, b = u.random_example(3), u.random_example(3)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(u.random_example(3)[0], u.random_example(4)[0])


# ---------------------------------------------------------------------------- the explorer


def test_the_explorer_starts_on_the_lecture_example():
    e = u.unpooling_explorer()
    fig = e.figure
    np.testing.assert_array_equal(_drawn(fig, "x"), _as_text(u.LECTURE_X))
    np.testing.assert_array_equal(_drawn(fig, "pooled"), _as_text(LECTURE_POOLED))
    np.testing.assert_array_equal(_drawn(fig, "pooled", "index"), [["@0", "@6"], ["@9", "@15"]])
    np.testing.assert_array_equal(_drawn(fig, "values"), _as_text(u.LECTURE_VALUES))
    np.testing.assert_array_equal(_drawn(fig, "output"), _as_text(LECTURE_OUTPUT))
    # colours connect each value to where it lands and to the maximum it replaces
    for (i, j), (oi, oj) in [((0, 0), (0, 0)), ((0, 1), (1, 2)), ((1, 0), (2, 1)), ((1, 1), (3, 3))]:
        colour = _colour(fig, "values", i, j)
        assert colour != (1.0, 1.0, 1.0)
        assert _colour(fig, "output", oi, oj) == colour == _colour(fig, "x", oi, oj) == _colour(fig, "pooled", i, j)
    assert _colour(fig, "output", 0, 1) == (1.0, 1.0, 1.0)
    assert "max pool\n2×2, stride 2" in _figure_texts(fig)
    assert "x 4×4 → 2×2" in e.status.value and "→ 4×4" in e.status.value
    assert e.controls["factor"].disabled and not e.controls["kernel"].disabled
    assert fig.get_size_inches()[0] <= 8.0 + 1e-9 and fig.get_size_inches()[1] <= 3.5


def test_switching_the_method_draws_the_right_output():
    e = u.unpooling_explorer()
    e.controls["method"].value = "nearest neighbour"
    np.testing.assert_array_equal(_drawn(e.figure, "output"),
                                  _as_text([[2, 2, 4, 4], [2, 2, 4, 4], [1, 1, 3, 3], [1, 1, 3, 3]]))
    assert _panels(e.figure) == ["values", "output"]
    assert not e.controls["factor"].disabled and e.controls["kernel"].disabled and e.controls["stride"].disabled
    e.controls["method"].value = "bed of nails"
    np.testing.assert_array_equal(_drawn(e.figure, "output"),
                                  _as_text([[2, 0, 4, 0], [0, 0, 0, 0], [1, 0, 3, 0], [0, 0, 0, 0]]))
    e.controls["factor"].value = 3
    np.testing.assert_array_equal(_drawn(e.figure, "output"), _as_text(u.bed_of_nails_unpool(u.LECTURE_VALUES, 3)))
    assert "2×2 → 6×6" in e.status.value
    e.controls["method"].value = "nearest neighbour"
    np.testing.assert_array_equal(_drawn(e.figure, "output"), _as_text(u.nearest_unpool(u.LECTURE_VALUES, 3)))
    assert _colour(e.figure, "output", 5, 5) == _colour(e.figure, "values", 1, 1)
    e.controls["method"].value = "max unpooling"
    np.testing.assert_array_equal(_drawn(e.figure, "output"), _as_text(LECTURE_OUTPUT))


def test_kernel_and_stride_change_the_pooling_and_mismatched_values_get_a_message():
    e = u.unpooling_explorer()
    e.controls["kernel"].value = 3
    e.controls["stride"].value = 1  # 4×4 -> 2×2 again, with overlapping windows
    pooled, indices = u.max_pool_with_positions(u.LECTURE_X, 3, 1)
    np.testing.assert_array_equal(_drawn(e.figure, "pooled"), _as_text(pooled))
    np.testing.assert_array_equal(_drawn(e.figure, "output"),
                                  _as_text(u.max_unpool(u.LECTURE_VALUES, indices, (4, 4))))
    assert "max pool\n3×3, stride 1" in _figure_texts(e.figure)
    assert "taken cell" in e.status.value  # two windows chose the same 6: one value is lost
    e.controls["kernel"].value = 2  # 4×4 -> 3×3 but the values are 2×2
    assert "pooled shape 3×3, got 2×2" in e.status.value
    assert any("pooled shape 3×3, got 2×2" in t for t in _figure_texts(e.figure))
    e.controls["values_text"].value = "1 2 3\n4 5 6\n7 8 9"
    assert _drawn(e.figure, "values").shape == (3, 3) and "→ 4×4" in e.status.value


def test_randomise_draws_a_new_seeded_input_in_one_redraw():
    e = u.unpooling_explorer(seed=5)
    before, redraws = e.controls["x_text"].value, e.redraws
    e.randomise.click()
    assert e.redraws == redraws + 1
    x, values = u.random_example(6, 2, 2)
    assert e.controls["x_text"].value == u.format_grid(x) != before
    assert e.controls["values_text"].value == u.format_grid(values)
    np.testing.assert_array_equal(_drawn(e.figure, "x"), _as_text(x))
    np.testing.assert_array_equal(_drawn(e.figure, "output"),
                                  _as_text(u.max_unpool(values, u.max_pool_with_positions(x, 2)[1], x.shape)))
    e.randomise.click()
    assert e.controls["x_text"].value == u.format_grid(u.random_example(7, 2, 2)[0])


def test_bad_text_gives_a_message_instead_of_an_exception():
    e = u.unpooling_explorer()
    e.controls["x_text"].value = "6 2 3\n1 4"
    assert "x: every row needs the same number of values, got rows of 3, 2" in e.status.value
    assert any(t.get_gid() == "message" and "rows of 3, 2" in t.get_text() for t in e.figure.texts)
    e.controls["x_text"].value = "1 2"
    assert "a 2×2 kernel needs an input of at least 2×2, got 1×2" in e.status.value
    e.controls["x_text"].value = u.format_grid(u.LECTURE_X)
    e.controls["values_text"].value = "two"
    assert "values, row 1: expected whole numbers between -999 and 999, got 'two'" in e.status.value
    e.controls["values_text"].value = "<b>2</b>"
    assert "got '&lt;b&gt;2&lt;/b&gt;'" in e.status.value  # shown as typed, not as HTML
    e.controls["values_text"].value = "[[2, 4], [1, 3]]"
    np.testing.assert_array_equal(_drawn(e.figure, "output"), _as_text(LECTURE_OUTPUT))


def _torch_fns():
    """The lesson's four exercises done right with PyTorch: NumPy (1, 1, H, W) in and out."""
    t = torch.from_numpy

    def max_pool2d_with_indices(x, k, stride=None):
        return tuple(a.numpy() for a in F.max_pool2d(t(x), k, stride, return_indices=True))

    def max_unpool2d(x, indices, k, stride=None, output_size=None):
        return F.max_unpool2d(t(x), t(indices), k, stride, output_size=output_size).numpy()

    def bed_of_nails_upsample(x, f):
        nail = F.pad(torch.ones(1, 1, 1, 1, dtype=torch.float64), (0, f - 1, 0, f - 1))
        return F.conv_transpose2d(t(x), nail, stride=f).numpy()

    return {"max_pool2d_with_indices": max_pool2d_with_indices, "max_unpool2d": max_unpool2d,
            "nearest_upsample": lambda x, f: F.interpolate(t(x), scale_factor=f, mode="nearest").numpy(),
            "bed_of_nails_upsample": bed_of_nails_upsample}


def test_right_student_functions_match_in_every_method():
    e = u.unpooling_explorer(_torch_fns())
    for method, labels in [("max unpooling", {"your pooled", "your output"}), ("nearest neighbour", {"your output"}),
                           ("bed of nails", {"your output"})]:
        for factor in (2, 3):
            e.controls["method"].value, e.controls["factor"].value = method, factor
            fig = e.figure
            assert {label for label in _panels(fig) if label.startswith("your")} == labels
            for label in labels:
                assert _title(fig, label).endswith("matches ✓") and not _differ(fig, label), (method, label)
                np.testing.assert_array_equal(_drawn(fig, label), _drawn(fig, label.removeprefix("your ")))
    e.controls["method"].value = "max unpooling"
    np.testing.assert_array_equal(_drawn(e.figure, "your pooled", "index"), [["@0", "@6"], ["@9", "@15"]])


def test_wrong_and_raising_student_functions_are_marked_not_raised():
    def wrong_pool(x, k, stride=None):  # remembers the wrong position in the top row of windows
        out, idx = _torch_fns()["max_pool2d_with_indices"](x, k, stride)
        return out, idx + np.array([[1, 1], [0, 0]])

    def wrong_nearest(x, f):  # bed of nails instead
        return _torch_fns()["bed_of_nails_upsample"](x, f)

    def unfinished(*args, **kwargs):
        raise NotImplementedError()

    seen = {}

    def spy_unpool(x, indices, k, stride=None, output_size=None):
        seen.update(x=x.copy(), indices=indices.copy(), k=k, stride=stride, output_size=output_size)
        indices[...] = 0  # a careless student function must not change the explorer's state
        return np.zeros((1, 1, 3, 3))  # the wrong shape

    e = u.unpooling_explorer({"max_pool2d_with_indices": wrong_pool, "max_unpool2d": spy_unpool,
                              "nearest_upsample": wrong_nearest, "bed_of_nails_upsample": unfinished})
    fig = e.figure
    assert _title(fig, "your pooled") == "your max_pool2d_with_indices\n2 of 4 cells differ"
    assert _differ(fig, "your pooled") == [(0, 0), (0, 1)]
    np.testing.assert_array_equal(_drawn(fig, "your pooled", "index"), [["@1", "@7"], ["@9", "@15"]])
    # the student's unpooling gets the reference positions, so one mistake is not counted twice
    np.testing.assert_array_equal(seen["indices"], [[LECTURE_INDICES]])
    np.testing.assert_array_equal(seen["x"], [[u.LECTURE_VALUES]])
    assert seen["indices"].dtype == np.int64 and seen["x"].dtype == np.float64
    assert (seen["k"], seen["stride"], seen["output_size"]) == (2, 2, (4, 4))
    np.testing.assert_array_equal(_drawn(fig, "output"), _as_text(LECTURE_OUTPUT))
    errors = _gid_texts(fig, "your output/error")
    message = errors[0].replace("\n", " ").replace("\u00a0", " ")  # shapes are kept whole by no-break spaces
    assert "expected shape (1, 1, 4, 4), got (1, 1, 3, 3)" in message

    e.controls["method"].value = "nearest neighbour"
    assert _title(e.figure, "your output") == "your nearest_upsample\n12 of 16 cells differ"
    assert len(_differ(e.figure, "your output")) == 12 and (0, 0) not in _differ(e.figure, "your output")
    e.controls["method"].value = "bed of nails"
    errors = _gid_texts(e.figure, "your output/error")
    assert errors == ["raised NotImplementedError"]
    assert e.status.value.startswith("Bed of nails: ")  # the explorer itself still works


def test_student_functions_are_checked_when_the_explorer_is_built():
    with pytest.raises(ValueError, match=r"keys must be among .* got \['max_pool'\]"):
        u.unpooling_explorer({"max_pool": lambda x: x})
    with pytest.raises(ValueError, match=r"must be functions, got non-callables for \['max_unpool2d'\]"):
        u.unpooling_explorer({"max_unpool2d": 3})


# ------------------------------------------------------------------ the picture (section 4)


def test_unpool_picture_matches_pytorch_and_keeps_each_maximum_where_it_was():
    rng = np.random.default_rng(0)
    image = rng.random((8, 12))
    pictures = u.unpool_picture(image, factor=4)
    assert list(pictures) == ["input", "max pooled", *u.METHODS]
    x = torch.from_numpy(image.astype(np.float32))[None, None]
    pooled, where = F.max_pool2d(x, 4, return_indices=True)
    np.testing.assert_array_equal(pictures["max pooled"], pooled[0, 0].numpy())
    np.testing.assert_array_equal(pictures["nearest neighbour"], np.kron(pooled[0, 0].numpy(), np.ones((4, 4))))
    nails = pictures["bed of nails"]
    assert np.count_nonzero(nails) == 6 and np.array_equal(nails[::4, ::4], pooled[0, 0].numpy())
    unpooled = pictures["max unpooling"]
    kept = unpooled != 0
    np.testing.assert_array_equal(unpooled[kept], image.astype(np.float32)[kept])
    assert kept.sum() == 6 and np.array_equal(np.flatnonzero(kept), np.sort(where.flatten().numpy()))
    with pytest.raises(ValueError, match=r"expected an image whose sides are multiples of factor 4, got shape \(8, 10\)"):
        u.unpool_picture(np.zeros((8, 10)))


def test_picture_figure_zooms_every_panel_to_the_same_field_of_view():
    image = np.random.default_rng(1).random((16, 24))
    pictures = u.unpool_picture(image, factor=4)
    fig = u.picture_figure(pictures, window=(slice(4, 12), slice(8, 20)))
    axes = fig.axes
    assert len(axes) == 6 and axes[0].patches[0].get_bbox().bounds == (7.5, 3.5, 12, 8)
    np.testing.assert_array_equal(axes[1].images[0].get_array(), pictures["input"][4:12, 8:20])
    np.testing.assert_array_equal(axes[2].images[0].get_array(), pictures["max pooled"][1:3, 2:5])
    for ax, name in zip(axes[3:], u.METHODS):
        np.testing.assert_array_equal(ax.images[0].get_array(), pictures[name][4:12, 8:20])
        assert ax.get_title() == f"{name}\n(8×12 px)"
    with pytest.raises(ValueError, match=r"expected a window whose bounds are multiples of 4"):
        u.picture_figure(pictures, window=(slice(2, 12), slice(8, 20)))
