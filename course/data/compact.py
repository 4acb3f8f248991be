"""Datasets kept compact (on disk, on the training device), turned back into what a network eats.

Images that came from 8-bit files (every value ``k / 255``) are stored as uint8, 4x smaller than
float32; masks as uint8, 8x smaller than int64 (the ignore index 255 fits). Each batch is turned
back on the device (``float() / 255``, ``long()``), bit for bit the values the dataset holds, so a
run gives the same numbers either way. Oxford-IIIT Pet at 128 px: its 3,680 trainval images and
masks take 230 MB instead of 1,150 MB (MB of 2**20 bytes). Data that are not 8-bit (the embedded
dataset's noisy images) stay as they are. The Oxford-IIIT Pet loader expands its uint8 cache with
:func:`expand_images`, the very arithmetic the training loop uses per batch.
"""

from __future__ import annotations

import torch

__all__ = ["compact_images", "compact_masks", "compact_dataset", "expand_images", "expand_masks", "megabytes"]


def compact_images(images: torch.Tensor) -> torch.Tensor:
    """``images`` as uint8 when that loses nothing (float32 values ``k / 255``), else themselves."""
    if images.dtype != torch.float32:
        return images
    levels = (images * 255).round_()
    if levels.min() < 0 or levels.max() > 255 or not torch.equal(levels / 255, images):
        return images
    return levels.to(torch.uint8)


def compact_masks(masks: torch.Tensor) -> torch.Tensor:
    """``masks`` as uint8 when every label fits (0..255: classes and the ignore index), else themselves."""
    if masks.dtype == torch.uint8 or masks.numel() == 0 or masks.min() < 0 or masks.max() > 255:
        return masks
    return masks.to(torch.uint8)


def compact_dataset(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """A :class:`~course.data.SegmentationDataset`'s (images, masks), each compacted if it loses nothing."""
    return compact_images(dataset.images), compact_masks(dataset.masks)


def expand_images(batch: torch.Tensor) -> torch.Tensor:
    """A batch of :func:`compact_images` back in float32 (on its device)."""
    return batch.float().div_(255) if batch.dtype == torch.uint8 else batch


def expand_masks(batch: torch.Tensor) -> torch.Tensor:
    """A batch of :func:`compact_masks` back in int64 (on its device)."""
    return batch.long() if batch.dtype == torch.uint8 else batch


def megabytes(*tensors: torch.Tensor) -> float:
    """What ``tensors`` take, in MB of 2**20 bytes."""
    return sum(t.element_size() * t.nelement() for t in tensors) / 2**20
