"""The one dataset type every loader returns: a whole split held in memory as two tensors."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ..metrics import IGNORE_INDEX

__all__ = ["SegmentationDataset"]


class SegmentationDataset(Dataset):
    """A split of a segmentation dataset, preprocessed in memory.

    ``images`` is float32 (N, C, H, W) with values in [0, 1] (not normalised: a network's
    first batch norm, or the training loop, does that); ``masks`` is int64 (N, H, W) holding
    class ids ``0 .. num_classes - 1`` or :data:`IGNORE_INDEX` (255). Item ``i`` is the pair
    ``(images[i], masks[i])``, so the dataset works with a ``DataLoader``; a training loop
    may also move ``images`` and ``masks`` to the GPU once (:meth:`to`) and slice batches
    there. Class 0 is the background; class ``k`` is drawn in ``course.viz.PALETTE[k]``.
    """

    def __init__(self, images: torch.Tensor, masks: torch.Tensor, class_names, *,
                 name: str, split: str, info: dict | None = None):
        class_names = tuple(class_names)
        if not class_names or not all(isinstance(c, str) for c in class_names):
            raise ValueError(f"expected class_names to be a non-empty sequence of str, got {class_names!r}")
        if not (isinstance(images, torch.Tensor) and images.dtype == torch.float32 and images.ndim == 4):
            raise ValueError(f"expected images to be a float32 tensor (N, C, H, W), got {_describe(images)}")
        if not (isinstance(masks, torch.Tensor) and masks.dtype == torch.int64 and masks.ndim == 3):
            raise ValueError(f"expected masks to be an int64 tensor (N, H, W), got {_describe(masks)}")
        if images.shape[0] != masks.shape[0] or images.shape[2:] != masks.shape[1:]:
            raise ValueError(f"expected masks of shape {(images.shape[0], *images.shape[2:])} to match "
                             f"images {tuple(images.shape)}, got {tuple(masks.shape)}")
        self.images, self.masks = images, masks
        self.class_names: tuple[str, ...] = class_names
        self.name, self.split = name, split
        self.info = dict(info or {})

    @property
    def num_classes(self) -> int:
        """Number of classes (the ignore index 255 is not one)."""
        return len(self.class_names)

    @property
    def ignore_index(self) -> int:
        """The mask value of pixels that count for no class: 255."""
        return IGNORE_INDEX

    @property
    def colors(self) -> np.ndarray:
        """RGB colours (num_classes, 3) in [0, 1] of the classes, from ``course.viz.PALETTE``."""
        from ..viz import class_colors

        return class_colors(self.num_classes)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.masks[index]

    def to(self, device) -> SegmentationDataset:
        """The same split with ``images`` and ``masks`` on ``device``."""
        return SegmentationDataset(self.images.to(device), self.masks.to(device), self.class_names,
                                   name=self.name, split=self.split, info=self.info)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """NumPy copies for plotting and NumPy code: images (N, H, W, C) float32, masks (N, H, W) int64."""
        return self.images.permute(0, 2, 3, 1).cpu().numpy(), self.masks.cpu().numpy()

    def class_pixel_counts(self) -> np.ndarray:
        """Labelled pixels of each class over the whole split, int64 (num_classes,)."""
        counts = torch.bincount(self.masks[self.masks != IGNORE_INDEX].flatten().cpu(),
                                minlength=self.num_classes)
        return counts[: self.num_classes].numpy()

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        return (f"SegmentationDataset({self.name!r}, split={self.split!r}: {n} images {c}x{h}x{w}, "
                f"classes {self.class_names})")


def _describe(x) -> str:
    if isinstance(x, torch.Tensor):
        return f"a {x.dtype} tensor of shape {tuple(x.shape)}"
    return f"{type(x).__name__}"
