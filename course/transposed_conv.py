"""Transposed convolution three ways, and why it can paint checkerboards.

A transposed convolution with stride ``s`` *scatters*: every input value multiplies the
whole kernel, and that scaled copy is added to the output at a place that moves ``s``
output pixels for each input pixel; where copies overlap, they are summed. The same result
comes from two other views, each with its own function here:

1. scatter-add, step by step: :func:`scatter_steps`;
2. insert zeros between the inputs, pad, and run an ordinary stride-1 convolution with
   the flipped kernel (Dumoulin and Visin 2016): :func:`zero_insertion_view`;
3. multiply by the transpose of the forward convolution's matrix: :func:`conv_matrix`,
   :func:`matrix_view`.

The kernel follows PyTorch: ``conv_transpose2d`` applies it unflipped (weight ``(C_in, C_out,
kH, kW)``), ``padding`` crops ``padding`` rows and columns from each side of the full output
and ``output_padding`` adds rows and columns at the bottom and right only. Everything is
NumPy on one 2-D input and one 2-D kernel, except the trained PyTorch layers of
:func:`fit_bilinear`, :func:`checkerboard_demo` and :func:`learn_bilinear_filter`. The tests
check each function against ``torch.nn.functional.conv_transpose2d``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from .arguments import as_plane, check_int, check_pair
from .geometry import conv_transpose_output_size, sliding_length

__all__ = ["ScatterStep", "Scatter", "scatter_steps", "overlap_counts",
           "ZeroInsertion", "zero_insertion_view", "conv_matrix", "MatrixView", "matrix_view",
           "checkerboard_strength", "scores_checkerboard", "UPSAMPLERS", "upsampling_layer", "fit_bilinear",
           "CheckerboardDemo", "checkerboard_demo", "BILINEAR_X2", "LearnedFilter", "learn_bilinear_filter"]

# bilinear x2 up-sampling (align_corners=False) as a transposed convolution: kernel 4, stride 2, padding 1
BILINEAR_X2 = np.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25])


@dataclass(frozen=True)
class ScatterStep:
    """One input value scattered into the output.

    ``position`` is (row, column) in the input, ``value`` the input there, ``scaled`` the kernel
    times that value (kH, kW), ``origin`` the (row, column) of the scaled kernel's top-left
    cell in the full output (``position * stride``), ``accumulated`` the full output after
    adding it.
    """

    position: tuple[int, int]
    value: float
    scaled: np.ndarray
    origin: tuple[int, int]
    accumulated: np.ndarray


@dataclass(frozen=True)
class Scatter:
    """All steps of a scatter-add, the full (uncropped) output, and the crop that gives the result.

    ``full`` has ``(H - 1) * stride + kH + output_padding`` rows (columns alike; the
    ``output_padding`` extra rows sit at the bottom, columns at the right); ``crop`` drops
    ``padding`` rows and columns from each side, and ``output = full[crop]`` equals PyTorch's
    ``conv_transpose2d``.
    """

    steps: list[ScatterStep]
    full: np.ndarray
    crop: tuple[slice, slice]
    output: np.ndarray


def scatter_steps(x, kernel, stride: int, padding: int = 0, output_padding: int = 0) -> Scatter:
    """Transposed convolution of a 2-D input (H, W) with a 2-D kernel (kH, kW), one input value at a time.

    The steps visit the input in row-major order; step ``t`` adds ``x[i, j] * kernel`` at rows
    ``i * stride .. i * stride + kH - 1`` and columns ``j * stride .. j * stride + kW - 1`` of
    the full output.
    """
    x, kernel = as_plane("x", x), as_plane("kernel", kernel)
    _, full_shape, crop = _shapes(x.shape, kernel.shape, stride, padding, output_padding)
    full = np.zeros(full_shape, dtype=np.result_type(x, kernel, np.float64))
    steps = []
    kh, kw = kernel.shape
    for (i, j), value in np.ndenumerate(x):
        scaled = value * kernel
        full[i * stride:i * stride + kh, j * stride:j * stride + kw] += scaled
        steps.append(ScatterStep((i, j), float(value), scaled, (i * stride, j * stride), full.copy()))
    return Scatter(steps, full, crop, full[crop].copy())


def overlap_counts(in_size, kernel, stride: int, padding: int = 0, output_padding: int = 0) -> np.ndarray:
    """How many (input position, kernel tap) pairs add into each output pixel: an int array (out_H, out_W).

    ``in_size`` and ``kernel`` are an int (square) or a pair (rows, columns). With padding 0
    the array covers the full output the scatter steps write to. Where the kernel size is not
    a multiple of the stride, the counts alternate: the root of checkerboard artifacts.
    """
    in_shape, k_shape = check_pair("in_size", in_size), check_pair("kernel", kernel)
    ones = scatter_steps(np.ones(in_shape, dtype=np.int64), np.ones(k_shape, dtype=np.int64),
                         stride, padding, output_padding)
    return ones.output.astype(np.int64)


class ZeroInsertion(NamedTuple):
    """View 2: the zero-inserted, padded input; the flipped kernel; their stride-1 convolution."""

    padded: np.ndarray
    flipped: np.ndarray
    output: np.ndarray


def zero_insertion_view(x, kernel, stride: int, padding: int = 0,
                        output_padding: int = 0) -> ZeroInsertion:
    """Transposed convolution as an ordinary convolution (Dumoulin and Visin 2016, section 4).

    For input (H, W), kernel (kH, kW), stride ``s``, padding ``p``, output padding ``a``, the
    equivalent ordinary convolution has

    * input: ``x`` with ``s - 1`` zeros inserted between neighbouring values, shape
      ``((H - 1) * s + 1, (W - 1) * s + 1)``,
    * padding: ``kH - 1 - p`` zeros on each side (``kW - 1 - p`` for columns), plus ``a`` more
      at the bottom and right; where ``kH - 1 - p`` is negative that many rows are cropped,
    * kernel: ``kernel`` flipped in both spatial axes,
    * stride 1, no dilation.

    ``padded`` is that zero-inserted, padded input; ``output`` (out_H, out_W) equals
    PyTorch's ``conv_transpose2d``.
    """
    x, kernel = as_plane("x", x), as_plane("kernel", kernel)
    _shapes(x.shape, kernel.shape, stride, padding, output_padding)  # validates
    spread = np.zeros(((x.shape[0] - 1) * stride + 1, (x.shape[1] - 1) * stride + 1), dtype=x.dtype)
    spread[::stride, ::stride] = x
    padded = spread
    for axis, k in enumerate(kernel.shape):
        edge = k - 1 - padding
        padded = _pad_or_crop(padded, axis, edge, edge + output_padding)
    flipped = kernel[::-1, ::-1].copy()
    return ZeroInsertion(padded, flipped, _correlate(padded, flipped))


def conv_matrix(in_shape, kernel, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Matrix C (out_H * out_W, H * W) of the ordinary convolution, so ``conv2d(x).flatten() = C @ x.flatten()``.

    ``in_shape`` is the input's (H, W) (or an int), ``kernel`` a 2-D array (kH, kW), applied as
    PyTorch's ``conv2d`` does (cross-correlation, zero padding ``padding`` on each side). Then
    ``C.T @ y.flatten()`` is the transposed convolution of ``y`` (out_H, out_W) back to (H, W),
    with the ``output_padding`` that makes it size (H, W): ``(H + 2 * padding - kH) % stride``.
    """
    in_shape, kernel = check_pair("in_shape", in_shape), as_plane("kernel", kernel)
    _check_ints(stride=(stride, 1), padding=(padding, 0))
    (h, w), (kh, kw) = in_shape, kernel.shape
    out_h, out_w = sliding_length(h, kh, stride, padding), sliding_length(w, kw, stride, padding)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"the kernel {kernel.shape} does not fit the padded input: expected kernel rows <= "
                         f"{h + 2 * padding} and columns <= {w + 2 * padding}, got {kh} and {kw}")
    matrix = np.zeros((out_h * out_w, h * w), dtype=np.result_type(kernel, np.float64))
    for (oi, oj) in np.ndindex(out_h, out_w):
        for (a, b), weight in np.ndenumerate(kernel):
            i, j = oi * stride + a - padding, oj * stride + b - padding
            if 0 <= i < h and 0 <= j < w:
                matrix[oi * out_w + oj, i * w + j] += weight
    return matrix


