"""Receptive fields of convolutional networks: which input pixels an output pixel can see.

For a stack of layers with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d``
(effective kernel ``k' = d (k - 1) + 1``), Araujo, Norris and Sim ("Computing Receptive
Fields of Convolutional Neural Networks", Distill 2019) give, along one axis,

* size      ``r = sum_l (k'_l - 1) prod_{i<l} s_i + 1``
* stride    ``S = prod_l s_l``                  (one output step moves the window by S pixels)
* padding   ``P = sum_l p_l prod_{i<l} s_i``    (how far the first window starts before pixel 0)

so output position ``i`` sees input pixels ``i S - P`` to ``i S - P + r - 1`` (inclusive;
pixels before 0 or past the end are padding). A network is described either by a
``torch.nn.Module`` (its ``Conv2d``, ``MaxPool2d`` and ``AvgPool2d`` layers, read in
registration order; layers that keep the resolution, such as ReLU or BatchNorm2d, are
skipped) or by a list of ``(kernel, stride[, padding[, dilation]])`` tuples. Square windows
only. :func:`empirical_receptive_field` measures the same thing with PyTorch's autograd.

The window is where an output pixel *can* look. With dilation (or strides larger than the
next kernel) it has holes, and at the borders some of its pixels may be reachable only
through padding: the gradient then shows a subset of the window. A module is read as one
path, in registration order; for a residual network pass its longest path (the shortcuts
see a window inside it). Padding modes other than zeros (reflect, circular) fill the padding
with copies of input pixels, which the calculator does not follow.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .arguments import check_int, check_pair, is_int
from .geometry import sliding_length

__all__ = [
    "ReceptiveField", "LayerField", "GradientProbe", "SKIPPED", "receptive_field", "receptive_field_table",
    "format_table", "input_window", "output_size", "empirical_receptive_field",
]

# Layers that keep the resolution and mix no neighbouring pixels (BatchNorm in eval mode).
SKIPPED = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU,
           nn.Mish, nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.Softplus,
           nn.modules.batchnorm._BatchNorm, nn.Dropout, nn.Dropout2d, nn.AlphaDropout, nn.Identity)
_SUPPORTED = ("supported layers are Conv2d, MaxPool2d and AvgPool2d with square windows; layers "
              "that keep the resolution (ReLU, LeakyReLU, GELU, Sigmoid, Tanh, BatchNorm2d, "
              "Dropout, Identity, ...) are skipped")


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field along one axis: ``size`` r, effective ``stride`` S, effective ``padding`` P."""

    size: int
    stride: int
    padding: int

    def window(self, index: int) -> tuple[int, int]:
        """Inclusive input interval (start, end) seen by output position ``index``.

        ``start = index * S - P``, ``end = start + r - 1``; either may lie outside the input
        (that part of the window is padding).
        """
        check_int("index", index, 0)
        start = index * self.stride - self.padding
        return start, start + self.size - 1


@dataclass(frozen=True)
class LayerField:
    """One row of :func:`receptive_field_table`: a layer and the receptive field after it."""

    name: str
    kind: str
    kernel: int
    stride: int
    padding: int
    dilation: int
    r: int
    S: int
    P: int

    @property
    def field(self) -> ReceptiveField:
        return ReceptiveField(self.r, self.S, self.P)


class _Layer(NamedTuple):
    name: str
    kind: str
    kernel: int
    stride: int
    padding: int
    dilation: int = 1
    ceil_mode: bool = False


def receptive_field(layers) -> ReceptiveField:
    """Receptive field of the last layer's output (r, S, P); an empty stack gives (1, 1, 0)."""
    fields = _accumulate(_layers(layers))
    return fields[-1] if fields else ReceptiveField(1, 1, 0)


def receptive_field_table(layers) -> list[LayerField]:
    """One row per layer (skipped layers excluded): its parameters and r, S, P after it."""
    parsed = _layers(layers)
    return [LayerField(layer.name, layer.kind, layer.kernel, layer.stride, layer.padding, layer.dilation,
                       field.size, field.stride, field.padding)
            for layer, field in zip(parsed, _accumulate(parsed))]


