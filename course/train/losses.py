"""Segmentation losses: cross entropy with class weights, soft Dice, and their sum.

Every loss takes class scores (logits) ``scores`` float (N, K, H, W) and a target ``target``
long (N, H, W) holding class ids ``0 .. K-1`` or the ignore index 255, and returns a scalar
tensor. Pixels whose target is the ignore index count for nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F

from ..arguments import check_int
from ..metrics import IGNORE_INDEX, median_frequency_weights

__all__ = ["cross_entropy", "dice_loss", "combined_loss", "class_weights", "make_loss", "LOSSES"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def cross_entropy(scores: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                  ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Pixel-wise cross entropy; with ``weight`` (K,) the weighted mean
    sum_i w[t_i] * (-log p_i[t_i]) / sum_i w[t_i] over the counted pixels i."""
    _check(scores, target)
    if weight is not None:
        weight = weight.to(device=scores.device, dtype=torch.float32)
    return F.cross_entropy(scores.float(), target, weight=weight, ignore_index=ignore_index)


def dice_loss(scores: torch.Tensor, target: torch.Tensor, ignore_index: int = IGNORE_INDEX,
              smooth: float = 1.0) -> torch.Tensor:
    """Soft multi-class Dice loss over the whole batch: 1 - mean over classes c of
    (2 sum_i p_ic y_ic + smooth) / (sum_i p_ic + sum_i y_ic + smooth), where p is the softmax
    of ``scores``, y the one-hot target and i runs over the counted pixels."""
    _check(scores, target)
    probs = torch.softmax(scores.float(), dim=1)
    valid = (target != ignore_index).unsqueeze(1)                                 # (N, 1, H, W)
    onehot = F.one_hot(torch.where(valid[:, 0], target, 0), scores.shape[1])      # (N, H, W, K)
    onehot = onehot.permute(0, 3, 1, 2).to(probs.dtype) * valid
    probs = probs * valid
    dims = (0, 2, 3)
    intersection = (probs * onehot).sum(dims)
    cardinality = probs.sum(dims) + onehot.sum(dims)
    return 1 - ((2 * intersection + smooth) / (cardinality + smooth)).mean()


def combined_loss(scores: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                  ignore_index: int = IGNORE_INDEX, smooth: float = 1.0) -> torch.Tensor:
    """Cross entropy (weighted by ``weight`` if given) + soft Dice loss."""
    return (cross_entropy(scores, target, weight, ignore_index)
            + dice_loss(scores, target, ignore_index, smooth))


LOSSES = ("ce", "dice", "ce+dice")


def make_loss(name: str = "ce", weight: torch.Tensor | None = None) -> Loss:
    """The loss ``name`` (one of :data:`LOSSES`) as a function (scores, target) -> scalar;
    ``weight`` (K,) weights the cross entropy term (Dice has none)."""
    if name not in LOSSES:
        raise ValueError(f"expected loss to be one of {list(LOSSES)}, got {name!r}")
    if name == "dice":
        if weight is not None:
            raise ValueError("expected no class weights for the Dice loss (it has no weighting), got some")
        return dice_loss
    if name == "ce":
        return lambda scores, target: cross_entropy(scores, target, weight)
    return lambda scores, target: combined_loss(scores, target, weight)


def class_weights(masks, num_classes: int, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Median frequency balancing weights (K,) float32 of label maps ``masks`` (N, H, W)
    (tensor or array), from :func:`course.metrics.median_frequency_weights`."""
    check_int("num_classes", num_classes, 1)
    if isinstance(masks, torch.Tensor):
        masks = masks.detach().cpu().numpy()
    weights = median_frequency_weights(np.asarray(masks), num_classes, ignore_index)
    return torch.from_numpy(weights.astype(np.float32))


def _check(scores: torch.Tensor, target: torch.Tensor) -> None:
    if scores.dim() != 4 or target.dim() != 3 or scores.shape[0] != target.shape[0] \
            or scores.shape[2:] != target.shape[1:]:
        raise ValueError(f"expected scores (N, K, H, W) and target (N, H, W) of the same N, H, W, got "
                         f"{tuple(scores.shape)} and {tuple(target.shape)}")
