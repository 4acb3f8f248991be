"""A short, seeded training loop on in-memory tensors, with a progress bar."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ..arguments import check_int
from ..config import device as default_device

__all__ = ["History", "fit", "predict", "to_tensors"]

IGNORE_INDEX = 255


@dataclass
class History:
    """What :func:`fit` measured: the loss of every step and the wall-clock time."""

    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def smoothed(self, window: int = 20) -> np.ndarray:
        """Running mean of the losses over ``window`` steps (shorter at the start)."""
        losses = np.asarray(self.losses, dtype=float)
        sums = np.cumsum(np.insert(losses, 0, 0.0))
        starts = np.maximum(np.arange(1, len(losses) + 1) - window, 0)
        return (sums[1:] - sums[starts]) / (np.arange(1, len(losses) + 1) - starts)


def to_tensors(images, masks) -> tuple[torch.Tensor, torch.Tensor]:
    """NumPy images (N, H, W, C) in [0, 1] and masks (N, H, W) -> float (N, C, H, W), long (N, H, W)."""
    images, masks = np.asarray(images), np.asarray(masks)
    if images.ndim != 4 or masks.ndim != 3 or images.shape[:3] != masks.shape:
        raise ValueError(f"expected images (N, H, W, C) and masks (N, H, W) of the same N, H, W, got "
                         f"{images.shape} and {masks.shape}")
    return (torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32)),
            torch.from_numpy(masks.astype(np.int64)))


def fit(model: nn.Module, images: torch.Tensor, masks: torch.Tensor, steps: int, batch_size: int = 16,
        lr: float = 2e-3, class_weights: torch.Tensor | None = None, seed: int = 0,
        device: torch.device | str | None = None, progress: bool = True) -> History:
    """Train ``model`` with Adam and cross entropy for ``steps`` random batches.

    ``images`` (N, C, H, W) float, ``masks`` (N, H, W) long with 255 = ignore. Batches are
    drawn with a generator seeded by ``seed``; the model is left in eval mode on ``device``.
    """
    check_int("steps", steps, 1)
    check_int("batch_size", batch_size, 1)
    if images.dim() != 4 or masks.dim() != 3 or images.shape[0] != masks.shape[0] \
            or images.shape[2:] != masks.shape[1:]:
        raise ValueError(f"expected images (N, C, H, W) and masks (N, H, W) that match, got "
                         f"{tuple(images.shape)} and {tuple(masks.shape)}")
    device = torch.device(device) if device is not None else default_device()
    generator = torch.Generator().manual_seed(seed)
    model.to(device).train()
    images, masks = images.to(device), masks.to(device)
    weight = class_weights.to(device) if class_weights is not None else None
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history, start = History(), time.perf_counter()
    labels = masks[masks != IGNORE_INDEX]
    largest = int(labels.max()) if labels.numel() else -1
    bar = tqdm(range(steps), desc="training", unit="step", disable=not progress)
    for step in bar:
        batch = torch.randint(0, images.shape[0], (batch_size,), generator=generator).to(device)
        scores = model(images[batch])
        if step == 0 and (scores.shape[2:] != masks.shape[1:] or largest >= scores.shape[1]):
            raise ValueError(f"expected the model's scores (N, num_classes, H, W) to match the masks: got scores of "
                             f"shape {tuple(scores.shape)} for masks {tuple(masks.shape[1:])} with labels up to "
                             f"{largest} (255 = ignore)")
        loss = F.cross_entropy(scores, masks[batch], weight=weight, ignore_index=IGNORE_INDEX)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        history.losses.append(loss.item())
        bar.set_postfix(loss=f"{history.losses[-1]:.3f}", refresh=False)
    history.seconds = time.perf_counter() - start
    model.eval()
    return history


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """Label maps (N, H', W') long on the CPU: the arg-max class of the model's scores, in eval mode."""
    model.eval()
    device = next(model.parameters()).device
    out = [model(images[i:i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out)
