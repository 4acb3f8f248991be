"""Every layer's output shape and receptive field, computed from a configuration alone.

The shape tracer of lesson 05 draws this. It never builds the network, so it can show a
configuration that PyTorch would reject, and flag the layer where it goes wrong: a pooling
that drops a row of an odd-sized map, a skip connection whose two sides differ, an output
that no longer matches the input.

Receptive fields are followed exactly, per axis and per position, as the interval of input
pixels each position can see (what its gradient reaches): a k x k convolution or pooling
joins the intervals of the k positions under its window; a 2x2 transposed convolution with
stride 2 and max unpooling copy the interval of the one input position each output comes
from; bilinear x2 joins two neighbours; a skip connection joins both paths. In a plain stack
this gives Araujo et al.'s ``r`` (:mod:`course.receptive_field`); after up-sampling the
window's size can depend on the position's parity, and ``field`` is the largest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arguments import check_choice, check_int, check_pair
from ..geometry import sliding_length
from .encoder_decoder import DOWNSAMPLINGS, UPSAMPLINGS as ED_UPSAMPLINGS
from .sizes import PADDINGS
from .unet import UPSAMPLINGS as UNET_UPSAMPLINGS

__all__ = ["Layer", "trace", "ARCHITECTURES"]

ARCHITECTURES = ("unet", "encoder-decoder")


@dataclass(frozen=True)
class Layer:
    """One layer of a trace: where it is, what it outputs, what it sees, what went wrong."""

    block: str          # "inc", "down 2", "up 1", "out", ...
    op: str             # "3x3 conv", "2x2 max pool", "concat skip", ...
    level: int          # 0 at full resolution, depth at the bottleneck
    channels: int
    size: tuple[int, int]
    field: int          # receptive field: the largest window of input pixels a position sees, along one axis
    jump: int           # input pixels between neighbouring positions of this map
    problem: str = ""   # empty when the layer is fine

    @property
    def shape(self) -> str:
        return f"{self.channels}×{self.size[0]}×{self.size[1]}"


def trace(arch: str = "unet", input_size=(572, 572), in_channels: int = 1, num_classes: int = 2,
          base_channels: int = 64, depth: int = 4, padding: str = "valid", down: str = "maxpool",
          up: str = "transpose") -> list[Layer]:
    """Layers of a U-Net (``padding``, ``up`` in "transpose"/"bilinear") or of an
    encoder-decoder (same padding; ``down`` "maxpool"/"strided", ``up`` "transpose"/"unpool"/"bilinear"),
    with the configuration's defaults matching :class:`~course.models.UNet` and
    :class:`~course.models.EncoderDecoder`. Tracing stops after a layer whose output is empty.
    """
    check_choice("arch", arch, ARCHITECTURES)
    size = check_pair("input_size", input_size, 1, scalar=True)
    for name, value, low in (("in_channels", in_channels, 1), ("num_classes", num_classes, 1),
                             ("base_channels", base_channels, 1), ("depth", depth, 0)):
        check_int(name, value, low)
    if arch == "unet":
        check_choice("padding", padding, PADDINGS)
        check_choice("up", up, UNET_UPSAMPLINGS)
    else:
        check_choice("down", down, DOWNSAMPLINGS)
        check_choice("up", up, ED_UPSAMPLINGS)
        if up == "unpool" and down != "maxpool":
            raise ValueError(f"up='unpool' needs max pooling's positions: expected down='maxpool', got {down!r}")
    tracer = _Tracer(size, in_channels)
    try:
        if arch == "unet":
            _unet(tracer, base_channels, depth, padding, up)
        else:
            _encoder_decoder(tracer, base_channels, depth, down, up)
        tracer.conv("out", "1x1 conv", num_classes, 1, pad=0)
        if arch == "encoder-decoder" and tracer.size != size:
            tracer.flag(f"the output is {_hw(tracer.size)} but the input and its mask are {_hw(size)}: "
                        f"the loss cannot compare them pixel by pixel")
    except _Empty:
        pass
    return tracer.layers


class _Empty(Exception):
    """A layer's output has no pixels left: nothing after it can run."""


