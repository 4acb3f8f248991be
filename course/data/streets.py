"""The street scenes of lessons 01, 05 and 06 as a dataset: synthetic driving-camera views.

Image ``i`` of a split is ``course.samples.street_scene(seed + offset + i, (height, width))``,
with offset 0 for "train" and 10,000 for "val", so the two splits never share a scene and the
first ``n`` images do not depend on how many are asked for. Classes: road, sidewalk, building,
vegetation, sky, car, person; a 1-pixel band around every car and person is 255 (ignored).
"""

from __future__ import annotations

import numpy as np
import torch

from ..arguments import check_int
from ..samples import STREET_CLASSES, street_scene
from .dataset import SegmentationDataset

__all__ = ["CLASS_NAMES", "SPLITS", "DEFAULT_SIZES", "load_streets"]

CLASS_NAMES = STREET_CLASSES
SPLITS = {"train": 0, "val": 10_000}
DEFAULT_SIZES = {"train": 512, "val": 64}
_MIN_SIDE = 48


def load_streets(split: str = "train", *, n: int | None = None, height: int = 64, width: int = 96,
                 seed: int = 0) -> SegmentationDataset:
    """The street scenes' ``split`` ("train" or "val"): ``n`` images of ``height`` x ``width``.

    ``n`` defaults to 512 for "train" and 64 for "val"; ``seed`` shifts the scenes of both.
    """
    if split not in SPLITS:
        raise ValueError(f"expected split to be one of {list(SPLITS)}, got {split!r}")
    n = DEFAULT_SIZES[split] if n is None else check_int("n", n, 1)
    check_int("height", height, _MIN_SIDE)
    check_int("width", width, _MIN_SIDE)
    check_int("seed", seed, 0)
    images = np.empty((n, height, width, 3), np.float32)
    masks = np.empty((n, height, width), np.uint8)
    for i in range(n):
        scene = street_scene(seed + SPLITS[split] + i, (height, width))
        images[i], masks[i] = scene.image, scene.mask
    return SegmentationDataset(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
                               torch.from_numpy(masks).long(), CLASS_NAMES, name="streets", split=split,
                               info={"seed": seed, "height": height, "width": width})