class MatrixView(NamedTuple):
    """View 3: the forward convolution's matrix C (H * W, out_H * out_W) and ``C.T @ x`` as (out_H, out_W).

    H x W is the transposed convolution's input: the forward convolution maps (out_H, out_W) to it.
    """

    matrix: np.ndarray
    output: np.ndarray


def matrix_view(x, kernel, stride: int, padding: int = 0, output_padding: int = 0) -> MatrixView:
    """Transposed convolution of ``x`` (H, W) as ``C.T @ x.flatten()``.

    C is :func:`conv_matrix` of the convolution that maps an (out_H, out_W) image to (H, W):
    the transposed convolution runs that convolution's matrix backwards.
    """
    x, kernel = as_plane("x", x), as_plane("kernel", kernel)
    (out_h, out_w), _, _ = _shapes(x.shape, kernel.shape, stride, padding, output_padding)
    matrix = conv_matrix((out_h, out_w), kernel, stride, padding)
    return MatrixView(matrix, (matrix.T @ x.reshape(-1)).reshape(out_h, out_w))


def checkerboard_strength(image, border: int = 2) -> float:
    """How much of an image's variation is a stride-2 checkerboard, from 0 (none) to 1 (all).

    Splits the interior (``border`` pixels dropped at each side, where zero padding makes
    edges differ) into the four stride-2 phases (even/odd row, even/odd column) and returns
    the variance of the four phase means over the total variance (0 for a flat image).
    """
    image = as_plane("image", image).astype(np.float64)
    inner = image[border:image.shape[0] - border, border:image.shape[1] - border]
    if min(inner.shape) < 2:
        raise ValueError(f"expected an image with at least 2 rows and columns inside a border of "
                         f"{border}, got shape {image.shape}")
    total = inner.var()
    if total <= 1e-12 * max(1.0, float(np.mean(inner ** 2))):
        return 0.0
    phases = np.zeros_like(inner)
    for r in (0, 1):
        for c in (0, 1):
            phases[r::2, c::2] = inner[r::2, c::2].mean()
    return float(min(1.0, phases.var() / total))


