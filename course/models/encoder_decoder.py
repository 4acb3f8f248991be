"""A plain encoder-decoder FCN: downsample inside the network, upsample back, no skips.

The lecture's "fully convolutional network with downsampling and upsampling": the encoder
halves the resolution ``depth`` times (max pooling or a strided convolution) while the
channels double; the decoder doubles it back (a transposed convolution, max unpooling with
the pooling's remembered positions as in SegNet, or bilinear interpolation) and predicts a
class score per pixel. Without the U-Net's skip connections, every detail the decoder
draws must squeeze through the bottleneck: boundaries come out blurry (lesson 05).
"""

from __future__ import annotations

import torch
from torch import nn

from ..arguments import check_choice, check_int
from .sizes import check_input_size
from .unet import DoubleConv, OutConv

__all__ = ["EncoderDecoder", "DOWNSAMPLINGS", "UPSAMPLINGS"]

DOWNSAMPLINGS = ("maxpool", "strided")
UPSAMPLINGS = ("transpose", "unpool", "bilinear")


def conv_block(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    """3x3 conv (padding 1, optional stride) => BN => ReLU: (N, C_in, H, W) -> (N, C_out, H/stride, W/stride)."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class EncoderDecoder(nn.Module):
    """Encoder (``depth`` x [down x2 => DoubleConv]) then decoder (``depth`` x [conv => up x2 => conv]).

    ``forward``: (N, in_channels, H, W) -> (N, num_classes, H, W) with H, W divisible by
    ``2**depth``. Level ``i`` has ``base_channels * 2**i`` channels. ``down``: "maxpool" (2x2)
    or "strided" (3x3 convolution, stride 2); ``up``: "transpose" (2x2, stride 2), "unpool"
    (needs ``down="maxpool"``) or "bilinear".
    """

    def __init__(self, in_channels: int, num_classes: int, base_channels: int = 32, depth: int = 3,
                 down: str = "maxpool", up: str = "transpose"):
        super().__init__()
        for name, value, low in (("in_channels", in_channels, 1), ("num_classes", num_classes, 1),
                                 ("base_channels", base_channels, 1), ("depth", depth, 0)):
            check_int(name, value, low)
        check_choice("down", down, DOWNSAMPLINGS)
        check_choice("up", up, UPSAMPLINGS)
        if up == "unpool" and down != "maxpool":
            raise ValueError(f"up='unpool' needs the positions that max pooling remembers: expected "
                             f"down='maxpool', got down={down!r}")
        self.in_channels, self.depth, self.down_kind, self.up_kind = in_channels, depth, down, up
        widths = [base_channels * 2 ** i for i in range(depth + 1)]
        self.inc = DoubleConv(in_channels, widths[0])
        self.downs = nn.ModuleList(self._down(widths[i]) for i in range(depth))
        self.encoders = nn.ModuleList(DoubleConv(widths[i], widths[i + 1]) for i in range(depth))
        self.reduces = nn.ModuleList(conv_block(widths[i + 1], widths[i]) for i in reversed(range(depth)))
        self.ups = nn.ModuleList(self._up(widths[i]) for i in reversed(range(depth)))
        self.refines = nn.ModuleList(conv_block(widths[i], widths[i]) for i in reversed(range(depth)))
        self.outc = OutConv(widths[0], num_classes)

    def _down(self, channels: int) -> nn.Module:
        if self.down_kind == "maxpool":
            return nn.MaxPool2d(2, return_indices=self.up_kind == "unpool")
        return conv_block(channels, channels, stride=2)

    def _up(self, channels: int) -> nn.Module:
        if self.up_kind == "transpose":
            return nn.ConvTranspose2d(channels, channels, kernel_size=2, stride=2)
        if self.up_kind == "unpool":
            return nn.MaxUnpool2d(2)
        return nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected a batch (N, {self.in_channels}, H, W), got shape {tuple(x.shape)}")
        check_input_size(tuple(x.shape), self.depth, "same", what="encoder-decoder")
        x = self.inc(x)
        positions = []
        for down, encode in zip(self.downs, self.encoders):        # H -> H / 2**depth
            x = down(x)
            if isinstance(x, tuple):                                  # max pooling kept the argmax positions
                x, where = x
                positions.append(where)
            x = encode(x)
        for reduce, up, refine in zip(self.reduces, self.ups, self.refines):   # back to H, no skips
            x = reduce(x)
            x = up(x, positions.pop()) if self.up_kind == "unpool" else up(x)
            x = refine(x)
        return self.outc(x)
