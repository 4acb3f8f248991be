"""Segmentation metrics at dataset level, all derived from one confusion matrix.

Convention (as in scikit-learn): ``cm[t, p]`` counts the pixels whose true class is ``t``
and predicted class is ``p``, so rows are true classes and columns predictions. Pixels
whose target is the ignore index never count. Accumulate a dataset by summing the
per-image matrices, then compute the scores once: that is "dataset level".
"""

from __future__ import annotations

import numpy as np

IGNORE_INDEX = 255


def confusion_matrix(pred, target, num_classes: int, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Count (true class, predicted class) pairs over all non-ignored pixels; int64 (K, K)."""
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {pred.shape} and {target.shape}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    valid = target != ignore_index
    t, p = target[valid].astype(np.int64), pred[valid].astype(np.int64)
    for name, values in (("target", t), ("pred", p)):
        bad = values[(values < 0) | (values >= num_classes)]
        if bad.size:
            raise ValueError(f"{name} must hold class ids in [0, {num_classes}) or the ignore index "
                             f"{ignore_index}, got {int(bad[0])}")
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def pixel_accuracy(cm) -> float:
    """Fraction of counted pixels that are classified correctly (NaN if none counted)."""
    cm = _square(cm)
    total = cm.sum()
    return float(np.trace(cm) / total) if total else float("nan")


def iou_per_class(cm) -> np.ndarray:
    """Intersection over union of each class: TP / (TP + FP + FN); NaN where the class is
    absent from both prediction and target."""
    cm = _square(cm).astype(np.float64)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def mean_iou(cm) -> float:
    """Mean IoU over the classes present in prediction or target (NaN if there are none)."""
    return _nanmean(iou_per_class(cm))


def dice_per_class(cm) -> np.ndarray:
    """Dice coefficient (F1) of each class: 2 TP / (2 TP + FP + FN); NaN where absent."""
    cm = _square(cm).astype(np.float64)
    tp = np.diag(cm)
    total = cm.sum(axis=0) + cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * tp / total, np.nan)


def mean_dice(cm) -> float:
    """Mean Dice over the classes present in prediction or target."""
    return _nanmean(dice_per_class(cm))


def class_pixel_counts(masks, num_classes: int, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Number of pixels of each class over all masks (ignored pixels excluded)."""
    masks = np.asarray(masks)
    values = masks[masks != ignore_index].astype(np.int64)
    return np.bincount(values, minlength=num_classes)[:num_classes]


def median_frequency_weights(masks, num_classes: int, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Class weights by median frequency balancing (Eigen and Fergus, ICCV 2015).

    ``freq[c]`` is the number of pixels of class c divided by the number of labelled pixels
    of the images in which c appears; ``weight[c] = median(freq) / freq[c]``, so rare classes
    weigh more than 1 and frequent ones less. A class that never appears gets weight 0.
    ``masks`` is a stack (N, H, W) of label maps.
    """
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"masks must be a stack of label maps (N, H, W), got shape {masks.shape}")
    counts = np.zeros(num_classes, dtype=np.float64)
    pixels_of_images_with = np.zeros(num_classes, dtype=np.float64)
    for mask in masks:
        c = class_pixel_counts(mask, num_classes, ignore_index)
        counts += c
        pixels_of_images_with += (c > 0) * c.sum()
    present = counts > 0
    freq = np.divide(counts, pixels_of_images_with, out=np.zeros_like(counts), where=present)
    weights = np.zeros(num_classes)
    weights[present] = np.median(freq[present]) / freq[present]
    return weights


def report(cm, class_names) -> str:
    """A plain-text table of per-class IoU and Dice, then pixel accuracy and means."""
    iou, dice = iou_per_class(cm), dice_per_class(cm)
    width = max(len(n) for n in class_names)
    lines = [f"{'class':<{width}}    IoU   Dice"]
    for name, i, d in zip(class_names, iou, dice):
        lines.append(f"{name:<{width}}  {_pct(i)}  {_pct(d)}")
    lines.append(f"pixel accuracy {_pct(pixel_accuracy(cm))}, mean IoU {_pct(mean_iou(cm))}, "
                 f"mean Dice {_pct(mean_dice(cm))}")
    return "\n".join(lines)


def _pct(x: float) -> str:
    return "   n/a" if np.isnan(x) else f"{100 * x:5.1f}%"


def _nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def _square(cm) -> np.ndarray:
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"expected a square confusion matrix (K, K), got shape {cm.shape}")
    return cm
