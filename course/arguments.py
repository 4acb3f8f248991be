"""Argument checks shared by the course's functions: a ValueError that says expected vs got."""

from __future__ import annotations

from numbers import Integral

import numpy as np


def is_int(value) -> bool:
    """True for Python and NumPy integers (not for bools)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_int(name: str, value, minimum: int) -> int:
    """``value`` as an int, or a ValueError unless it is an int >= ``minimum``."""
    if not is_int(value) or value < minimum:
        raise ValueError(f"expected {name} to be an int >= {minimum}, got {value!r}")
    return int(value)


def check_choice(name: str, value, choices) -> None:
    """A ValueError unless ``value`` is one of ``choices`` (a range is shown as [first, last])."""
    if value not in choices:
        shown = f"[{choices.start}, {choices.stop - 1}]" if isinstance(choices, range) else repr(tuple(choices))
        raise ValueError(f"expected {name} to be one of {shown}, got {value!r}")


def check_pair(name: str, value, minimum: int = 1, scalar: bool = True) -> tuple[int, int]:
    """(rows, cols) from a pair of ints >= ``minimum`` (or, if ``scalar``, one int used twice)."""
    items = (value, value) if scalar and is_int(value) else value
    if (not isinstance(items, (tuple, list)) or len(items) != 2
            or not all(is_int(v) and v >= minimum for v in items)):
        what = "an int or a pair of ints" if scalar else "a pair of ints"
        raise ValueError(f"expected {name} to be {what} >= {minimum} (rows, cols), got {value!r}")
    return int(items[0]), int(items[1])


def as_plane(name: str, x) -> np.ndarray:
    """A non-empty 2-D array of numbers (H, W) from an array, nested list or torch tensor."""
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.ndim != 2 or x.size == 0 or x.dtype.kind not in "biuf":
        raise ValueError(f"expected {name} to be a non-empty 2-D array of numbers (H, W), "
                         f"got shape {x.shape} and dtype {x.dtype}")
    return x
