"""Segmenters without a network, to compare networks against."""

from __future__ import annotations

import numpy as np

from .metrics import IGNORE_INDEX


class NearestColorClassifier:
    """Label every pixel on its own by the nearest class-mean colour.

    It sees one pixel and no context, the extreme case of a tiny receptive field: what it
    gets wrong shows what colour alone cannot decide.
    """

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.means = None

    def fit(self, images, masks, ignore_index: int = IGNORE_INDEX) -> "NearestColorClassifier":
        """Learn the mean colour of each class from images (N, H, W, 3) and masks (N, H, W)."""
        images, masks = np.asarray(images, dtype=np.float64), np.asarray(masks)
        if images.shape[:-1] != masks.shape:
            raise ValueError(f"images {images.shape} and masks {masks.shape} must match in (N, H, W)")
        valid = masks != ignore_index
        colours, labels = images[valid], masks[valid].astype(np.int64)
        counts = np.bincount(labels, minlength=self.num_classes)[: self.num_classes]
        sums = np.stack([np.bincount(labels, weights=colours[:, ch], minlength=self.num_classes)
                         for ch in range(colours.shape[1])], axis=1)[: self.num_classes]
        # a class never seen gets an unreachable colour, so it is never predicted
        self.means = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], np.inf)
        return self

    def predict(self, images) -> np.ndarray:
        """Class ids (..., H, W) for images (..., H, W, 3)."""
        if self.means is None:
            raise RuntimeError("call fit() before predict()")
        images = np.asarray(images, dtype=np.float64)
        distances = ((images[..., None, :] - self.means) ** 2).sum(axis=-1)
        return distances.argmin(axis=-1).astype(np.uint8)