def format_table(rows: Sequence[LayerField]) -> str:
    """The rows of :func:`receptive_field_table` as a plain-text table (for ``print``)."""
    header = ("layer", "type", "kernel", "stride", "padding", "dilation", "r", "S", "P")
    cells = [header] + [(row.name, row.kind, row.kernel, row.stride, row.padding, row.dilation,
                         row.r, row.S, row.P) for row in rows]
    typed = any(row.kind for row in rows)  # tuples have no layer type: drop the column
    cells = [[str(c) for i, c in enumerate(line) if typed or i != 1] for line in cells]
    left = 2 if typed else 1  # text columns, aligned left
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
             for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def input_window(layers, position, input_size=None) -> tuple[tuple[int, int], tuple[int, int]]:
    """Inclusive input window ``((y0, y1), (x0, x1))`` seen by output pixel ``position`` (row, col).

    Without ``input_size`` the window may reach outside the image (into the padding). With
    ``input_size=(H, W)`` it is clipped to the image, and the position must lie in the output.
    """
    row, col = check_pair("position", position, 0, scalar=False)
    field = receptive_field(layers)
    window = (field.window(row), field.window(col))
    if input_size is None:
        return window
    height, width = check_pair("input_size", input_size, 1, scalar=False)
    out_h, out_w = output_size(layers, (height, width))
    if row >= out_h or col >= out_w:
        raise ValueError(f"position {(row, col)} is outside the {out_h}x{out_w} output of a "
                         f"{height}x{width} input: expected row < {out_h} and col < {out_w}")
    (y0, y1), (x0, x1) = window
    return (max(y0, 0), min(y1, height - 1)), (max(x0, 0), min(x1, width - 1))


def output_size(layers, input_size) -> tuple[int, int]:
    """Output height and width (as PyTorch computes them) for an ``(H, W)`` input."""
    size = list(check_pair("input_size", input_size, 1, scalar=False))
    for layer in _layers(layers):
        for axis in range(2):
            size[axis] = _out_length(layer, size[axis], f"a {input_size[0]}x{input_size[1]} input")
    return size[0], size[1]


class GradientProbe:
    """Back-propagates single output pixels of ``model`` to an ``(H, W)`` input.

    Measures which input pixels can influence an output pixel. The model is copied (never
    changed) and prepared so that the gradient is non-zero exactly on those pixels:

    * every Conv2d and ConvTranspose2d gets random weights in [0.5, 1.5], normalised to sum 1
      per output channel, and zero bias; BatchNorm is reset to the identity; the input is uniform in [0.25, 0.75].
      All activations are then positive and of order 1, so ReLU-like layers pass the
      gradient, sigmoid and tanh do not saturate, and every term of the chain rule is
      positive: no sum of terms can cancel to an accidental zero;
    * MaxPool2d becomes an average pool over the same window (max pooling sends the gradient
      to the largest entry of each window only, which would show the pixels that won for this
      one input rather than every pixel that can win);
    * the copy runs in eval mode and double precision (by default), so even products of
      many small weights stay far from underflow.

    The forward pass runs once (``output_shape`` is its (h, w)); each :meth:`gradient` call
    is one backward pass.
    """

    def __init__(self, model: nn.Module, input_size, in_channels: int | None = None,
                 dtype: torch.dtype = torch.float64, seed: int = 0):
        if not isinstance(model, nn.Module):
            raise ValueError(f"expected a torch.nn.Module, got {type(model).__name__}")
        height, width = check_pair("input_size", input_size, 1, scalar=False)
        if in_channels is None:
            in_channels = next((m.in_channels for m in model.modules() if isinstance(m, nn.Conv2d)), 1)
        check_int("in_channels", in_channels, 1)
        generator = torch.Generator().manual_seed(seed)
        self.model = _prepare(model, dtype, generator)
        device = next(self.model.parameters(), torch.empty(0)).device
        self.input = (0.25 + 0.5 * torch.rand(1, in_channels, height, width, generator=generator,
                                              dtype=dtype)).to(device).requires_grad_(True)
        with torch.enable_grad():
            output = self.model(self.input)
        if output.ndim != 4:
            raise ValueError(f"expected the model to return a (1, C, h, w) feature map, got shape "
                             f"{tuple(output.shape)}")
        self.output = output
        self.output_shape: tuple[int, int] = (output.shape[2], output.shape[3])

    def gradient(self, position) -> np.ndarray:
        """|d output[:, row, col].sum() / d input| summed over input channels, shape (H, W)."""
        row, col = check_pair("position", position, 0, scalar=False)
        out_h, out_w = self.output_shape
        if not (0 <= row < out_h and 0 <= col < out_w):
            raise ValueError(f"position {(row, col)} is outside the {out_h}x{out_w} output: "
                             f"expected 0 <= row < {out_h} and 0 <= col < {out_w}")
        (grad,) = torch.autograd.grad(self.output[0, :, row, col].sum(), self.input, retain_graph=True)
        return grad[0].abs().sum(0).cpu().numpy()


