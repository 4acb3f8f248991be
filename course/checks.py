"""Helpers for the test cells of the lessons.

Each helper compares what a student's function returned with what was expected and, if
they differ, raises ``AssertionError`` with a message worth reading: the call that was
made, what was expected, what came back, and a hint. They never print to stderr, because
nbgrader scores a test cell with any stderr output as failed.
"""

from __future__ import annotations

import numpy as np


def check_array(got, expected, *, call: str, hint: str = "", atol: float = 0.0,
                rtol: float = 0.0, equal_nan: bool = False) -> None:
    """Assert that array ``got`` has the shape and values of ``expected``."""
    expected = np.asarray(expected)
    got = _as_array(got, call, hint)
    if got.shape != expected.shape:
        _fail(call, f"expected an array of shape {expected.shape}, got shape {got.shape}", hint)
    if got.dtype.kind not in "biuf":
        _fail(call, f"expected numbers, got an array of dtype {got.dtype}", hint)
    same = np.isclose(got, expected, atol=atol, rtol=rtol, equal_nan=equal_nan)
    if not same.all():
        where = tuple(int(i) for i in np.argwhere(~same)[0])
        _fail(call, f"expected\n{_show(expected)}\n  got\n{_show(got)}\n"
                    f"  first difference at index {list(where)}: expected {expected[where].item()!r}, "
                    f"got {got[where].item()!r} ({int((~same).sum())} of {same.size} entries differ)", hint)


def check_scalar(got, expected: float, *, call: str, hint: str = "", atol: float = 1e-9) -> None:
    """Assert that ``got`` is a single number equal to ``expected`` (NaN equals NaN)."""
    if isinstance(got, (list, tuple, dict, str)) or np.ndim(got) != 0 or got is None:
        _fail(call, f"expected a single number, got {got!r}", hint)
    got = float(got)
    if not (np.isnan(got) and np.isnan(expected)) and not abs(got - expected) <= atol:
        _fail(call, f"expected {expected!r}, got {got!r}", hint)


def check_shape(got, expected: tuple, *, call: str, hint: str = "") -> None:
    """Assert that ``got`` (an array or tensor) has shape ``expected``."""
    if not hasattr(got, "shape"):
        _fail(call, f"expected an array or tensor of shape {tuple(expected)}, got {type(got).__name__}", hint)
    if tuple(got.shape) != tuple(expected):
        _fail(call, f"expected shape {tuple(expected)}, got shape {tuple(got.shape)}", hint)


def _as_array(got, call: str, hint: str) -> np.ndarray:
    if got is None:
        _fail(call, "returned None: did you forget the `return` statement?", hint)
    if hasattr(got, "detach"):  # a torch tensor
        got = got.detach().cpu().numpy()
    if not isinstance(got, np.ndarray):
        _fail(call, f"expected a NumPy array, got {type(got).__name__}", hint)
    return np.asarray(got)  # a plain array: a subclass could redefine how it compares


def _show(array: np.ndarray) -> str:
    text = np.array2string(array, precision=4, threshold=64, edgeitems=3)
    return "\n".join("    " + line for line in text.splitlines())


def _fail(call: str, what: str, hint: str):
    message = f"{call} is not right:\n  {what}"
    if hint:
        message += f"\n  Hint: {hint}"
    raise AssertionError(message)