def scores_checkerboard(model, images) -> float:
    """The mean :func:`checkerboard_strength` of ``model``'s class-score maps, over every image of
    ``images`` (N, C, H, W) and every class: how much of what a network outputs is a stride-2
    checkerboard (0 none, 1 all). The model runs in eval mode without gradients, in float32."""
    import torch

    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError(f"expected images as a tensor (N, C, H, W), got {type(images).__name__} "
                         f"{tuple(getattr(images, 'shape', ()))}")
    was_training = model.training
    try:
        with torch.no_grad():
            scores = model.eval()(images.float()).float().cpu().numpy()
    finally:
        model.train(was_training)
    return float(np.mean([checkerboard_strength(plane) for maps in scores for plane in maps]))


# names of the checkerboard demo's up-sampling layers, in the order they are created
UPSAMPLERS = ("k3s2", "k4s2", "k2s2", "resize_conv")


def upsampling_layer(name: str, channels: int = 1):
    """One of the :data:`UPSAMPLERS`, ``channels`` -> 1 channel, ×2, no bias.

    ``k3s2``: ``ConvTranspose2d(channels, 1, 3, stride=2, padding=1, output_padding=1)``
    (uneven overlap); ``k4s2``: kernel 4, padding 1 (every output pixel gets 2 × 2
    contributions); ``k2s2``: kernel 2 (exactly one); ``resize_conv``: nearest ×2, then
    ``Conv2d(channels, 1, 3, padding=1)``.
    """
    from torch import nn

    if name == "resize_conv":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                             nn.Conv2d(channels, 1, 3, padding=1, bias=False))
    options = {"k3s2": dict(kernel_size=3, padding=1, output_padding=1),
               "k4s2": dict(kernel_size=4, padding=1), "k2s2": dict(kernel_size=2)}
    if name not in options:
        raise ValueError(f"expected one of {', '.join(UPSAMPLERS)}, got {name!r}")
    return nn.ConvTranspose2d(channels, 1, stride=2, bias=False, **options[name])