class _Tracer:
    """Walks the layers, keeping the current size, channels, level, jump and, per axis and
    position, the inclusive interval of input pixels that position sees."""

    def __init__(self, size: tuple[int, int], channels: int):
        self.size, self.channels, self.level, self.jump = size, channels, 0, 1
        self.windows = [np.stack([np.arange(n), np.arange(n)], axis=1) for n in size]   # (n, 2) per axis
        self.layers: list[Layer] = []

    @property
    def field(self) -> int:
        """The largest window over both axes (0 once a map is empty)."""
        if not all(len(w) for w in self.windows):
            return 0
        return max(int((w[:, 1] - w[:, 0]).max()) + 1 for w in self.windows)

    def _add(self, block: str, op: str, problem: str = "") -> None:
        self.size = tuple(len(w) for w in self.windows)
        self.layers.append(Layer(block, op, self.level, self.channels, self.size, self.field, self.jump, problem))
        if min(self.size) <= 0:
            self.flag("no pixels left: the input is too small for this depth (and padding)")
            raise _Empty

    def flag(self, problem: str) -> None:
        last = self.layers[-1]
        text = f"{last.problem}; {problem}" if last.problem else problem
        self.layers[-1] = Layer(last.block, last.op, last.level, last.channels, last.size, last.field,
                                last.jump, text)

    def conv(self, block: str, op: str, channels: int, kernel: int, pad: int, stride: int = 1) -> None:
        odd = [n for n in self.size if n % stride]
        self.windows = [_slide(w, kernel, stride, pad) for w in self.windows]
        self.jump *= stride
        self.channels = channels
        self.level += stride > 1
        self._add(block, op, _odd_problem(odd, "this strided convolution") if odd else "")

    def pool(self, block: str) -> None:
        odd = [n for n in self.size if n % 2]
        self.windows = [_slide(w, 2, 2, 0) for w in self.windows]
        self.jump *= 2
        self.level += 1
        self._add(block, "2x2 max pool", _odd_problem(odd, "pooling") if odd else "")

    def upsample(self, block: str, op: str, channels: int, bilinear: bool) -> None:
        self.windows = [(_bilinear if bilinear else _repeat)(w) for w in self.windows]
        self.jump //= 2
        self.channels = channels
        self.level -= 1
        self._add(block, op)

    def concat(self, block: str, skip: Layer, skip_windows: list[np.ndarray], crop: bool) -> None:
        self.channels += skip.channels
        problem = ""
        if crop and any(s < n for s, n in zip(skip.size, self.size)):
            problem = (f"the skip connection is {_hw(skip.size)}, smaller than the up-sampled {_hw(self.size)}: "
                       f"nothing to crop")
        elif crop and any((s - n) % 2 for s, n in zip(skip.size, self.size)):
            problem = (f"cropping the {_hw(skip.size)} skip to {_hw(self.size)} cannot be centred: "
                       f"the two maps are shifted by half a pixel")
        elif not crop and skip.size != self.size:
            problem = (f"torch.cat fails: the skip connection is {_hw(skip.size)}, the up-sampled map "
                       f"{_hw(self.size)}")
        if not problem:   # the skip's window at each position (centre crop), joined with the deep path's
            self.windows = [_union(w, s[(len(s) - len(w)) // 2:][:len(w)]) for w, s in zip(self.windows, skip_windows)]
        self._add(block, f"concat skip ({skip.channels} ch{', cropped' if crop else ''})", problem)


def _slide(windows: np.ndarray, kernel: int, stride: int, pad: int) -> np.ndarray:
    """Windows after a kernel/stride/padding layer: output o joins inputs o*stride - pad + [0, kernel)
    that exist (padding sees no input pixel)."""
    n = len(windows)
    out = max(sliding_length(n, kernel, stride, pad), 0)
    first = np.arange(out) * stride - pad
    lo = np.clip(first, 0, n - 1)
    hi = np.clip(first + kernel - 1, 0, n - 1)
    return np.stack([windows[lo, 0], windows[hi, 1]], axis=1) if out else windows[:0]


def _repeat(windows: np.ndarray) -> np.ndarray:
    """x2 up-sampling where output o comes from input o // 2 (2x2 stride-2 transposed conv, unpooling)."""
    return np.repeat(windows, 2, axis=0)


def _bilinear(windows: np.ndarray) -> np.ndarray:
    """x2 bilinear (align_corners=False): output o reads inputs i0 and i0 + 1 around (o + 0.5) / 2 - 0.5,
    the second only where its weight is not zero (PyTorch clamps the source index at 0)."""
    n = len(windows)
    source = np.maximum((np.arange(2 * n) + 0.5) / 2 - 0.5, 0)
    i0 = np.floor(source).astype(int)
    i1 = np.where((source > i0) & (i0 < n - 1), i0 + 1, i0)
    return np.stack([np.minimum(windows[i0, 0], windows[i1, 0]), np.maximum(windows[i0, 1], windows[i1, 1])], 1)


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([np.minimum(a[:, 0], b[:, 0]), np.maximum(a[:, 1], b[:, 1])], axis=1)


def _unet(t: _Tracer, base: int, depth: int, padding: str, up: str) -> None:
    pad = 1 if padding == "same" else 0
    widths = [base * 2 ** i for i in range(depth + 1)]
    skips = []
    for i in range(depth + 1):
        block = "inc" if i == 0 else f"down {i}"
        if i:
            t.pool(block)
        for _ in range(2):
            t.conv(block, "3x3 conv", widths[i], 3, pad)
        skips.append((t.layers[-1], t.windows))
    skips.pop()
    for i in reversed(range(depth)):
        block = f"up {depth - i}"
        if up == "transpose":
            t.upsample(block, "2x2 transposed conv", widths[i], bilinear=False)
        else:
            t.upsample(block, "bilinear x2", widths[i + 1], bilinear=True)
            t.conv(block, "3x3 conv", widths[i], 3, 1)
        t.concat(block, *skips.pop(), crop=padding == "valid")
        for _ in range(2):
            t.conv(block, "3x3 conv", widths[i], 3, pad)


def _encoder_decoder(t: _Tracer, base: int, depth: int, down: str, up: str) -> None:
    widths = [base * 2 ** i for i in range(depth + 1)]
    for i in range(depth + 1):
        block = "inc" if i == 0 else f"down {i}"
        if i and down == "maxpool":
            t.pool(block)
        elif i:
            t.conv(block, "3x3 conv, stride 2", widths[i - 1], 3, 1, stride=2)
        for _ in range(2):
            t.conv(block, "3x3 conv", widths[i], 3, 1)
    names = {"transpose": "2x2 transposed conv", "unpool": "max unpool", "bilinear": "bilinear x2"}
    for i in reversed(range(depth)):
        block = f"up {depth - i}"
        t.conv(block, "3x3 conv", widths[i], 3, 1)
        t.upsample(block, names[up], widths[i], bilinear=up == "bilinear")
        t.conv(block, "3x3 conv", widths[i], 3, 1)


def _odd_problem(odd: list[int], what: str) -> str:
    return (f"{what} halves an odd size ({', '.join(map(str, sorted(set(odd))))}): a row or column is lost "
            f"and up-sampling cannot give it back")


def _hw(size: tuple[int, int]) -> str:
    return f"{size[0]}×{size[1]}"
