"""Checkpoints written atomically, so a run killed mid-write leaves the previous one intact."""

from __future__ import annotations

import os
import pickle
import warnings
import zipfile
from pathlib import Path

import torch

from ..files import atomic_open

__all__ = ["save_checkpoint", "load_checkpoint", "CheckpointError"]


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from: cut off, corrupt, not course train's, another model's."""


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` (tensors, numbers, strings, lists, dicts) to ``path`` with ``torch.save``:
    first to a temporary file in the same folder, then renamed over ``path`` in one step."""
    path = Path(path)
    with atomic_open(path) as file:
        torch.save(state, file)
    return path


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """The state saved by :func:`save_checkpoint` (loaded with ``weights_only=True``: data only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"expected a checkpoint at {path}, got no such file")
    try:
        with warnings.catch_warnings():  # torch's remarks on a foreign pickle's protocol: the error says enough
            warnings.simplefilter("ignore", UserWarning)
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:  # torch's message advises weights_only=False: never for a file we did not write
        raise CheckpointError(f"{path} holds more than tensors and numbers, so it is no checkpoint of course train: "
                              "it is not loaded; delete it or write the run to another folder") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path} is cut off or corrupt ({reason}): a full disk or an interrupted copy? Delete "
                              "it to start again, or resume from another copy") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} is no checkpoint of course train (it holds a {type(state).__name__}, "
                              "not a dict)")
    return state
