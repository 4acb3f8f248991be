"""What a test observes, as plain data that can cross from a student's kernel to the grader.

A test cell's checks turn every value they look at into a few *plain* types (:func:`to_plain`):
NumPy arrays (:class:`Array`, also for tensors), numbers that remember their type
(:class:`Number`), exceptions (:class:`Raised`), names of dtypes and classes (:class:`Name`),
and lists, tuples, dicts and strings of those. :func:`encode` writes them as JSON and
:func:`decode` reads them back, checking every field: the grader never unpickles, imports or
evaluates anything a student's kernel sends, and a forged message can at most claim values.
"""

from __future__ import annotations

import base64
import math
import traceback as traceback_module
from dataclasses import dataclass

import numpy as np

MIME = "application/vnd.course.observation+json"
MAX_BYTES = 8 * 2**20       # array data in one observation
MAX_ITEMS = 10_000          # entries of one list, tuple or dict
MAX_DEPTH = 8
MAX_TEXT = 4_000            # characters kept of a string, a message or a repr
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128")


@dataclass(frozen=True)
class Array:
    """An array or tensor: its values as a NumPy array, and what it was.

    ``origin`` is ``"ndarray"`` or ``"tensor"``; ``dtype`` the original dtype's name
    (``"float32"``, or ``"torch.bfloat16"`` for a tensor, whose values are then float32)."""

    values: np.ndarray
    origin: str
    dtype: str
    requires_grad: bool = False
    device: str = "cpu"
    shape_only: bool = False  # only the shape is known (values are a zero-size broadcast)

    def __eq__(self, other):
        return isinstance(other, Array) and (self.origin, self.dtype, self.requires_grad, self.device) == \
            (other.origin, other.dtype, other.requires_grad, other.device) and \
            self.values.shape == other.values.shape and np.array_equal(self.values, other.values, equal_nan=True)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Number:
    """A single number and its type: ``int``, ``float``, ``bool`` or ``numpy.<dtype>``."""

    value: int | float | bool
    type: str

    @property
    def is_integer(self) -> bool:
        return self.type == "int" or (self.type.startswith("numpy.") and self.type[6:] in DTYPES[1:10])

    @property
    def is_bool(self) -> bool:
        return self.type in ("bool", "numpy.bool")


@dataclass(frozen=True)
class Raised:
    """An exception: its class and base classes (most derived first), message and traceback."""

    types: tuple[str, ...]
    message: str
    traceback: str = ""

    @property
    def name(self) -> str:
        return self.types[0] if self.types else "Exception"


@dataclass(frozen=True)
class Name:
    """Something compared by name: a dtype (``kind="dtype"``), a class (``"type"``)."""

    kind: str
    text: str


@dataclass(frozen=True)
class Other:
    """Any other object: its type's name and (the start of) its repr."""

    type: str
    text: str


def to_plain(value, _depth: int = 0):
    """``value`` as plain data (see the module's docs); never raises."""
    try:
        return _to_plain(value, _depth)
    except Exception as error:  # noqa: BLE001 (a value whose inspection fails is still an observation)
        return Other(_type_name(value), f"<could not be read: {type(error).__name__}: {error}>"[:MAX_TEXT])


