"""Transposed convolution three ways (scatter, zero insertion, matrix transpose) against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course import transposed_conv as tc
from course.geometry import conv_transpose_output_size

# (H, W), (kH, kW), stride, padding, output_padding: the edge cases
EDGE_CASES = [
    ((2, 2), (3, 3), 2, 0, 0),   # the lecture's setting
    ((3, 3), (3, 3), 1, 0, 0),   # stride 1: every output pixel overlaps
    ((3, 2), (2, 2), 3, 0, 0),   # stride larger than the kernel: gaps of zeros
    ((3, 3), (2, 3), 4, 0, 3),   # gaps and the largest output padding
    ((4, 3), (3, 3), 2, 1, 1),   # padding crops, output padding adds one
    ((5, 3), (4, 2), 3, 2, 2),   # odd sizes, rectangular kernel
    ((3, 3), (3, 3), 2, 3, 1),   # padding larger than kernel - 1
    ((1, 1), (1, 1), 1, 0, 0),   # one value, one tap
    ((1, 4), (1, 3), 2, 0, 0),   # a single row
]


def torch_transposed(x, kernel, stride, padding=0, output_padding=0, dilation=1) -> np.ndarray:
    x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    w = torch.as_tensor(np.asarray(kernel, dtype=np.float64))
    return F.conv_transpose2d(x[None, None], w[None, None], stride=stride, padding=padding,
                              output_padding=output_padding, dilation=dilation)[0, 0].numpy()


def random_cases(count: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        h, w = (int(v) for v in rng.integers(1, 6, 2))
        kh, kw = (int(v) for v in rng.integers(1, 5, 2))
        stride = int(rng.integers(1, 5))
        padding = int(rng.integers(0, min(kh, kw) + 1))
        output_padding = int(rng.integers(0, stride))
        try:
            for n, k in ((h, kh), (w, kw)):
                conv_transpose_output_size(n, k, stride, padding, output_padding)
        except ValueError:
            continue
        yield rng.normal(size=(h, w)), rng.normal(size=(kh, kw)), stride, padding, output_padding


def all_cases():
    rng = np.random.default_rng(1)
    edge = [(rng.normal(size=s), rng.normal(size=k), st, p, op) for s, k, st, p, op in EDGE_CASES]
    return edge + list(random_cases(150))


# ------------------------------------------------------------------ output_size


def test_output_size_is_the_shape_torch_produces():
    rng = np.random.default_rng(0)
    for _ in range(200):
        size, kernel = int(rng.integers(1, 8)), int(rng.integers(1, 6))
        stride, dilation = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        padding, output_padding = int(rng.integers(0, 4)), int(rng.integers(0, stride))
        try:
            expected = torch_transposed(np.ones((size, size)), np.ones((kernel, kernel)), stride, padding,
                                        output_padding, dilation).shape[0]
        except RuntimeError:  # torch refuses an empty output: so must we
            with pytest.raises(ValueError, match="the output would be empty"):
                conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation)
            continue
        assert conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation) == expected


def test_output_size_of_the_lecture_example():
    assert conv_transpose_output_size(2, 3, stride=2) == 5
    assert conv_transpose_output_size(4, 3, stride=2, padding=1, output_padding=1) == 8  # exactly 2x


def test_output_size_refuses_impossible_parameters():
    with pytest.raises(ValueError, match=r"expected output_padding < 2, got output_padding=2"):
        conv_transpose_output_size(3, 3, stride=2, output_padding=2)
    empty = r"\(2 - 1\) \* 1 - 2 \* 2 \+ 1 \* \(2 - 1\) \+ 0 \+ 1 = -1, expected at least 1"
    with pytest.raises(ValueError, match=empty):
        conv_transpose_output_size(2, 2, stride=1, padding=2)
    with pytest.raises(ValueError, match=r"expected stride to be an int >= 1, got 0"):
        conv_transpose_output_size(3, 3, stride=0)
    with pytest.raises(ValueError, match=r"expected padding to be an int >= 0, got -1"):
        conv_transpose_output_size(3, 3, padding=-1)
    with pytest.raises(ValueError, match=r"expected size to be an int >= 1, got 2.5"):
        conv_transpose_output_size(2.5, 3)


# ------------------------------------------------------------------ view 1: scatter-add


def test_scatter_add_equals_torch_on_edge_and_random_cases():
    for x, kernel, stride, padding, output_padding in all_cases():
        result = tc.scatter_steps(x, kernel, stride, padding, output_padding)
        expected = torch_transposed(x, kernel, stride, padding, output_padding)
        assert result.output.shape == expected.shape, (x.shape, kernel.shape, stride, padding, output_padding)
        np.testing.assert_allclose(result.output, expected, atol=1e-12)
        np.testing.assert_array_equal(result.full[result.crop], result.output)


def test_several_channels_are_sums_of_single_channel_transposed_convolutions():
    rng = np.random.default_rng(2)
    x, weight = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 2, 3, 2))  # (C_in, H, W), (C_in, C_out, kH, kW)
    expected = F.conv_transpose2d(torch.as_tensor(x)[None], torch.as_tensor(weight), stride=2, padding=1,
                                  output_padding=1)[0].numpy()
    for view in (tc.scatter_steps, tc.zero_insertion_view, tc.matrix_view):
        got = [sum(view(x[ci], weight[ci, co], 2, 1, 1).output for ci in range(3)) for co in range(2)]
        np.testing.assert_allclose(np.stack(got), expected, atol=1e-12)


def test_scatter_steps_visit_the_input_row_major_and_add_value_times_kernel():
    rng = np.random.default_rng(3)
    x, kernel, stride = rng.normal(size=(3, 2)), rng.normal(size=(2, 3)), 2
    result = tc.scatter_steps(x, kernel, stride, padding=1, output_padding=1)
    assert [s.position for s in result.steps] == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert result.full.shape == ((3 - 1) * 2 + 2 + 1, (2 - 1) * 2 + 3 + 1)
    previous = np.zeros_like(result.full)
    for s in result.steps:
        i, j = s.position
        assert s.value == x[i, j]
        assert s.origin == (i * stride, j * stride)
        np.testing.assert_allclose(s.scaled, x[i, j] * kernel)
        added = s.accumulated - previous
        r, c = s.origin
        np.testing.assert_allclose(added[r:r + 2, c:c + 3], s.scaled)
        added[r:r + 2, c:c + 3] = 0
        assert not added.any(), "a step may only change its own footprint"
        previous = s.accumulated
    np.testing.assert_array_equal(result.steps[-1].accumulated, result.full)
    assert result.crop == (slice(1, 6), slice(1, 5))


def test_scatter_sums_where_copies_overlap_by_hand():
    # 1 x 2 input, 1 x 3 kernel of ones, stride 2: copies meet at column 2
    result = tc.scatter_steps([[1, 2]], [[1, 1, 1]], stride=2)
    np.testing.assert_array_equal(result.output, [[1, 1, 3, 2, 2]])
    np.testing.assert_array_equal(result.steps[0].accumulated, [[1, 1, 1, 0, 0]])


def test_scatter_keeps_integers_and_refuses_bad_arrays():
    result = tc.scatter_steps(np.array([[1, 2], [3, 4]]), np.array([[1, 0], [0, 1]]), 1)
    np.testing.assert_array_equal(result.output, [[1, 2, 0], [3, 5, 2], [0, 3, 4]])
    with pytest.raises(ValueError, match=r"expected x to be a non-empty 2-D array of numbers \(H, W\), got shape \(1, 2, 2\)"):
        tc.scatter_steps(np.ones((1, 2, 2)), np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match=r"expected kernel to be a non-empty 2-D array of numbers \(H, W\), got shape \(1, 1\) and dtype <U1"):
        tc.scatter_steps(np.ones((2, 2)), np.array([["a"]]), 2)
    with pytest.raises(ValueError, match=r"expected output_padding < 2, got output_padding=2"):
        tc.scatter_steps(np.ones((2, 2)), np.ones((3, 3)), 2, output_padding=2)


def test_scatter_accepts_torch_tensors():
    x, kernel = torch.arange(4.0).reshape(2, 2), torch.ones(2, 2)
    np.testing.assert_allclose(tc.scatter_steps(x, kernel, 2).output, torch_transposed(x, kernel, 2))


# ------------------------------------------------------------------ overlap counts


def test_overlap_counts_equal_transposing_ones_with_a_kernel_of_ones():
    for (h, w), (kh, kw), stride, padding, output_padding in EDGE_CASES:
        expected = torch_transposed(np.ones((h, w)), np.ones((kh, kw)), stride, padding, output_padding)
        counts = tc.overlap_counts((h, w), (kh, kw), stride, padding, output_padding)
        assert counts.dtype == np.int64
        np.testing.assert_array_equal(counts, expected)


def test_kernel_3_stride_2_overlaps_unevenly_and_kernel_4_evenly():
    k3 = tc.overlap_counts(6, 3, 2)
    # interior: even rows and columns get 2 x 2 copies, odd ones 1
    np.testing.assert_array_equal(k3[2:6, 2:6], [[4, 2, 4, 2], [2, 1, 2, 1], [4, 2, 4, 2], [2, 1, 2, 1]])
    k4 = tc.overlap_counts(6, 4, 2, padding=1)
    assert k4.shape == (12, 12)
    assert (k4[1:-1, 1:-1] == 4).all()


def test_overlap_counts_refuse_bad_sizes():
    with pytest.raises(ValueError, match=r"expected in_size to be an int or a pair of ints >= 1 \(rows, cols\), got \(1, 2, 3\)"):
        tc.overlap_counts((1, 2, 3), 3, 2)
    with pytest.raises(ValueError, match=r"expected kernel to be an int or a pair of ints >= 1 \(rows, cols\), got 0"):
        tc.overlap_counts(3, 0, 2)


# ------------------------------------------------------------------ view 2: zero insertion


def test_zero_insertion_view_equals_torch():
    for x, kernel, stride, padding, output_padding in all_cases():
        view = tc.zero_insertion_view(x, kernel, stride, padding, output_padding)
        expected = torch_transposed(x, kernel, stride, padding, output_padding)
        np.testing.assert_allclose(view.output, expected, atol=1e-12)
        # the stride-1 convolution it describes, done by torch's conv2d
        conv = F.conv2d(torch.as_tensor(view.padded)[None, None], torch.as_tensor(view.flipped)[None, None])
        np.testing.assert_allclose(conv[0, 0].numpy(), expected, atol=1e-12)


def test_zero_insertion_inserts_stride_minus_one_zeros_and_pads_kernel_minus_one_minus_padding():
    x, kernel = np.arange(1, 7).reshape(2, 3), np.arange(9).reshape(3, 3)
    view = tc.zero_insertion_view(x, kernel, stride=3, padding=1, output_padding=2)
    edge = 3 - 1 - 1
    assert view.padded.shape == ((2 - 1) * 3 + 1 + 2 * edge + 2, (3 - 1) * 3 + 1 + 2 * edge + 2)
    np.testing.assert_array_equal(view.padded[edge:edge + 4:3, edge:edge + 7:3], x)
    assert view.padded.sum() == x.sum(), "everything else is zero"
    np.testing.assert_array_equal(view.flipped, kernel[::-1, ::-1])


def test_zero_insertion_crops_when_padding_exceeds_kernel_minus_one():
    x = np.arange(1, 10).reshape(3, 3)
    view = tc.zero_insertion_view(x, np.ones((2, 2)), stride=2, padding=2)
    assert view.padded.shape == (5 - 2, 5 - 2)  # 5 x 5 spread, one row and column cropped per side
    np.testing.assert_allclose(view.output, torch_transposed(x, np.ones((2, 2)), 2, 2))


# ------------------------------------------------------------------ view 3: the matrix transpose


def conv_cases(rng, n=60):
    """Random (h, w, kh, kw, stride, padding) of convolutions whose kernel fits."""
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(2, 7, 2))
        kh, kw = (int(v) for v in rng.integers(1, 4, 2))
        stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 2))
        if kh <= h + 2 * padding and kw <= w + 2 * padding:
            yield h, w, kh, kw, stride, padding


def test_conv_matrix_computes_conv2d():
    rng = np.random.default_rng(5)
    for h, w, kh, kw, stride, padding in conv_cases(rng):
        x, kernel = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
        matrix = tc.conv_matrix((h, w), kernel, stride, padding)
        expected = F.conv2d(torch.as_tensor(x)[None, None], torch.as_tensor(kernel)[None, None],
                            stride=stride, padding=padding)[0, 0].numpy()
        assert matrix.shape == (expected.size, h * w)
        np.testing.assert_allclose(matrix @ x.ravel(), expected.ravel(), atol=1e-12)


def test_transposed_matrix_equals_conv_transpose2d_and_the_gradient_of_conv2d():
    rng = np.random.default_rng(6)
    for h, w, kh, kw, stride, padding in conv_cases(rng):
        kernel = rng.normal(size=(kh, kw))
        matrix = tc.conv_matrix((h, w), kernel, stride, padding)
        out_h, out_w = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
        y = rng.normal(size=(out_h, out_w))
        back = (matrix.T @ y.ravel()).reshape(h, w)
        output_padding = ((h + 2 * padding - kh) % stride, (w + 2 * padding - kw) % stride)
        expected = torch_transposed(y, kernel, stride, padding, output_padding)
        np.testing.assert_allclose(back, expected, atol=1e-12)
        # conv_transpose2d is the gradient of conv2d with respect to its input
        x = torch.zeros(1, 1, h, w, dtype=torch.float64, requires_grad=True)
        F.conv2d(x, torch.as_tensor(kernel)[None, None], stride=stride, padding=padding).backward(
            torch.as_tensor(y)[None, None])
        np.testing.assert_allclose(x.grad[0, 0].numpy(), back, atol=1e-12)


def test_matrix_view_equals_torch():
    for x, kernel, stride, padding, output_padding in all_cases():
        view = tc.matrix_view(x, kernel, stride, padding, output_padding)
        expected = torch_transposed(x, kernel, stride, padding, output_padding)
        assert view.matrix.shape == (x.size, expected.size)
        np.testing.assert_allclose(view.output, expected, atol=1e-12)


def test_conv_matrix_refuses_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=r"expected kernel rows <= 2 and columns <= 2, got 3 and 3"):
        tc.conv_matrix((2, 2), np.ones((3, 3)))


# ------------------------------------------------------------------ checkerboard artifacts


def test_checkerboard_strength_is_one_for_a_checkerboard_and_zero_for_flat_or_smooth_images():
    rows, cols = np.indices((12, 12))
    assert tc.checkerboard_strength((rows + cols) % 2) == pytest.approx(1.0)
    assert tc.checkerboard_strength(np.full((12, 12), 3.0)) == 0.0
    ramp = rows + 0.5 * cols
    assert tc.checkerboard_strength(ramp) < 0.1
    assert tc.checkerboard_strength(0.1 * ramp + ((rows % 2) & (cols % 2))) > 0.5
    with pytest.raises(ValueError, match=r"at least 2 rows and columns inside a border of 2, got shape \(5, 5\)"):
        tc.checkerboard_strength(np.ones((5, 5)))


@pytest.fixture(scope="module")
def demo():
    return tc.checkerboard_demo(seed=0)


def test_random_transposed_convolutions_paint_checkerboards_whatever_their_overlap(demo):
    assert tuple(demo.initial) == tuple(demo.trained) == tuple(demo.losses) == tc.UPSAMPLERS
    assert demo.input.shape == (8, 8) and all(v.shape == (16, 16) for v in demo.initial.values())
    assert tc.checkerboard_strength(demo.overlaps["k3s2"]) == pytest.approx(1.0)
    assert np.all(demo.overlaps["k4s2"][2:-2, 2:-2] == 4) and np.all(demo.overlaps["k2s2"] == 1)
    assert demo.overlaps["resize_conv"] is None
    for seed in range(4):  # not luck of one seed
        initial = tc.checkerboard_demo(seed, steps=1).initial if seed else demo.initial
        strength = {name: tc.checkerboard_strength(out) for name, out in initial.items()}
        assert min(strength["k3s2"], strength["k4s2"], strength["k2s2"]) > 0.8, strength
        assert strength["resize_conv"] < 0.1, strength


def test_training_removes_the_checkerboard_except_a_trace_under_uneven_overlap(demo):
    strength = {name: tc.checkerboard_strength(out) for name, out in demo.trained.items()}
    assert strength["k3s2"] > 0.03 and max(strength["k4s2"], strength["k2s2"], strength["resize_conv"]) < 0.01
    assert max(demo.losses["k4s2"], demo.losses["resize_conv"]) < 1e-9     # bilinear, exactly
    assert demo.losses["k3s2"] > 1e-3 and demo.losses["k2s2"] > demo.losses["k3s2"]


def test_checkerboard_demo_layers_are_what_the_docstrings_say():
    result = tc.checkerboard_demo(seed=2, steps=3)
    torch.manual_seed(2)
    nn = torch.nn
    layers = {"k3s2": nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1, bias=False),
              "k4s2": nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1, bias=False),
              "k2s2": nn.ConvTranspose2d(4, 1, 2, stride=2, bias=False),
              "resize_conv": nn.Conv2d(4, 1, 3, padding=1, bias=False)}
    x = torch.as_tensor(result.input, dtype=torch.float32).expand(1, 4, 8, 8)
    with torch.no_grad():
        for name in ("k3s2", "k4s2", "k2s2"):
            np.testing.assert_allclose(result.initial[name], layers[name](x)[0, 0].numpy(), atol=1e-6)
        upsampled = x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
        np.testing.assert_allclose(result.initial["resize_conv"], layers["resize_conv"](upsampled)[0, 0].numpy(),
                                   atol=1e-6)
    for name, layer in layers.items():
        if name != "resize_conv":
            losses = tc.fit_bilinear(layer, 3, seed=2, channels=4)
            assert losses[-1] == pytest.approx(result.losses[name], rel=1e-6)
            with torch.no_grad():
                np.testing.assert_allclose(result.trained[name], layer(x)[0, 0].numpy(), atol=1e-6)
    assert result.input.min() >= 1 and result.input.max() <= 2
    np.testing.assert_array_equal(result.overlaps["k3s2"], tc.overlap_counts(8, 3, 2, 1, 1))


def test_fit_bilinear_matches_interpolation_and_refuses_bad_settings():
    from torch.nn import functional as F

    torch.manual_seed(0)
    layer = tc.upsampling_layer("resize_conv", 2)
    seen = []
    losses = tc.fit_bilinear(layer, 300, seed=0, channels=2, on_step=seen.append)
    assert seen == list(range(1, 301)) and losses.shape == (300,) and losses[-1] < 1e-6 * losses[0]
    x = torch.rand(1, 1, 6, 6, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        up = layer(x.expand(-1, 2, -1, -1))
    bilinear = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up[..., 1:-1, 1:-1], bilinear[..., 1:-1, 1:-1], atol=1e-3, rtol=0)
    with pytest.raises(ValueError, match=r"expected channels to be an int >= 1, got 0"):
        tc.fit_bilinear(layer, 3, channels=0)
    with pytest.raises(ValueError, match=r"expected one of k3s2, k4s2, k2s2, resize_conv, got 'k5s2'"):
        tc.upsampling_layer("k5s2")


def test_the_bilinear_kernel_is_bilinear_interpolation_inside_the_border():
    import torch
    from torch.nn import functional as F

    x = torch.randn(2, 1, 7, 9, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    kernel = torch.from_numpy(tc.BILINEAR_X2)[None, None]
    up = F.conv_transpose2d(x, kernel, stride=2, padding=1)
    expected = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    assert up.shape == expected.shape == (2, 1, 14, 18)
    torch.testing.assert_close(up[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1])
    assert not torch.allclose(up, expected), "the outer ring differs: zero padding against repeated edges"


def test_a_transposed_convolution_learns_the_bilinear_filter_from_examples_alone():
    import torch
    from torch.nn import functional as F

    result = tc.learn_bilinear_filter(steps=300, seed=1, snapshots=(0, 25, 300))
    assert result.steps == (0, 25, 300) and result.kernels.shape == (3, 4, 4) and len(result.losses) == 300
    gaps = np.abs(result.kernels - tc.BILINEAR_X2).max(axis=(1, 2))
    assert gaps[0] > 0.2 and gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3
    assert result.losses[-1] < 1e-6 * result.losses[0]
    x = torch.rand(1, 1, 6, 6, generator=torch.Generator().manual_seed(5))     # the learned layer up-samples
    learned = F.conv_transpose2d(x, torch.from_numpy(result.kernels[-1]).float()[None, None], stride=2, padding=1)
    bilinear = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(learned[..., 1:-1, 1:-1], bilinear[..., 1:-1, 1:-1], atol=1e-3, rtol=0)
    again = tc.learn_bilinear_filter(steps=300, seed=1, snapshots=(0, 25, 300))
    np.testing.assert_array_equal(again.kernels, result.kernels)
    assert tc.learn_bilinear_filter(steps=3, snapshots=(0, 10)).steps == (0, 3)


@pytest.mark.parametrize("options, message", [(dict(steps=0), r"expected steps to be an int >= 1, got 0"),
                                              (dict(lr=0), r"expected lr to be a number > 0, got 0"),
                                              (dict(size=2), r"expected size to be an int >= 3, got 2")])
def test_learning_the_filter_refuses_bad_settings(options, message):
    with pytest.raises(ValueError, match=message):
        tc.learn_bilinear_filter(**options)


def test_the_learned_filter_figure_shows_every_snapshot_and_the_target():
    from course.widgets.transposed_conv import learned_filter_figure

    result = tc.learn_bilinear_filter(steps=40, snapshots=(0, 10, 40))
    fig = learned_filter_figure(result)
    titles = [ax.get_title() for ax in fig.get_axes()]
    assert titles[:3] == [f"step {s}\nlargest gap {g:.2f}" for s, g in
                          zip(result.steps, np.abs(result.kernels - result.target).max(axis=(1, 2)))]
    assert titles[3] == "bilinear ×2\n(the target)"
    target_texts = [t.get_text() for t in fig.get_axes()[3].texts]
    assert target_texts == [f"{v:.2f}" for v in result.target.ravel()]
    assert fig.get_axes()[4].get_yscale() == "log" and len(fig.get_axes()[4].lines[0].get_xdata()) == 40


def test_scores_checkerboard_averages_the_strength_of_every_score_map_and_leaves_the_mode():
    class Fixed(torch.nn.Module):
        """Class 0 a checkerboard, class 1 flat: every image the same."""

        def forward(self, x):
            board = torch.from_numpy(np.indices((12, 12)).sum(0) % 2).double()
            return torch.stack([board, torch.ones(12, 12, dtype=torch.float64)])[None].expand(len(x), -1, -1, -1)

    model = Fixed().train()
    images = torch.rand(3, 3, 12, 12)
    expected = np.mean([tc.checkerboard_strength(np.indices((12, 12)).sum(0) % 2), 0.0])
    assert tc.scores_checkerboard(model, images) == pytest.approx(expected) == pytest.approx(0.5)
    assert model.training, "the model's mode was not restored"
    torch.manual_seed(0)
    up = torch.nn.ConvTranspose2d(3, 2, 3, stride=2)
    layer = torch.nn.Sequential(torch.nn.AvgPool2d(2), up)
    assert tc.scores_checkerboard(layer, torch.rand(2, 3, 16, 16)) > 0.3       # k=3, s=2 at random: a checkerboard
    with pytest.raises(ValueError, match=r"expected images as a tensor \(N, C, H, W\), got ndarray \(3, 8, 8\)"):
        tc.scores_checkerboard(model, np.zeros((3, 8, 8)))
