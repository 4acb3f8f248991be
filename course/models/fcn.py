"""The two small encoder-decoders that lesson 05 has students write, as the course writes them.

The lesson's tests compare a student's network with these (``course.exercises.REFERENCES``),
both given the same weights by ``course.checks.fill_parameters``: what is judged is the
function a network computes, not how its layers are named or stored.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SimpleFCN", "SegNetLite"]


class SimpleFCN(nn.Module):
    """(3x3 conv => ReLU => 2x2 max pool) x 2 => 3x3 conv => ReLU => (2x2 transposed conv, stride 2
    => ReLU) x 2 => 1x1 conv: (N, in_channels, H, W) -> (N, num_classes, H, W), H and W divisible by 4."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 16):
        super().__init__()
        w = width
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 2, stride=2), nn.ReLU(),
            nn.Conv2d(w, num_classes, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class SegNetLite(nn.Module):
    """SegNet-style: (3x3 conv => ReLU => 2x2 max pool, keeping the indices) x 2 => 3x3 conv => ReLU
    => (3x3 conv => ReLU => max unpool with the matching indices) x 2 => 3x3 conv => ReLU => 1x1 conv:
    (N, in_channels, H, W) -> (N, num_classes, H, W), H and W divisible by 4."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 16):
        super().__init__()
        w = width
        self.enc1 = nn.Conv2d(in_channels, w, 3, padding=1)
        self.enc2 = nn.Conv2d(w, 2 * w, 3, padding=1)
        self.bottleneck = nn.Conv2d(2 * w, 4 * w, 3, padding=1)
        self.dec2 = nn.Conv2d(4 * w, 2 * w, 3, padding=1)
        self.dec1 = nn.Conv2d(2 * w, w, 3, padding=1)
        self.refine = nn.Conv2d(w, w, 3, padding=1)
        self.classify = nn.Conv2d(w, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p1, i1 = F.max_pool2d(F.relu(self.enc1(x)), 2, return_indices=True)
        p2, i2 = F.max_pool2d(F.relu(self.enc2(p1)), 2, return_indices=True)
        b = F.relu(self.bottleneck(p2))
        u2 = F.max_unpool2d(F.relu(self.dec2(b)), i2, 2)
        u1 = F.max_unpool2d(F.relu(self.dec1(u2)), i1, 2)
        return self.classify(F.relu(self.refine(u1)))