def empirical_receptive_field(model: nn.Module, input_size, position,
                              in_channels: int | None = None) -> np.ndarray:
    """Bool mask (H, W) of the input pixels whose gradient for output pixel ``position`` is non-zero.

    ``position`` is (row, col) in the output; the gradient is that of the sum over output
    channels. ``in_channels`` defaults to that of the first Conv2d. See :class:`GradientProbe`
    for how the model is prepared so that the gradient cannot vanish by accident.
    """
    return GradientProbe(model, input_size, in_channels).gradient(position) > 0


# --- parsing ---------------------------------------------------------------------------

def _layers(layers) -> list[_Layer]:
    if isinstance(layers, nn.Module):
        return list(_module_layers(layers, ""))
    if isinstance(layers, (list, tuple)):
        parsed = []
        for i, item in enumerate(layers):
            if isinstance(item, nn.Module):
                parsed.extend(_module_layers(item, str(i)))
            else:
                parsed.append(_tuple_layer(item, i))
        return parsed
    raise ValueError("expected a torch.nn.Module or a list of (kernel, stride[, padding[, dilation]]) "
                     f"tuples, got {type(layers).__name__}")


def _tuple_layer(item, i: int) -> _Layer:
    if not isinstance(item, (tuple, list)) or not 2 <= len(item) <= 4:
        raise ValueError(f"layer {i}: expected a (kernel, stride), (kernel, stride, padding) or "
                         f"(kernel, stride, padding, dilation) tuple, got {item!r}")
    kernel, stride, padding, dilation = (list(item) + [0, 1][len(item) - 2:])[:4]
    for label, value, minimum in (("kernel", kernel, 1), ("stride", stride, 1),
                                  ("padding", padding, 0), ("dilation", dilation, 1)):
        if not is_int(value) or value < minimum:
            raise ValueError(f"layer {i}: expected {label} to be an int >= {minimum}, got {value!r}")
    return _Layer(str(i), "", int(kernel), int(stride), int(padding), int(dilation))


