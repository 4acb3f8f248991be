"""How many images a training batch may hold on a GPU.

What autograd keeps for the backward pass of one image is measured by running the model on the
meta device (shapes only: no memory, no arithmetic), in the run's precision; a batch may use
:data:`HEADROOM` of the GPU's memory after the weights, their gradients, AdamW's two moments
and :data:`RESERVED` for CUDA's own context and cuDNN's workspaces, with :data:`WORKING_SET`
times the saved activations for the gradients in flight. On the CPU nothing is chosen: the
configured batch is used.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from .settings import Settings

__all__ = ["activation_bytes", "largest_batch", "batch_for_device"]

HEADROOM = 0.8
RESERVED = 1 << 30
WORKING_SET = 1.5


def activation_bytes(model: nn.Module, image_shape: tuple[int, int, int], dtype: torch.dtype) -> int:
    """Bytes that autograd saves for the backward pass of one image of ``image_shape`` (C, H, W)."""
    meta = copy.deepcopy(model).to(device="meta", dtype=dtype).train()
    saved = 0

    def pack(tensor):
        nonlocal saved
        saved += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        meta(torch.empty(1, *image_shape, device="meta", dtype=dtype))
    return saved


def largest_batch(model: nn.Module, image_shape, settings: Settings, memory: int) -> tuple[int, float]:
    """(the most images a batch may hold in ``memory`` bytes, bytes an image)."""
    per_image = WORKING_SET * activation_bytes(model, tuple(image_shape), settings.torch_amp_dtype or torch.float32)
    state = 16 * sum(p.numel() for p in model.parameters())  # fp32 weights, gradients, two AdamW moments
    return max(0, int((HEADROOM * memory - state - RESERVED) // per_image)), per_image


def batch_for_device(model: nn.Module, image_shape, settings: Settings, requested: int | None, default: int) -> int:
    """The batch size of a run: ``requested`` if it fits the GPU (else a ValueError that says the
    most that fits), or ``default`` lowered to the largest power of two that fits. On the CPU:
    ``requested`` or ``default``."""
    if settings.device != "cuda":
        return requested or default
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    most, per_image = largest_batch(model, image_shape, settings, props.total_memory)
    where = (f"this GPU ({props.name}, {props.total_memory / 2**30:.1f} GB; about {per_image / 2**20:.0f} MB an "
             f"image of {image_shape[-2]}x{image_shape[-1]} in {settings.precision})")
    if most < 1:
        raise ValueError(f"expected room for one image on {where}, got none: use a smaller --size or --base-channels")
    if requested is not None and requested > most:
        raise ValueError(f"expected --batch-size at most {most} on {where}, got {requested}")
    return requested or min(default, 2 ** int(math.log2(most)))
