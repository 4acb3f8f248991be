"""U-Net (Ronneberger, Fischer and Brox 2015), from small blocks that follow the paper's figure.

Every block takes and returns an (N, C, H, W) tensor. With the paper's settings
(``padding="valid"``, ``upsampling="transpose"``, ``batch_norm=False``, 64 base channels,
depth 4) a 1x572x572 tile gives a 2x388x388 map, exactly as in the paper's Figure 1.
"""

from __future__ import annotations

import torch
from torch import nn

from ..arguments import check_choice, check_int
from .sizes import PADDINGS, check_input_size

__all__ = ["DoubleConv", "Down", "Up", "OutConv", "UNet", "center_crop", "UPSAMPLINGS"]

UPSAMPLINGS = ("transpose", "bilinear")


class DoubleConv(nn.Sequential):
    """(3x3 conv => [BN] => ReLU) x 2: (N, C_in, H, W) -> (N, C_out, H', W').

    ``padding="same"`` keeps H' = H; ``"valid"`` (the paper) gives H' = H - 4.
    With batch norm the convolutions have no bias (the norm's shift replaces it).
    """

    def __init__(self, in_channels: int, out_channels: int, padding: str = "same", batch_norm: bool = True):
        pad = 1 if padding == "same" else 0
        layers: list[nn.Module] = []
        for cin in (in_channels, out_channels):
            layers.append(nn.Conv2d(cin, out_channels, 3, padding=pad, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class Down(nn.Sequential):
    """2x2 max pool => DoubleConv: (N, C_in, H, W) -> (N, C_out, H/2 [- 4], W/2 [- 4])."""

    def __init__(self, in_channels: int, out_channels: int, padding: str = "same", batch_norm: bool = True):
        super().__init__(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels, padding, batch_norm))


class Up(nn.Module):
    """Up-sample x2 halving the channels => concatenate the (cropped) skip => DoubleConv.

    ``forward(x, skip)``: x (N, C_in, h, w), skip (N, C_in/2, H, W) with H >= 2h
    -> (N, C_out, 2h [- 4], 2w [- 4]). ``upsampling="transpose"`` is the paper's 2x2
    "up-convolution" (a transposed convolution with stride 2); ``"bilinear"`` interpolates,
    then a 3x3 convolution (padding 1) halves the channels (a "resize-convolution": nothing
    overlaps unevenly, so no checkerboard at initialisation).
    """

    def __init__(self, in_channels: int, out_channels: int, padding: str = "same",
                 upsampling: str = "transpose", batch_norm: bool = True):
        super().__init__()
        half = in_channels // 2
        if upsampling == "transpose":
            self.up = nn.ConvTranspose2d(in_channels, half, kernel_size=2, stride=2)
        else:
            self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                                    nn.Conv2d(in_channels, half, kernel_size=3, padding=1))
        self.conv = DoubleConv(half + half, out_channels, padding, batch_norm)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        skip = center_crop(skip, x.shape[-2:])
        return self.conv(torch.cat([skip, x], dim=1))


class OutConv(nn.Conv2d):
    """1x1 conv: (N, C, H, W) -> (N, num_classes, H, W), one score per class and pixel."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__(in_channels, num_classes, kernel_size=1)


def center_crop(x: torch.Tensor, size) -> torch.Tensor:
    """The central (h, w) window of x (..., H, W), as the paper crops its skip connections.

    Raises ValueError if (h, w) is larger than (H, W).
    """
    h, w = int(size[0]), int(size[1])
    H, W = x.shape[-2:]
    if h > H or w > W:
        raise ValueError(f"cannot crop a {H}x{W} feature map to {h}x{w}: expected a size at most {H}x{W}")
    top, left = (H - h) // 2, (W - w) // 2
    return x[..., top:top + h, left:left + w]


class UNet(nn.Module):
    """U-Net: an encoder of ``depth`` Down steps, a decoder of ``depth`` Up steps with skips.

    ``forward``: (N, in_channels, H, W) -> (N, num_classes, H', W') class scores (logits);
    H' = H with same padding, smaller with valid padding (572 -> 388 at depth 4).
    Level ``i`` has ``base_channels * 2**i`` channels (64, 128, ..., 1024 in the paper).
    """

    def __init__(self, in_channels: int, num_classes: int, base_channels: int = 64, depth: int = 4,
                 padding: str = "same", upsampling: str = "transpose", batch_norm: bool = True):
        super().__init__()
        check_int("in_channels", in_channels, 1)
        check_int("num_classes", num_classes, 1)
        check_int("base_channels", base_channels, 1)
        check_int("depth", depth, 0)
        check_choice("padding", padding, PADDINGS)
        check_choice("upsampling", upsampling, UPSAMPLINGS)
        self.in_channels, self.num_classes, self.depth, self.padding = in_channels, num_classes, depth, padding
        self.upsampling, self.batch_norm, self.base_channels = upsampling, batch_norm, base_channels
        widths = [base_channels * 2 ** i for i in range(depth + 1)]
        self.inc = DoubleConv(in_channels, widths[0], padding, batch_norm)
        self.downs = nn.ModuleList(Down(widths[i], widths[i + 1], padding, batch_norm) for i in range(depth))
        self.ups = nn.ModuleList(Up(widths[i + 1], widths[i], padding, upsampling, batch_norm)
                                 for i in reversed(range(depth)))
        self.outc = OutConv(widths[0], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        skips = [self.inc(x)]
        for down in self.downs:                       # contracting path, keeping each level's features
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:                           # expanding path, deepest skip first
            x = up(x, skips.pop())
        return self.outc(x)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ValueError (expected vs got) for a tensor this network cannot take."""
        if x.dim() != 4:
            raise ValueError(f"expected a batch of images (N, C, H, W), got a tensor of shape {tuple(x.shape)}")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"expected {self.in_channels} input channels, got {x.shape[1]} "
                             f"(input shape {tuple(x.shape)})")
        check_input_size(tuple(x.shape), self.depth, self.padding)

    def extra_repr(self) -> str:
        return (f"depth={self.depth}, padding={self.padding!r}, upsampling={self.upsampling!r}, "
                f"batch_norm={self.batch_norm}")