def _to_plain(value, depth: int):
    if value is None or isinstance(value, str):
        return value if value is None else value[:MAX_TEXT * 4]
    if isinstance(value, bool):
        return Number(value, "bool")
    if isinstance(value, int):
        return Number(int(value), "int") if abs(value) < 10**18 else Other("int", str(value)[:MAX_TEXT])
    if isinstance(value, float):
        return Number(float(value), "float")
    if isinstance(value, np.generic) and not isinstance(value, (np.object_, np.str_, np.bytes_, np.void)):
        name = "bool" if isinstance(value, np.bool_) else np.dtype(value.dtype).name
        if isinstance(value, np.bool_):
            return Number(bool(value), "numpy.bool")
        if isinstance(value, np.integer):
            return Number(int(value), f"numpy.{name}")
        if isinstance(value, np.floating):
            return Number(float(value), f"numpy.{name}")
    if isinstance(value, BaseException):
        return raised(value)
    if isinstance(value, np.ndarray):
        array = np.array(value, copy=True, subok=False)
        if array.dtype.name not in DTYPES:
            return Other(f"ndarray of {array.dtype}", _repr(value))
        return Array(array, "ndarray", array.dtype.name)
    if isinstance(value, np.dtype):
        return Name("dtype", value.name)
    torch = _torch()
    if torch is not None:
        if isinstance(value, torch.Tensor):
            return _tensor(value, torch)
        if isinstance(value, torch.dtype):
            return Name("dtype", str(value))
        if isinstance(value, torch.Size):
            return tuple(Number(int(v), "int") for v in value)
        if isinstance(value, torch.device):
            return Name("device", str(value))
    if isinstance(value, type):
        return Name("type", value.__name__)
    if isinstance(value, (list, tuple)) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        items = [_to_plain(v, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return {str(k)[:200]: _to_plain(v, depth + 1) for k, v in value.items()}
    return Other(_type_name(value), _repr(value))


def _tensor(value, torch) -> Array | Other:
    if value.layout != torch.strided or value.is_quantized:
        return Other(f"tensor ({value.layout})", _repr(value))
    data = value.detach().cpu()
    if data.dtype == torch.bfloat16:
        data = data.float()
    array = data.contiguous().numpy().copy()
    if array.dtype.name not in DTYPES:
        return Other(f"tensor of {value.dtype}", _repr(value))
    return Array(array, "tensor", str(value.dtype), bool(value.requires_grad), str(value.device))


def shape_only(value):
    """``value`` as plain data, but an array or tensor as its shape, dtype and kind alone (what a
    shape check needs), without its values."""
    plain = to_plain(value) if not hasattr(value, "shape") or not hasattr(value, "dtype") else None
    if plain is not None:
        return plain
    try:
        shape = tuple(int(n) for n in value.shape)
        tensor = type(value).__module__.startswith("torch")
        empty = np.broadcast_to(np.zeros((), dtype=np.uint8), shape)
        return Array(empty, "tensor" if tensor else "ndarray", str(value.dtype), shape_only=True)
    except Exception:  # noqa: BLE001 (not really an array: whatever it is, as plain data)
        return to_plain(value)


def raised(error: BaseException) -> Raised:
    """An exception as :class:`Raised`, with the last frames of its traceback."""
    types = tuple(c.__name__ for c in type(error).__mro__ if c not in (object, BaseException))
    frames = traceback_module.format_exception(type(error), error, error.__traceback__, limit=-6)
    return Raised(types[:12], str(error)[:MAX_TEXT], "".join(frames)[-MAX_TEXT:])


def encode(plain) -> object:
    """Plain data as JSON-serialisable values (tagged dicts)."""
    if plain is None or isinstance(plain, str):
        return plain
    if isinstance(plain, Number):
        value = plain.value
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)
        return {"t": "number", "type": plain.type, "v": value}
    if isinstance(plain, Array) and plain.shape_only:
        return {"t": "shape", "origin": plain.origin, "dtype": plain.dtype, "shape": list(plain.values.shape)}
    if isinstance(plain, Array):
        values = np.ascontiguousarray(plain.values)
        return {"t": "array", "origin": plain.origin, "dtype": plain.dtype, "values_dtype": values.dtype.name,
                "shape": list(values.shape), "requires_grad": plain.requires_grad, "device": plain.device,
                "data": base64.b64encode(values.astype(values.dtype.newbyteorder("<")).tobytes()).decode("ascii")}
    if isinstance(plain, Raised):
        return {"t": "raised", "types": list(plain.types), "message": plain.message, "traceback": plain.traceback}
    if isinstance(plain, Name):
        return {"t": "name", "kind": plain.kind, "text": plain.text}
    if isinstance(plain, Other):
        return {"t": "other", "type": plain.type, "text": plain.text}
    if isinstance(plain, list):
        return {"t": "list", "items": [encode(v) for v in plain]}
    if isinstance(plain, tuple):
        return {"t": "tuple", "items": [encode(v) for v in plain]}
    if isinstance(plain, dict):
        return {"t": "dict", "items": {k: encode(v) for k, v in plain.items()}}
    raise TypeError(f"expected plain data, got {type(plain).__name__}")


class Malformed(ValueError):
    """An encoded observation that does not follow the format."""


def decode(data, _depth: int = 0, _budget: list[int] | None = None):
    """The plain data that :func:`encode` wrote; raises :class:`Malformed` on anything else."""
    budget = [MAX_BYTES] if _budget is None else _budget
    if data is None:
        return None
    if isinstance(data, str):
        return data[:MAX_TEXT * 4]
    if not isinstance(data, dict) or _depth > MAX_DEPTH:
        raise Malformed(f"expected a tagged object, got {type(data).__name__}")
    tag = data.get("t")
    if tag == "number":
        return _number(data)
    if tag == "array":
        return _array(data, budget)
    if tag == "shape":
        shape = _shape(data.get("shape"))
        return Array(np.broadcast_to(np.zeros((), dtype=np.uint8), shape), _text(data.get("origin"))[:20],
                     _text(data.get("dtype"))[:40], shape_only=True)
    if tag == "raised":
        types = data.get("types")
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise Malformed("expected the exception's types as a list of names")
        return Raised(tuple(t[:100] for t in types[:12]), _text(data.get("message")), _text(data.get("traceback")))
    if tag == "name":
        return Name(_text(data.get("kind"))[:20], _text(data.get("text"))[:200])
    if tag == "other":
        return Other(_text(data.get("type"))[:200], _text(data.get("text")))
    if tag in ("list", "tuple"):
        items = data.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise Malformed("expected a list of at most 10000 items")
        values = [decode(v, _depth + 1, budget) for v in items]
        return values if tag == "list" else tuple(values)
    if tag == "dict":
        items = data.get("items")
        if not isinstance(items, dict) or len(items) > MAX_ITEMS:
            raise Malformed("expected a dict of at most 10000 items")
        return {str(k)[:200]: decode(v, _depth + 1, budget) for k, v in items.items()}
    raise Malformed(f"unknown tag {tag!r}")


def _number(data: dict) -> Number:
    kind, value = data.get("type"), data.get("v")
    if not isinstance(kind, str) or not (kind in ("int", "float", "bool") or kind.startswith("numpy.")
                                         and kind[6:] in DTYPES):
        raise Malformed(f"unknown number type {kind!r}")
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if not (isinstance(value, bool) and kind in ("bool", "numpy.bool")):
            raise Malformed(f"expected a number, got {type(value).__name__}")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**19:
        raise Malformed("integer too large")
    return Number(value, kind)


def _array(data: dict, budget: list[int]) -> Array:
    values_dtype, shape = data.get("values_dtype"), _shape(data.get("shape"))
    if values_dtype not in DTYPES:
        raise Malformed(f"unknown dtype {values_dtype!r}")
    dtype = np.dtype(values_dtype).newbyteorder("<")
    size = math.prod(shape) * dtype.itemsize
    budget[0] -= size
    if size > MAX_BYTES or budget[0] < 0:
        raise Malformed(f"array of {size} bytes, more than the limit of {MAX_BYTES}")
    raw = data.get("data")
    if not isinstance(raw, str) or len(raw) > 4 * (size // 3 + 3):
        raise Malformed("expected the array's data as base64")
    try:
        payload = base64.b64decode(raw, validate=True)
    except ValueError:
        raise Malformed("the array's data is not base64") from None
    if len(payload) != size:
        raise Malformed(f"expected {size} bytes for shape {shape} of {values_dtype}, got {len(payload)}")
    values = np.frombuffer(payload, dtype=dtype).astype(dtype.newbyteorder("="), copy=True).reshape(shape)
    return Array(values, _text(data.get("origin"))[:20], _text(data.get("dtype"))[:40],
                 bool(data.get("requires_grad") is True), _text(data.get("device"))[:40])


def _shape(shape) -> tuple[int, ...]:
    if not isinstance(shape, list) or len(shape) > 32 or not all(isinstance(n, int) and not isinstance(n, bool)
                                                                  and 0 <= n <= 2**31 for n in shape):
        raise Malformed("expected a shape of at most 32 non-negative integers")
    return tuple(shape)


def _text(value) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _type_name(value) -> str:
    try:
        return type(value).__name__[:200]
    except Exception:  # noqa: BLE001
        return "object"


def _repr(value) -> str:
    try:
        return repr(value)[:200]
    except Exception:  # noqa: BLE001
        return f"<{_type_name(value)}>"


def _torch():
    import sys

    return sys.modules.get("torch")
