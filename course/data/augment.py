"""Joint image/mask augmentation of whole batches, on any device, reproducible from a generator.

Every function takes images (N, C, H, W) and masks (N, H, W) on the same device and returns
new tensors of the same kinds, each sample transformed with its own random draw. Random
numbers come from ``generator``, a ``torch.Generator`` on the batch's device (the training
loop's: no copy from the host, so no synchronisation of the GPU per batch) or on the CPU (a
handful of numbers per batch, copied to the batch's device: the same generator state then
gives the same batch on CPU and GPU).
Images and masks go through the *same* index arithmetic (flips, rotations by 90 degrees,
crops are pure rearrangements of pixels), so a mask can never drift from its image;
:func:`random_elastic` moves both along one displacement field (the image interpolated, the
mask taken from the nearest pixel).
Pixels that a crop takes from outside the image are 0 in the image and the ignore index
255 in the mask.
"""

from __future__ import annotations

import torch

from ..arguments import check_int, check_pair
from ..metrics import IGNORE_INDEX

__all__ = ["random_flip", "random_rot90", "random_crop", "random_elastic", "augment"]


def random_flip(images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator, *,
                horizontal: float = 0.5, vertical: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Flip each sample left-right with probability ``horizontal``, up-down with ``vertical``."""
    _check_batch(images, masks, generator)
    for name, p, dim in (("horizontal", horizontal, -1), ("vertical", vertical, -2)):
        _check_probability(name, p)
        if p > 0:
            flip = _on(torch.rand(len(images), generator=generator, device=generator.device), images) < p
            images = torch.where(flip[:, None, None, None], images.flip(dim), images)
            masks = torch.where(flip[:, None, None], masks.flip(dim), masks)
    return images, masks


def random_rot90(images: torch.Tensor, masks: torch.Tensor,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each sample by a random multiple of 90 degrees (square images only)."""
    _check_batch(images, masks, generator)
    if images.shape[-1] != images.shape[-2]:
        raise ValueError(f"expected square images for rotations by 90 degrees, got H x W = "
                         f"{tuple(images.shape[-2:])}")
    turns = _on(torch.randint(0, 4, (len(images),), generator=generator, device=generator.device), images)
    sample = torch.arange(len(images), device=images.device)
    # all four turns, then each sample's by integer indexing (a boolean mask would sync the GPU)
    return tuple(torch.stack([torch.rot90(t, k, dims=(-2, -1)) for k in range(4)])[turns, sample]
                 for t in (images, masks))


def random_crop(images: torch.Tensor, masks: torch.Tensor, size, generator: torch.Generator, *,
                padding: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A random ``size`` (int or (h, w)) window of each sample, after padding every side by
    ``padding`` pixels (image 0, mask 255). Returns (N, C, h, w) and (N, h, w)."""
    _check_batch(images, masks, generator)
    height, width = check_pair("size", size)
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"expected padding to be an int >= 0, got {padding!r}")
    n, _, rows, cols = images.shape
    if height > rows + 2 * padding or width > cols + 2 * padding:
        raise ValueError(f"expected a crop size at most the padded image, {rows + 2 * padding} x "
                         f"{cols + 2 * padding}, got {height} x {width}")
    if padding:
        images = torch.nn.functional.pad(images, (padding,) * 4, value=0.0)
        masks = torch.nn.functional.pad(masks, (padding,) * 4, value=IGNORE_INDEX)
    top = _on(torch.randint(0, images.shape[-2] - height + 1, (n,), generator=generator, device=generator.device),
              images)
    left = _on(torch.randint(0, images.shape[-1] - width + 1, (n,), generator=generator, device=generator.device),
               images)
    r = (top[:, None] + torch.arange(height, device=images.device))[:, :, None]  # (N, h, 1)
    c = (left[:, None] + torch.arange(width, device=images.device))[:, None, :]  # (N, 1, w)
    sample = torch.arange(n, device=images.device)[:, None, None]
    # advanced indices around a slice: the result is (N, h, w, C)
    return images[sample, :, r, c].permute(0, 3, 1, 2).contiguous(), masks[sample, r, c]


def augment(images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator, *,
            flip: bool = True, rot90: bool = False, crop=None,
            padding: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The usual training augmentation: random left-right flips (``flip``), rotations by
    multiples of 90 degrees (``rot90``, which with flips gives all 8 symmetries of a square),
    then a random ``crop`` (an int or (h, w)) of the image padded by ``padding``; with
    ``padding`` but no ``crop`` the window has the image's size (a random shift)."""
    if flip:
        images, masks = random_flip(images, masks, generator)
    if rot90:
        images, masks = random_rot90(images, masks, generator)
    if crop is not None or padding:
        crop = tuple(images.shape[-2:]) if crop is None else crop
        images, masks = random_crop(images, masks, crop, generator, padding=padding)
    return images, masks


def random_elastic(images: torch.Tensor, masks: torch.Tensor, generator: torch.Generator, *,
                   grid: int = 3, std: float = 10.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Elastic deformation as in the U-Net paper (Ronneberger et al. 2015, section 3.1).

    Random displacement vectors on a coarse ``grid`` x ``grid`` grid, drawn from a Gaussian
    with ``std`` pixels standard deviation, are interpolated bicubically to one displacement
    per pixel; each output pixel takes the image bilinearly and the mask from the nearest pixel
    at its displaced position. Positions outside the image reflect back into it.
    """
    from torch.nn import functional as F

    _check_batch(images, masks, generator)
    check_int("grid", grid, 2)
    if isinstance(std, bool) or not isinstance(std, (int, float)) or std < 0:
        raise ValueError(f"expected std to be a number of pixels >= 0, got {std!r}")
    n, _, h, w = images.shape
    coarse = _on(torch.randn(n, 2, grid, grid, generator=generator, device=generator.device), images) * std
    shift = F.interpolate(coarse.float(), size=(h, w), mode="bicubic", align_corners=True)   # (N, 2, H, W): dy, dx
    rows = torch.arange(h, device=images.device, dtype=torch.float32)[:, None] + shift[:, 0]
    cols = torch.arange(w, device=images.device, dtype=torch.float32)[None, :] + shift[:, 1]
    where = torch.stack([2 * cols / max(w - 1, 1) - 1, 2 * rows / max(h - 1, 1) - 1], dim=-1)  # (N, H, W, 2): x, y
    options = dict(padding_mode="reflection", align_corners=True)
    out = F.grid_sample(images.float(), where, mode="bilinear", **options).to(images.dtype)
    labels = F.grid_sample(masks[:, None].float(), where, mode="nearest", **options)[:, 0]
    return out, labels.round().to(masks.dtype)


def _on(draws: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """``draws`` on the batch's device (a copy only when the generator is on the CPU)."""
    return draws if draws.device == images.device else draws.to(images.device)


def _check_generator(generator, device: torch.device) -> None:
    if not (isinstance(generator, torch.Generator) and generator.device.type in ("cpu", device.type)):
        got = f"a generator on {generator.device}" if isinstance(generator, torch.Generator) else repr(generator)
        raise ValueError(f"expected generator to be a torch.Generator on the CPU or on the batch's device "
                         f"({device}), got {got}")


def _check_probability(name: str, p) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"expected {name} to be a probability in [0, 1], got {p!r}")


def _check_batch(images, masks, generator) -> None:
    if not (isinstance(images, torch.Tensor) and images.ndim == 4):
        raise ValueError(f"expected images to be a tensor (N, C, H, W), got "
                         f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}")
    _check_generator(generator, images.device)
    if not (isinstance(masks, torch.Tensor) and masks.ndim == 3 and masks.shape[0] == images.shape[0]
            and masks.shape[1:] == images.shape[2:] and masks.device == images.device):
        got = (f"{tuple(masks.shape)} on {masks.device}" if isinstance(masks, torch.Tensor)
               else type(masks).__name__)
        raise ValueError(f"expected masks (N, H, W) = {(images.shape[0], *images.shape[2:])} on "
                         f"{images.device}, got {got}")
