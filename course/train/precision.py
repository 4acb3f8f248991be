"""Why fp16 needs a gradient scaler, shown on the CPU: underflow, and a step the scaler skips.

:func:`fp16_underflow` rounds small gradients to float16 with and without scaling;
:func:`scaler_steps` runs ``torch.amp.GradScaler`` through one overflowing and one normal step
of a one-weight model and records what it did.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["fp16_underflow", "ScalerStep", "scaler_steps"]


def fp16_underflow(values=(1e-3, 1e-5, 1e-7, 1e-8, 1e-9), scale: float = 65536.0) -> list[tuple[float, float, float]]:
    """For each gradient value: (value, value stored in float16, value * ``scale`` stored in
    float16 and divided by ``scale`` again in float32), as a scaler does."""
    rows = []
    for value in values:
        x = torch.tensor(float(value), dtype=torch.float32)
        rows.append((float(value), x.half().item(), ((x * scale).half().float() / scale).item()))
    return rows


@dataclass(frozen=True)
class ScalerStep:
    """One step of :func:`scaler_steps`: the input, the scale before and after, whether the
    unscaled gradient was finite, and the weight before and after ``scaler.step``."""

    x: float
    scale_before: float
    scale_after: float
    finite: bool
    weight_before: float
    weight_after: float


def scaler_steps(inputs=(1e38, 1.0), lr: float = 0.1) -> list[ScalerStep]:
    """Train ``loss = w * x`` (w starts at 1) with SGD through a CPU ``GradScaler`` (initial
    scale 65536), one step per input. With x = 1e38 the scaled gradient, 65536 * 1e38, is inf:
    ``scaler.step`` skips the update and ``scaler.update`` halves the scale."""
    weight = torch.nn.Parameter(torch.ones(()))
    optimizer = torch.optim.SGD([weight], lr=lr)
    scaler = torch.amp.GradScaler("cpu")
    steps = []
    for x in inputs:
        optimizer.zero_grad()
        before, scale = weight.item(), scaler.get_scale()
        scaler.scale(weight * torch.tensor(float(x))).backward()
        scaler.unscale_(optimizer)
        finite = bool(torch.isfinite(weight.grad).all())
        scaler.step(optimizer)
        scaler.update()
        steps.append(ScalerStep(float(x), scale, scaler.get_scale(), finite, before, weight.item()))
    return steps
