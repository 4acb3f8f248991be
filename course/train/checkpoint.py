"""Checkpoints written atomically, so a run killed mid-write leaves the previous one intact."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

__all__ = ["save_checkpoint", "load_checkpoint"]


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` (tensors, numbers, strings, lists, dicts) to ``path`` with ``torch.save``:
    first to a temporary file in the same folder, then renamed over ``path`` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp made it private; give it a normal file's mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """The state saved by :func:`save_checkpoint` (loaded with ``weights_only=True``: data only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"expected a checkpoint at {path}, got no such file")
    return torch.load(path, map_location=map_location, weights_only=True)
