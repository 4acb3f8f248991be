"""Figures of a training run: loss and mIoU curves (also live, in a notebook), predictions on
validation images, and the confusion matrix, drawn with :mod:`course.viz`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..arguments import check_int
from ..data import SegmentationDataset
from ..metrics import IGNORE_INDEX, confusion_matrix, mean_iou
from ..viz import add_legend, class_colors, colorize, draw_confusion_matrix, show_predictions
from .engine import EpochRecord, predict

__all__ = ["draw_history", "history_figure", "confusion_figure", "predictions_figure", "samples_figure", "image_mious",
           "worst_cases_figure", "LivePlot"]


def draw_history(axes: Sequence, history: Sequence[EpochRecord], target_miou: float | None = None) -> None:
    """On two axes: training and validation loss per epoch; validation mean IoU and pixel
    accuracy per epoch (with the target as a dashed line)."""
    loss_ax, score_ax = axes
    epochs = [r.epoch for r in history]
    loss_ax.plot(epochs, [r.train_loss for r in history], "o-", label="training loss")
    loss_ax.plot(epochs, [r.val_loss for r in history], "s-", label="validation loss")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss")
    loss_ax.legend(frameon=False)
    score_ax.plot(epochs, [r.miou for r in history], "o-", label="validation mean IoU")
    score_ax.plot(epochs, [r.pixel_accuracy for r in history], "s--", label="validation pixel accuracy")
    if target_miou is not None:
        score_ax.axhline(target_miou, color="0.5", linestyle=":", label=f"target mIoU {target_miou:.2f}")
    score_ax.set_xlabel("epoch")
    score_ax.set_ylim(0, 1)
    score_ax.legend(frameon=False, loc="lower right")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if epochs:
            ax.set_xlim(0.5, max(epochs) + 0.5)


def history_figure(history: Sequence[EpochRecord], target_miou: float | None = None) -> Figure:
    """A figure of :func:`draw_history` (loss left, scores right)."""
    fig = Figure(figsize=(10, 3.6))
    draw_history(fig.subplots(1, 2), history, target_miou)
    fig.tight_layout()
    return fig


def confusion_figure(confusion: np.ndarray, class_names: Sequence[str]) -> Figure:
    """The row-normalised confusion matrix (K, K) of an evaluation."""
    fig = Figure(figsize=(1.0 * len(class_names) + 2.5, 1.0 * len(class_names) + 2))
    draw_confusion_matrix(fig.subplots(), confusion, class_names)
    fig.tight_layout()
    return fig


def predictions_figure(model, dataset: SegmentationDataset, rows: int = 4, title: str = "U-Net") -> Figure:
    """The first ``rows`` images of ``dataset``, their true labels and the predictions of
    ``model`` (a module titled ``title``, or a dict title -> module for several side by side)
    (:func:`course.viz.show_predictions`); the caller closes the figure."""
    import matplotlib.pyplot as plt

    models = model if isinstance(model, dict) else {title: model}
    images, masks = dataset.images[:rows], dataset.masks[:rows]
    predictions = {name: predict(m, images).numpy() for name, m in models.items()}
    show_predictions(images.permute(0, 2, 3, 1).cpu().numpy(), masks.cpu().numpy(), predictions,
                     dataset.class_names, rows=rows)
    return plt.gcf()


def samples_figure(dataset: SegmentationDataset, n: int = 6) -> Figure:
    """The first ``n`` images of ``dataset`` above their label maps, and each class's share
    of the labelled pixels; the caller closes the figure."""
    check_int("n", n, 1)
    n = min(n, len(dataset))
    k = dataset.num_classes
    fig = Figure(figsize=(1.5 * n + 3.4, 3.4), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.5 * n, 3.4])
    for i, column in enumerate(left.subplots(2, n, squeeze=False).T):
        image, mask = dataset[i]
        for ax, picture in zip(column, (image.permute(1, 2, 0).clamp(0, 1).numpy(), colorize(mask.numpy(), k))):
            ax.imshow(picture)
            ax.set_axis_off()
    counts = dataset.class_pixel_counts()
    share = counts / max(counts.sum(), 1)
    ax = right.subplots()
    ax.barh(range(k), share, color=class_colors(k), edgecolor="0.3")
    ax.set_yticks(range(k), dataset.class_names)
    ax.invert_yaxis()
    ax.set_xlabel("share of labelled pixels")
    for y, v in enumerate(share):
        ax.text(v, y, f" {v:.1%}", va="center", fontsize=9)
    ax.set_xlim(0, 1.25 * share.max())
    fig.suptitle(f"{dataset.name} {dataset.split}: {len(dataset)} images {tuple(dataset.images.shape[1:])}; "
                 f"images (top), label maps (bottom), pixels per class (right)")
    return fig


def image_mious(model: torch.nn.Module, dataset: SegmentationDataset) -> np.ndarray:
    """Mean IoU of each image of ``dataset`` on its own (N,), over the classes in its target or prediction."""
    return _image_mious(predict(model, dataset.images).numpy(), dataset)


def _image_mious(pred: np.ndarray, dataset: SegmentationDataset) -> np.ndarray:
    masks = dataset.masks.cpu().numpy()
    return np.array([mean_iou(confusion_matrix(p, m, dataset.num_classes)) for p, m in zip(pred, masks)])


def worst_cases_figure(model: torch.nn.Module, dataset: SegmentationDataset, n: int = 4) -> Figure:
    """The ``n`` images of ``dataset`` on which ``model`` scores its lowest mean IoU: image,
    true labels, prediction, and where the prediction is wrong; the caller closes the figure."""
    check_int("n", n, 1)
    predictions = predict(model, dataset.images).numpy()
    scores = _image_mious(predictions, dataset)
    worst = np.argsort(scores, kind="stable")[:n]
    images, masks, pred = dataset.images[worst], dataset.masks[worst].cpu().numpy(), predictions[worst]
    k = dataset.num_classes
    fig = Figure(figsize=(10.5, 2.5 * len(worst) + 0.3))
    axes = fig.subplots(len(worst), 4, squeeze=False)
    for row, i, image, mask, p in zip(axes, worst, images, masks, pred):
        wrong = np.where(mask == IGNORE_INDEX, 0.5, (p != mask).astype(float))
        panels = [(np.clip(image.permute(1, 2, 0).cpu().numpy(), 0, 1), f"#{i}: mIoU {scores[i]:.2f}"),
                  (colorize(mask, k), "true labels"), (colorize(p, k), "prediction"),
                  (wrong, f"wrong pixels, black ({(p != mask)[mask != IGNORE_INDEX].mean():.1%})")]
        for ax, (picture, label) in zip(row, panels):
            ax.imshow(picture, cmap="gray_r" if picture.ndim == 2 else None, vmin=0, vmax=1)
            ax.set_title(label)
            ax.set_axis_off()
    add_legend(axes[0, -1], dataset.class_names)
    fig.suptitle(f"the {len(worst)} validation images with the lowest mean IoU")
    fig.tight_layout()
    return fig


class LivePlot:
    """A training callback that redraws the curves in one notebook output after every epoch:
    ``train(..., callback=LivePlot(target_miou=0.9))``."""

    def __init__(self, target_miou: float | None = None):
        self.target_miou, self.handle = target_miou, None

    def __call__(self, record: EpochRecord, history: Sequence[EpochRecord]) -> None:
        from IPython.display import display

        fig = history_figure(history, self.target_miou)
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
