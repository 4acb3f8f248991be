"""The checks that the lessons' test cells are written with.

In a notebook each check compares at once and, when the value is wrong, raises
``AssertionError`` with a message worth reading: the call, what is wrong (shapes, dtypes, the
largest and the first difference, a small window of expected against got), and a hint.

* ``check_array(got, expected, call=..., hint=..., atol=, rtol=, equal_nan=, dtype=, container=)``
* ``check_scalar(got, expected, call=..., hint=..., atol=, rtol=, type=)``
* ``check_shape(got, expected_shape, call=..., hint=...)``
* ``check_equal(got, expected, call=..., hint=...)``: lists, tuples, booleans, dtypes
* ``check_raises(lambda: f(...), ValueError, call=..., hint=...)``
* ``with reference():`` holds what only computes expected values (a direct count, a reference
  network); ``seed(n)`` seeds the random inputs of hidden tests;
* ``with course_versions("iou_per_class"):`` tests an exercise with the course's versions of the
  others, so that one mistake costs one exercise; ``course_version(name)`` is one of them;
* ``fill_parameters(model, *inputs, seed=...)`` gives a network weights that depend only on the
  order in which its layers run, so that two networks computing the same function agree.

The first argument of a check is what the student's code produced, the second what it should
be. When a notebook is graded, test cells do not run as written next to the student's code:
the grader keeps only the statements that make the inputs and the first arguments, and each
check then just reports what it saw (:func:`_observe`, as plain data). The expected values,
the ``reference()`` blocks and the comparison run in the grader's own kernel and process
(``course.grading.probe``, ``course.compare``), where the student's code never runs.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager

from .compare import compare, message
from .observations import MIME, encode, raised, shape_only, to_plain

SEED_ENV = "COURSE_GRADING_SEED"
SPEC_KEYS = ("call", "hint", "atol", "rtol", "equal_nan", "dtype", "container", "requires_grad", "type")
__all__ = ["check_array", "check_equal", "check_raises", "check_scalar", "check_shape", "course_version",
           "course_versions", "fill_parameters", "reference", "seed"]


def check_array(got, expected, *, call: str, hint: str = "", atol: float | None = None, rtol: float | None = None,
                equal_nan: bool = False, dtype: str | None = None, container: str | None = None,
                requires_grad: bool | None = None) -> None:
    """``got`` is an array or tensor of ``expected``'s shape and values (within a tolerance
    that fits its dtype); ``dtype`` (``"integer"``, ``"floating"``, ``"float32"``, ...),
    ``container`` (``"ndarray"`` or ``"tensor"``) and ``requires_grad`` (of a tensor) restrict it
    where the exercise says so."""
    _check("array", got, expected, locals())


def check_scalar(got, expected, *, call: str, hint: str = "", atol: float | None = None, rtol: float | None = None,
                 type: str | None = None) -> None:  # noqa: A002 (the exercise's word)
    """``got`` is one number equal to ``expected`` (NaN equals NaN); an integer ``expected``
    wants an integer, ``type="float"`` a Python float."""
    _check("scalar", got, expected, locals())


def check_shape(got, expected: tuple, *, call: str, hint: str = "") -> None:
    """``got`` (an array or tensor) has shape ``expected``."""
    _check("shape", got, tuple(expected), locals())


def check_equal(got, expected, *, call: str, hint: str = "") -> None:
    """``got`` equals ``expected`` exactly: plain data such as lists of tuples, booleans, dtypes."""
    _check("equal", got, expected, locals())


def check_raises(function, expected: type[BaseException], *, call: str, hint: str = "") -> None:
    """Calling ``function()`` raises ``expected`` (or a subclass of it)."""
    try:
        got = function()
    except Exception as error:  # noqa: BLE001 (the exception is the observation)
        got = error
    _check("raises", got, expected, locals())


@contextmanager
def reference():
    """Marks code that only computes expected values: it runs here as written, and while
    grading only in the grader's kernel, never next to the student's code."""
    yield


def seed(n: int) -> int:
    """The seed ``n`` of a hidden test's random inputs: ``n`` itself in a notebook; while
    grading, a number drawn anew for each grading run (so that no answer can be stored)."""
    run = os.environ.get(SEED_ENV, "")
    if not run:
        return n
    return int(hashlib.sha256(f"{run}:{n}".encode()).hexdigest()[:8], 16)


def _check(kind: str, got, expected, arguments: dict) -> None:
    spec = _spec(arguments)
    problem = compare(kind, spec, to_plain(expected), to_plain(got))
    if problem is not None:
        raise AssertionError(message(spec, problem))


def _spec(arguments: dict) -> dict:
    """The settings of a check that travel with it: strings, numbers, booleans."""
    return {k: v for k, v in arguments.items()
            if k in SPEC_KEYS and v is not None and isinstance(v, (str, int, float, bool))}


_MISSING = object()
_sink: list[dict] | None = None  # where observations go outside IPython (the unit tests)


def _observe(index: int, kind: str, got, expected=_MISSING, **spec) -> None:
    """What a check saw, published as data: called by test cells as the grader rewrites them.

    ``got`` and ``expected`` are thunks (expected is evaluated first, before the student's
    code runs). An exception from ``got`` is reported, then raised again, so the cell stops
    as it would have; for ``raises`` the exception is the value."""
    record = {"index": int(index), "kind": str(kind)}
    if expected is not _MISSING:
        record["expected"] = encode(to_plain(expected()))
        record["spec"] = _spec(spec)
    try:
        value = got()
        if kind == "raises":
            try:
                value = value()
            except Exception as error:  # noqa: BLE001 (expected to raise)
                value = error
    except Exception as error:
        record["got"] = encode(raised(error))
        _publish(record)
        raise
    record["got"] = encode(shape_only(value) if kind == "shape" else to_plain(value))
    _publish(record)


def _publish(record: dict) -> None:
    if _sink is not None:
        _sink.append(record)
        return
    from IPython import get_ipython
    from IPython.display import publish_display_data

    if get_ipython() is None:
        raise RuntimeError("course.checks._observe publishes to a notebook kernel; there is none")
    publish_display_data({MIME: record, "text/plain": f"<check {record['index']}: {record['kind']}>"})


def course_version(name: str):
    """The course's version of exercise ``name`` (``course.exercises.REFERENCES``)."""
    from .exercises import reference

    return reference(name)


