"""Figures of a training run: loss and mIoU curves (also live, in a notebook), predictions on
validation images, and the confusion matrix, drawn with :mod:`course.viz`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..data import SegmentationDataset
from ..viz import draw_confusion_matrix, show_predictions
from .engine import EpochRecord
from .loop import predict

__all__ = ["draw_history", "history_figure", "confusion_figure", "predictions_figure", "LivePlot"]


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


def predictions_figure(model: torch.nn.Module, dataset: SegmentationDataset, rows: int = 4,
                       title: str = "U-Net") -> Figure:
    """The first ``rows`` images of ``dataset``, their true labels and ``model``'s predictions
    (:func:`course.viz.show_predictions`); the caller closes the figure."""
    import matplotlib.pyplot as plt

    images, masks = dataset.images[:rows], dataset.masks[:rows]
    pred = predict(model, images)
    show_predictions(images.permute(0, 2, 3, 1).cpu().numpy(), masks.cpu().numpy(), {title: pred.numpy()},
                     dataset.class_names, rows=rows)
    return plt.gcf()


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