def fit_bilinear(layer, steps: int = 300, lr: float = 0.05, seed: int = 0, batch_size: int = 16,
                 size: int = 12, channels: int = 1, on_step: Callable[[int], None] | None = None) -> np.ndarray:
    """Train an ×2 up-sampling ``layer`` in place with Adam to do what bilinear interpolation does.

    Each step draws ``batch_size`` random ``size`` x ``size`` images (one image given to every
    input channel) from a generator seeded with ``seed`` and minimises the mean squared
    difference to ``F.interpolate(x, scale_factor=2, mode="bilinear")`` inside the outer ring
    of pixels, where interpolation repeats the edge and the layer sees zero padding.
    ``channels`` is the layer's number of input channels. ``on_step(step)`` runs after each
    step. Returns the loss of every step.
    """
    import torch
    from torch.nn import functional as F

    _check_ints(steps=(steps, 1), batch_size=(batch_size, 1), size=(size, 3), seed=(seed, 0),
                channels=(channels, 1))
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"expected lr to be a number > 0, got {lr!r}")
    optimizer = torch.optim.Adam(layer.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for step in range(1, steps + 1):
        x = torch.rand(batch_size, 1, size, size, generator=generator)
        target = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        loss = F.mse_loss(layer(x.expand(-1, channels, -1, -1))[..., 1:-1, 1:-1], target[..., 1:-1, 1:-1])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step)
    return np.array(losses)


@dataclass(frozen=True)
class CheckerboardDemo:
    """What :func:`checkerboard_demo` measured, each dict keyed by the :data:`UPSAMPLERS`: the
    smooth ``input``, the ``overlaps`` (:func:`overlap_counts`; None for resize-convolution),
    each layer's output at random initialisation (``initial``) and after training
    (``trained``), and each layer's last training loss (``losses``)."""

    input: np.ndarray
    overlaps: dict[str, np.ndarray | None]
    initial: dict[str, np.ndarray]
    trained: dict[str, np.ndarray]
    losses: dict[str, float]


def checkerboard_demo(seed: int = 0, size: int = 8, channels: int = 4, steps: int = 300) -> CheckerboardDemo:
    """Checkerboard artifacts (Odena, Dumoulin and Olah, Distill 2016), before and after training.

    The input is a smooth ``size`` x ``size`` image, a Gaussian bump on 1, given to every one
    of the ``channels`` input channels. Each of the :data:`UPSAMPLERS` (:func:`upsampling_layer`,
    all created in that order after ``torch.manual_seed(seed)``) up-samples it ×2 with its
    random weights, is then trained by :func:`fit_bilinear` for ``steps`` steps (data seed
    ``seed``), and up-samples it again.
    """
    import torch

    _check_ints(size=(size, 4), channels=(channels, 1), steps=(steps, 1))
    torch.manual_seed(seed)
    layers = {name: upsampling_layer(name, channels) for name in UPSAMPLERS}
    rng = np.random.default_rng(seed)
    grid = np.linspace(-1, 1, size)
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    cy, cx = rng.uniform(-0.5, 0.5, 2)
    smooth = 1 + np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2))
    x = torch.as_tensor(smooth, dtype=torch.float32).expand(1, channels, size, size)

    def apply(layer) -> np.ndarray:
        with torch.no_grad():
            return layer(x)[0, 0].numpy().astype(np.float64)

    initial = {name: apply(layer) for name, layer in layers.items()}
    losses = {name: float(fit_bilinear(layer, steps, seed=seed, channels=channels)[-1])
              for name, layer in layers.items()}
    overlaps = {"k3s2": overlap_counts(size, 3, 2, 1, 1), "k4s2": overlap_counts(size, 4, 2, 1),
                "k2s2": overlap_counts(size, 2, 2), "resize_conv": None}
    return CheckerboardDemo(smooth, overlaps, initial, {name: apply(layer) for name, layer in layers.items()},
                            losses)