def fill_parameters(model, *inputs, seed: int = 0):
    """Give every parameter and buffer of ``model`` a value that depends only on ``seed``, on
    the position of its layer among the layers with weights, in the order they run when
    ``model(*inputs)`` is called (found with hooks, in eval mode, without gradients), and on
    its name and shape. Two networks
    that compute the same function then have the same weights, whatever their attribute names,
    containers or creation order. Returns ``model``."""
    import torch

    order, hooks = [], []
    for module in model.modules():  # the layers that hold weights: parameterless ones do not count
        if any(True for _ in module.parameters(recurse=False)) or any(True for _ in module.buffers(recurse=False)):
            hooks.append(module.register_forward_pre_hook(lambda m, args: order.append(m) if m not in order else None))
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
        for module, mode in modes.items():
            module.training = mode
    rest = [m for m in model.modules() if m not in order]
    with torch.no_grad():
        for i, module in enumerate(order + rest):
            for name, tensor in sorted([*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]):
                if tensor.dtype.is_floating_point:
                    tensor.copy_(_values(seed, i, name, tensor, torch))
    return model


def _values(seed: int, index: int, name: str, like, torch):
    generator = torch.Generator().manual_seed(int(hashlib.sha256(f"{seed}:{index}:{name}".encode()).hexdigest()[:12], 16))
    u = torch.rand(like.shape, generator=generator, dtype=torch.float64) * 2 - 1   # uniform in [-1, 1)
    if name == "running_var":
        u = 1 + 0.5 * (u + 1)
    elif name == "running_mean" or name == "bias":
        u = 0.1 * u
    elif like.dim() <= 1:                            # a norm's scale
        u = 1 + 0.2 * u
    else:                                            # a weight: He's scale, which keeps activations near 1
        u = u * (6 / like[0].numel()) ** 0.5
    return u.to(like.dtype)


class course_versions:  # noqa: N801 (used as a context manager, like a function)
    """``with course_versions("iou_per_class"):`` runs its block with the course's version of
    another exercise (``course.exercises.REFERENCES``) in place of the student's, so that each
    exercise is tested on its own and one mistake costs only its own points."""

    def __init__(self, *names: str):
        from .exercises import reference

        self.versions = {name: reference(name) for name in names}

    def __enter__(self):
        import sys

        self.namespace = sys._getframe(1).f_globals
        self.saved = {name: self.namespace.get(name, _MISSING) for name in self.versions}
        self.namespace.update(self.versions)
        return self

    def __exit__(self, *exc):
        for name, value in self.saved.items():
            if value is _MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
