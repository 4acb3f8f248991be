"""A student's exercise function run next to the reference, safely.

:func:`run_student` calls the function on a batch of one (``(1, 1, H, W)``, see :func:`batch`),
turns whatever it raises into a message, converts what it returns (NumPy or torch) to planes,
checks their shapes against the reference and finds the cells that differ
(:func:`differing_cells`). The explorers show the student's result, or the message, next to
their own. Each lesson words its messages its own way (:class:`Wording`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np


@dataclass(frozen=True)
class Wording:
    """How an explorer words what happened; ``{names}`` are filled in.

    Every failure message starts with ``prefix``. ``raised`` gets ``{error}`` (the exception's
    type and message); ``unfinished`` follows it when that is a NotImplementedError (the
    exercise's placeholder). ``shape`` gets the ``{expected}`` and ``{got}`` shapes, ``match``
    and ``differ`` the ``{count}`` of differing cells and the ``{size}`` of the output.
    """

    prefix: str = ""
    raised: str = "raised {error}"
    unfinished: str = ""
    shape: str = "expected shape {expected}, got {got}"
    match: str = "matches"
    differ: str = "{count} of {size} cells differ"


@dataclass
class StudentResult:
    """What the student's function gave: its planes and the cells that differ, or an error.

    ``message`` is the error, or the verdict (all match, or how many cells differ).
    """

    name: str
    outputs: tuple[np.ndarray, ...] = ()  # one (H, W) plane per reference
    differ: np.ndarray | None = None      # bool (H, W): where any output differs from its reference
    error: str | None = None
    message: str = ""

    @property
    def output(self) -> np.ndarray | None:
        """The first plane (the only one, for most exercises)."""
        return self.outputs[0] if self.outputs else None


class _Wrong(Exception):
    """What the student's function returned is not what the exercise asks for."""


def batch(plane, dtype=np.float64) -> np.ndarray:
    """A fresh (1, 1, H, W) copy of ``plane`` (H, W): what the lessons' exercises take (a student
    function that writes into its input cannot change the explorer's data)."""
    return np.array(plane, dtype=dtype)[None, None]


def differing_cells(expected, got, tol: float = 1e-6) -> np.ndarray:
    """Boolean mask of the cells where ``got`` differs from ``expected`` by more than ``tol``
    (absolute and relative); NaN differs from everything."""
    return ~np.isclose(got, expected, rtol=tol, atol=tol)


def run_student(fn: Callable, args: Sequence = (), kwargs: dict | None = None, expected=(), *, name: str = "",
                names: Sequence[str] | None = None, tol: float = 1e-6, wording: Wording = Wording()) -> StudentResult:
    """Call ``fn(*args, **kwargs)`` and compare what it returns with ``expected``.

    ``expected`` is the reference plane (H, W), or a tuple of planes when the function returns
    a tuple (``names`` name them in messages, e.g. ``("out", "indices")``). Each returned array
    (NumPy, torch or nested lists) must have the shape (1, 1, H, W) of its reference and hold
    numbers. Never raises for what the student's code does: an exception, None, a wrong shape
    or type becomes the result's ``error``.
    """
    several = isinstance(expected, tuple)
    references = tuple(np.asarray(e) for e in (expected if several else (expected,)))
    try:
        got = fn(*args, **(kwargs or {}))
    except Exception as error:  # the student's code: show whatever it raised
        text = wording.raised.format(error=f"{type(error).__name__}" + (f": {error}" if str(error) else ""))
        if isinstance(error, NotImplementedError):
            text += wording.unfinished
        return StudentResult(name, error=wording.prefix + text, message=wording.prefix + text)
    try:
        if got is None:
            raise _Wrong("returned None: did you forget the `return` statement?")
        if several and (not isinstance(got, (tuple, list)) or len(got) != len(references)):
            raise _Wrong(f"expected a tuple ({', '.join(names or ())}), got {type(got).__name__}"
                         + (f" of {len(got)}" if isinstance(got, (tuple, list)) else ""))
        planes = tuple(_plane(g, r.shape, what, wording)
                       for g, r, what in zip(got if several else (got,), references, names or [None] * len(references)))
    except _Wrong as wrong:
        return StudentResult(name, error=wording.prefix + str(wrong), message=wording.prefix + str(wrong))
    differ = np.zeros(references[0].shape, bool)
    for plane, reference in zip(planes, references):
        differ |= differing_cells(reference, plane, tol)
    count = int(differ.sum())
    message = wording.differ.format(count=count, size=differ.size) if count else wording.match
    return StudentResult(name, planes, differ, None, message)


def _plane(got, shape: tuple[int, ...], what: str | None, wording: Wording) -> np.ndarray:
    """The (H, W) plane of a returned (1, 1, H, W) array; _Wrong if it is not one, or not numbers."""
    label = f"{what}: " if what else ""
    try:
        got = np.asarray(got.detach().cpu().numpy() if hasattr(got, "detach") else got)  # torch tensors too
    except (TypeError, ValueError, RuntimeError):  # e.g. ragged nested lists
        raise _Wrong(f"{label}expected an array, got {type(got).__name__}") from None
    if got.shape != (1, 1, *shape):
        raise _Wrong(label + wording.shape.format(expected=(1, 1, *shape), got=got.shape))
    if got.dtype.kind not in "biuf":
        raise _Wrong(f"{label}expected numbers, got dtype {got.dtype}")
    return np.array(got[0, 0])