def _module_layers(module: nn.Module, name: str) -> Iterator[_Layer]:
    label = f"{name} ({type(module).__name__})" if name else type(module).__name__
    if isinstance(module, nn.Conv2d):
        kernel, stride, dilation = (_square(getattr(module, a), label, a)
                                    for a in ("kernel_size", "stride", "dilation"))
        padding = _conv_padding(module, kernel, dilation, label)
        yield _Layer(name or "conv", "Conv2d", kernel, stride, padding, dilation)
    elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kernel, stride, padding = (_square(getattr(module, a), label, a)
                                   for a in ("kernel_size", "stride", "padding"))
        dilation = _square(getattr(module, "dilation", 1), label, "dilation")
        yield _Layer(name or "pool", type(module).__name__, kernel, stride, padding, dilation,
                     bool(module.ceil_mode))
    elif isinstance(module, SKIPPED):
        return
    elif len(module._modules) > 0 or isinstance(module, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
        for child_name, child in module.named_children():
            yield from _module_layers(child, f"{name}.{child_name}" if name else child_name)
    else:
        raise ValueError(f"{label} is not supported: {_SUPPORTED}")


def _square(value, label: str, attribute: str) -> int:
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or pair[0] != pair[1] or not all(is_int(v) for v in pair):
        raise ValueError(f"{label}: only square windows are supported (the same {attribute} along "
                         f"height and width), got {attribute}={value!r}")
    return int(pair[0])


def _conv_padding(conv: nn.Conv2d, kernel: int, dilation: int, label: str) -> int:
    if conv.padding == "valid":
        return 0
    if conv.padding == "same":
        total = dilation * (kernel - 1)
        if total % 2:
            raise ValueError(f"{label}: padding='same' with an even effective kernel ({total + 1}) pads "
                             "one more pixel on one side than the other, which a single padding "
                             "number cannot describe: use an odd kernel or explicit padding")
        return total // 2
    return _square(conv.padding, label, "padding")


# --- arithmetic -----------------------------------------------------------------------

def _accumulate(layers: list[_Layer]) -> list[ReceptiveField]:
    """Receptive field after each layer: the partial sums of Araujo et al.'s closed forms."""
    size, stride, padding, fields = 1, 1, 0, []
    for layer in layers:
        size += layer.dilation * (layer.kernel - 1) * stride   # (k' - 1) prod_{i<l} s_i
        padding += layer.padding * stride                       # p_l prod_{i<l} s_i
        stride *= layer.stride
        fields.append(ReceptiveField(size, stride, padding))
    return fields


def _out_length(layer: _Layer, n: int, source: str) -> int:
    span = n + 2 * layer.padding - layer.dilation * (layer.kernel - 1) - 1
    if span < 0:
        raise ValueError(f"layer {layer.name} gets a feature map of size {n}, too small for its "
                         f"{layer.dilation * (layer.kernel - 1) + 1}-pixel window with padding {layer.padding}: "
                         f"{source} is too small for this network")
    return sliding_length(n, layer.kernel, layer.stride, layer.padding, layer.dilation, layer.ceil_mode)


# --- the gradient probe ---------------------------------------------------------------

class _AveragePool(nn.Module):
    """Average over the window of a max pool (dilation and ceil_mode included)."""

    def __init__(self, pool: nn.MaxPool2d):
        super().__init__()
        k, s, p, d = (_square(getattr(pool, attribute), "MaxPool2d", attribute)
                      for attribute in ("kernel_size", "stride", "padding", "dilation"))
        self.layer = _Layer("pool", "MaxPool2d", k, s, p, d, bool(pool.ceil_mode))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s, p, d = self.layer.kernel, self.layer.stride, self.layer.padding, self.layer.dilation
        extra = [max(0, (_out_length(self.layer, n, "the input") - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
                 for n in x.shape[2:]]
        x = F.pad(x, (p, p + extra[1], p, p + extra[0]))
        weight = torch.full((x.shape[1], 1, k, k), 1.0 / (k * k), dtype=x.dtype, device=x.device)
        return F.conv2d(x, weight, stride=s, dilation=d, groups=x.shape[1])


def _prepare(model: nn.Module, dtype: torch.dtype, generator: torch.Generator) -> nn.Module:
    probe = copy.deepcopy(model).to(dtype).eval()
    if isinstance(probe, nn.MaxPool2d):
        return _AveragePool(probe)
    pools = [(parent, name, child) for parent in probe.modules() for name, child in parent.named_children()
             if isinstance(child, nn.MaxPool2d)]
    for parent, name, pool in pools:
        setattr(parent, name, _AveragePool(pool))
    with torch.no_grad():
        for module in probe.modules():
            if isinstance(module, nn.Conv2d):
                weight = 0.5 + torch.rand(module.weight.shape, generator=generator, dtype=dtype)
                module.weight.copy_(weight / weight.sum(dim=(1, 2, 3), keepdim=True))
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.modules.conv._ConvTransposeNd):  # weight (in, out, k, k)
                weight = 0.5 + torch.rand(module.weight.shape, generator=generator, dtype=dtype)
                module.weight.copy_(weight / weight.sum(dim=(0, 2, 3), keepdim=True))
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_parameters()
    return probe