@dataclass(frozen=True)
class LearnedFilter:
    """What :func:`learn_bilinear_filter` recorded: the kernel (4, 4) after each step of
    ``steps`` (0: the random start), the loss of every step, and the target kernel."""

    steps: tuple[int, ...]
    kernels: np.ndarray
    losses: np.ndarray
    target: np.ndarray


def learn_bilinear_filter(steps: int = 300, lr: float = 0.05, seed: int = 0, batch_size: int = 16,
                          size: int = 12, snapshots=(0, 10, 25, 50, 300)) -> LearnedFilter:
    """Learn a transposed convolution's filter by gradient descent, as a network learns it.

    One ``ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False)``, randomly initialised
    after ``torch.manual_seed(seed)``, is trained by :func:`fit_bilinear` to up-sample random
    images the way bilinear interpolation does. Nothing tells the layer the answer, yet its
    filter converges to :data:`BILINEAR_X2`, the one filter that does it exactly. The kernel is
    recorded at the ``snapshots`` steps (0: the random start; always 0 and ``steps``).
    """
    import torch

    _check_ints(steps=(steps, 1))
    snapshots = tuple(sorted({min(int(s), steps) for s in snapshots} | {0, steps}))
    torch.manual_seed(seed)
    layer = upsampling_layer("k4s2")
    kernels = {}

    def record(step: int) -> None:
        if step in snapshots:
            kernels[step] = layer.weight.detach()[0, 0].numpy().copy()

    record(0)
    losses = fit_bilinear(layer, steps, lr, seed, batch_size, size, on_step=record)
    return LearnedFilter(snapshots, np.stack([kernels[s] for s in snapshots]).astype(np.float64),
                         losses, BILINEAR_X2.copy())


# ---------------------------------------------------------------- helpers


def _shapes(in_shape, k_shape, stride, padding, output_padding):
    """Output shape, full (uncropped) shape and the crop from full to output; validates every parameter."""
    out = tuple(conv_transpose_output_size(n, k, stride, padding, output_padding) for n, k in zip(in_shape, k_shape))
    full = tuple((n - 1) * stride + k + output_padding for n, k in zip(in_shape, k_shape))
    return out, full, tuple(slice(padding, padding + o) for o in out)


def _correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Stride-1 cross-correlation without padding (what conv2d computes), (H - kH + 1, W - kW + 1)."""
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)
    return np.einsum("ijab,ab->ij", windows, kernel)


def _pad_or_crop(array: np.ndarray, axis: int, before: int, after: int) -> np.ndarray:
    """Zero-pad ``axis`` by ``before``/``after``; a negative amount crops that many instead."""
    index = [slice(None)] * array.ndim
    index[axis] = slice(max(0, -before), array.shape[axis] - max(0, -after))
    array = array[tuple(index)]
    widths = [(0, 0)] * array.ndim
    widths[axis] = (max(0, before), max(0, after))
    return np.pad(array, widths)


def _check_ints(**values: tuple[int, int]) -> None:
    """Each name -> (value, minimum): a ValueError unless value is an int >= minimum."""
    for name, (value, minimum) in values.items():
        check_int(name, value, minimum)
