"""The one comparison behind every test: is a value what a check expects, and if not, why.

:func:`compare` takes a check's kind and settings (its *spec*), the expected value and the
value that came back, both as plain data (:mod:`course.observations`), and returns ``None``
or a short explanation a student can act on. Interactive checks in a notebook, ``course
check`` and the grader all call it, so a verdict means the same everywhere.

Kinds and their settings:

* ``array``: ``atol``, ``rtol`` (widened to what the value's dtype can hold: float32 answers
  pass), ``equal_nan``, ``dtype`` (``"integer"``, ``"floating"``, ``"bool"`` or an exact name
  such as ``"float32"``; checked first), ``container`` (``"ndarray"`` or ``"tensor"``),
  ``requires_grad`` (of a tensor);
* ``scalar``: ``atol``, ``rtol``, ``type`` (``"int"``: an integer, ``"float"``: a Python float);
  an integer expected value asks for an integer unless ``type`` says otherwise;
* ``shape``: the shape of an array or tensor;
* ``equal``: plain data equal item by item (lists, tuples, booleans, dtypes, names);
* ``raises``: calling the value raises the expected exception class (or a subclass).
"""

from __future__ import annotations

import math
import re

import numpy as np

from .observations import Array, Name, Number, Other, Raised

KINDS = ("array", "scalar", "shape", "equal", "raises")
# base tolerances by dtype: (rtol, atol relative to the expected values' magnitude)
TOLERANCES = {"float64": (1e-7, 1e-9), "float32": (2e-5, 2e-6), "float16": (2e-2, 2e-3), "bfloat16": (2e-2, 2e-3)}
WINDOW = 6

# PyTorch's and NumPy's usual complaints about student code, in the course's words
ERROR_HINTS = [
    (r"Sizes of tensors must match except in dimension",
     "torch.cat joins maps of the same height and width only: crop the skip connection to the up-sampled "
     "map's size first (center_crop)"),
    (r"expected input\[.*\] to have (\d+) channels, but got (\d+) channels",
     "a convolution got a different number of channels than it was built for: check each layer's in_channels "
     "against what the layer (or torch.cat) before it produces"),
    (r"mat1 and mat2 shapes cannot be multiplied", "a linear layer got a different number of features than it "
                                                    "was built for"),
    (r"Expected shape of indices to be same as that of the input",
     "max unpooling takes the indices of the pooling that made a map of this very shape: unpool the deeper map "
     "with the deeper pooling's indices (i2 before i1), after the convolution that gives it their channels"),
    (r"Found an invalid max index|max_unpool.*(indices|output_size)",
     "the indices do not fit the output: unpool with the indices of the matching pooling, and pass "
     "output_size when the pooled map had an odd size"),
    (r"not implemented for '(Long|Int|Byte|Short|Bool)'",
     "this PyTorch operation does not take integer tensors: convert to a float dtype first, or use NumPy"),
    (r"expected scalar type (\w+) but found (\w+)|expected .*dtype .* but got", "two tensors of different dtypes "
                                                                              "meet: convert one with .to(...)"),
    (r"operands could not be broadcast together with shapes", "the shapes of two arrays do not line up: print "
                                                              "their .shape just before this line"),
    (r"is out of bounds for axis", "an index goes past the end of an axis: check the output size and the "
                                   "index arithmetic (row * W + col)"),
    (r"'NoneType' object|NoneType", "something is None where a value is needed: did a function forget its `return`, "
                                    "or is an argument still at its default None?"),
    (r"No inf checks were recorded prior to update", "scaler.update() found no scaler.step(optimizer) before it: "
                                                     "step through the scaler, scaler.step(optimizer), not "
                                                     "optimizer.step()"),
    (r"No inf checks were recorded for this optimizer", "call scaler.scale(loss).backward() before "
                                                        "scaler.step(optimizer), once per step"),
    (r"unscale_\(\) has already been called|since the last update", "call scaler.update() once after every "
                                                                    "scaler.step(optimizer)"),
    (r"does not require grad and does not have a grad_fn", "backward() needs a loss that still holds its graph: "
                                                           "do not detach or call .item() before backward()"),
    (r"modified by an inplace operation", "an in-place operation (+=, relu_(), inplace=True) changed a value "
                                          "that backward still needs"),
]


def compare(kind: str, spec: dict, expected, got) -> str | None:
    """``None`` if ``got`` passes check ``kind`` against ``expected``, else why not."""
    if kind not in KINDS:
        raise ValueError(f"expected a check kind among {', '.join(KINDS)}, got {kind!r}")
    if kind == "raises":
        return _raises(expected, got)
    if isinstance(got, Raised):
        return describe_error(got)
    if got is None and expected is not None:
        return "returned None: did you forget the `return` statement?"
    return {"array": _array, "scalar": _scalar, "shape": _shape, "equal": _equal}[kind](spec, expected, got)


def message(spec: dict, body: str) -> str:
    """The whole message of a failed check: the call, what is wrong, and the hint."""
    text = f"{spec.get('call') or 'the tested call'} is not right:\n  " + body.replace("\n", "\n  ")
    if spec.get("hint"):
        text += f"\n  Hint: {spec['hint']}"
    return text


def describe_error(error: Raised) -> str:
    """What an exception raised by the student's code says, with the course's hint when it is a usual one."""
    text = f"raised {error.name}: {_first_lines(error.message, 3)}"
    hint = error_hint(error.message)
    if hint:
        text += f"\n(what it usually means: {hint})"
    where = _student_frames(error.traceback)
    if where:
        text += "\n" + where
    return text


def error_hint(text: str) -> str:
    """The course's explanation of a usual PyTorch or NumPy error message, or ''."""
    for pattern, hint in ERROR_HINTS:
        if re.search(pattern, text or ""):
            return hint
    return ""


def describe(value) -> str:
    """A value in a few words: '2', '0.5', 'a list of 3 items', 'an array of shape (2, 2)'."""
    if value is None:
        return "None"
    if isinstance(value, Number):
        return _number_text(value)
    if isinstance(value, Array):
        what = "a tensor" if value.origin == "tensor" else "an array"
        return f"{what} of shape {tuple(value.values.shape)} and dtype {value.dtype}"
    if isinstance(value, Raised):
        return f"{value.name}: {_first_lines(value.message, 1)}"
    if isinstance(value, Name):
        return value.text
    if isinstance(value, Other):
        return f"a {value.type} ({value.text[:80]})"
    if isinstance(value, str):
        return repr(value[:80])
    if isinstance(value, (list, tuple)):
        if len(value) <= 6:
            inner = ", ".join(describe(v) for v in value)
            return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)[:8]}"
    return type(value).__name__


# -- kinds ----------------------------------------------------------------------------------------------------

def _array(spec: dict, expected, got) -> str | None:
    expected = _as_array(expected)
    if not isinstance(got, Array):
        kind = "list" if isinstance(got, list) else "tuple" if isinstance(got, tuple) else describe(got)
        return f"expected a NumPy array or a tensor, got {kind if kind in ('list', 'tuple') else kind}" + \
            (": convert it with np.asarray(...)" if kind in ("list", "tuple") else "")
    container = spec.get("container")
    if container and got.origin != container:
        return f"expected a {'NumPy array' if container == 'ndarray' else 'torch tensor'}, got a " \
               f"{'tensor' if got.origin == 'tensor' else 'NumPy array'}"
    wanted_grad = spec.get("requires_grad")
    if wanted_grad is not None and got.origin == "tensor" and got.requires_grad != wanted_grad:
        return "expected a tensor that holds no graph (requires_grad=False), got one that still does: return " \
               "tensor.detach()" if not wanted_grad else "expected a tensor that requires grad, got one that does not"
    if got.values.shape != expected.values.shape:
        return f"expected an array of shape {_shape_text(expected.values.shape)}, got shape " \
               f"{_shape_text(got.values.shape)}"
    wrong_dtype = _dtype_problem(spec.get("dtype"), got)
    if wrong_dtype:
        return wrong_dtype
    if got.values.dtype.kind not in "biuf":
        return f"expected numbers, got an array of dtype {got.dtype}"
    return _values(spec, expected, got)


def _values(spec: dict, expected: Array, got: Array) -> str | None:
    e, g = expected.values, got.values
    atol, rtol = tolerance(spec, expected, got)
    equal_nan = bool(spec.get("equal_nan"))
    ef, gf = e.astype(np.float64) if e.dtype.kind != "f" else e, g.astype(np.float64) if g.dtype.kind != "f" else g
    with np.errstate(invalid="ignore", over="ignore"):
        if e.dtype.kind in "biu" and g.dtype.kind in "biu" and atol == 0 and rtol == 0:
            same = np.asarray(e == g, dtype=bool)
        else:
            same = np.isclose(gf, ef, atol=atol, rtol=rtol, equal_nan=equal_nan)
    if same.all():
        return None
    wrong = ~same
    count = int(wrong.sum())
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(gf - ef)
    error = np.where(wrong & np.isfinite(error), error, -1.0)
    integers = e.dtype.kind in "biu" and g.dtype.kind in "biu"
    lines = [f"shape {_shape_text(e.shape)} as expected, dtype {got.dtype}; {count} of {e.size} "
             f"value{'s' if e.size != 1 else ''} differ" + _pattern(ef, gf, atol, rtol)]
    ev, gv = _pair(ef[first], gf[first], integers)
    lines.append(f"first difference at {_index(first)}: expected {ev}, got {gv}")
    if error.max() > 0:
        worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), e.shape)) if e.ndim else ()
        if worst != first:
            ew, gw = _pair(ef[worst], gf[worst], integers)
            lines.append(f"largest difference {_short(float(error.max()))} at {_index(worst)}: expected {ew}, got {gw}")
    if e.ndim >= 1 and e.size > 1:
        lines += _window(e, g, first, wrong)
    return "\n".join(lines)


def _pattern(e: np.ndarray, g: np.ndarray, atol: float, rtol: float) -> str:
    """What the difference looks like, when it is one of the usual ones."""
    close = lambda a, b: a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True))  # noqa: E731
    if e.ndim >= 2 and e.shape[-1] == e.shape[-2] and close(g, np.swapaxes(e, -1, -2)):
        return " (it is the expected array transposed: rows and columns swapped)"
    if np.all(g == 0) and not np.all(e == 0):
        return " (all the values that came back are 0)"
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = g[e != 0] / e[e != 0]
    if ratio.size and np.isfinite(ratio).all() and np.ptp(ratio) < 1e-6 * max(1.0, abs(ratio[0])) \
            and abs(ratio[0] - 1) > 1e-3 and not np.any(g[e == 0]):
        return f" (each value is {_short(float(ratio[0]))} times the expected one)"
    if close(g, -e):
        return " (each value has the wrong sign)"
    return ""


def tolerance(spec: dict, expected: Array, got: Array) -> tuple[float, float]:
    """(atol, rtol) for comparing ``got`` with ``expected``: the spec's, widened to what the coarser
    of their floating dtypes can represent (integers compare exactly unless the spec says otherwise)."""
    atol, rtol = float(spec.get("atol") or 0.0), float(spec.get("rtol") or 0.0)
    kinds = {expected.values.dtype.kind, got.values.dtype.kind}
    if kinds <= set("biu"):
        return atol, rtol
    floats = [a.dtype for a in (got, expected) if a.values.dtype.kind == "f"]
    base_rtol, base_atol = max(TOLERANCES.get(d.removeprefix("torch."), TOLERANCES["float64"])
                               for d in floats)  # the coarser one
    finite = np.abs(expected.values[np.isfinite(expected.values)]) if expected.values.dtype.kind == "f" \
        else np.abs(expected.values)
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    return max(atol, base_atol * scale), max(rtol, base_rtol)


def _dtype_problem(wanted, got: Array) -> str:
    if not wanted:
        return ""
    kind = got.values.dtype.kind
    name = got.dtype.removeprefix("torch.")
    ok = {"integer": kind in "iu" and got.dtype != "bool", "floating": kind == "f", "bool": kind == "b"}.get(
        wanted, name == str(wanted).removeprefix("torch."))
    if ok:
        return ""
    words = {"integer": "integers", "floating": "floating-point numbers", "bool": "booleans"}
    return f"expected {words.get(wanted, f'dtype {wanted}')}, got dtype {got.dtype}"


def _scalar(spec: dict, expected, got) -> str | None:
    zero_d = isinstance(got, Array) and got.values.ndim == 0
    if zero_d:
        got = Number(got.values.item(), f"0-d {got.origin} of {got.dtype}")
    if not isinstance(got, Number) or got.is_bool and not (isinstance(expected, Number) and expected.is_bool):
        return f"expected a single number, got {describe(got)}"
    wanted = spec.get("type") or ("int" if isinstance(expected, Number) and expected.is_integer else None)
    if wanted == "int" and not got.is_integer:
        advice = " (use integer division //, or int(...))" if isinstance(got.value, float) or zero_d else ""
        return f"expected an integer, got {_number_text(got)}, a {got.type}{advice}"
    if wanted == "float" and got.type not in ("float", "numpy.float64"):
        return f"expected a Python float, got {_number_text(got)}, a {got.type} (convert it with float(...))"
    e, g = float(expected.value), float(got.value)
    if math.isnan(e) and math.isnan(g):
        return None
    exact = wanted == "int"
    atol = float(spec["atol"]) if spec.get("atol") is not None else (0.0 if exact else 1e-9)
    rtol = float(spec["rtol"]) if spec.get("rtol") is not None else (0.0 if exact else 1e-7)
    precision = next((TOLERANCES[k] for k in TOLERANCES if k != "float64" and got.type.endswith(k)), None)
    if precision is not None:
        rtol, atol = max(rtol, precision[0]), max(atol, precision[1] * max(1.0, abs(e)))
    if not math.isnan(g) and abs(g - e) <= atol + rtol * abs(e):
        return None
    ev, gv = _pair(e, g, isinstance(expected, Number) and expected.is_integer and got.is_integer)
    return f"expected {ev}, got {gv}"


def _shape(spec: dict, expected, got) -> str | None:
    if not isinstance(got, Array):
        return f"expected an array or tensor of shape {_shape_text(_ints(expected))}, got {describe(got)}"
    if tuple(got.values.shape) == _ints(expected):
        return None
    return f"expected shape {_shape_text(_ints(expected))}, got shape {_shape_text(got.values.shape)}"


def _equal(spec: dict, expected, got) -> str | None:
    if _same(expected, got):
        return None
    return f"expected {describe(expected)}, got {describe(got)}"


def _raises(expected, got) -> str | None:
    name = expected.text if isinstance(expected, Name) else str(expected)
    if isinstance(got, Raised):
        if name in got.types:
            return None
        return f"expected {name}, got {got.name}: {_first_lines(got.message, 2)}"
    return f"expected it to raise {name}, but it raised nothing (it returned {describe(got)})"


# -- helpers --------------------------------------------------------------------------------------------------

def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, Number) and isinstance(b, Number):
        if a.is_bool != b.is_bool:
            return False
        return a.value == b.value or (isinstance(a.value, float) and isinstance(b.value, float)
                                      and math.isnan(a.value) and math.isnan(b.value))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _as_array(value) -> Array:
    if isinstance(value, Array):
        return value
    raw = _raw(value)
    array = np.asarray(raw)
    if array.dtype.kind not in "biuf":
        array = array.astype(np.float64)
    return Array(array, "ndarray", array.dtype.name)


def _raw(value):
    if isinstance(value, Number):
        return value.value
    if isinstance(value, Array):
        return value.values
    if isinstance(value, (list, tuple)):
        return [_raw(v) for v in value]
    return value


def _ints(value) -> tuple:
    return tuple(int(_raw(v)) for v in value) if isinstance(value, (list, tuple)) else tuple(_raw(value))


def _shape_text(shape) -> str:
    shape = tuple(int(n) for n in shape)
    return f"({shape[0]},)" if len(shape) == 1 else str(shape)


def _index(index: tuple) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def _number_text(n: Number) -> str:
    if n.is_bool:
        return str(bool(n.value))
    if n.is_integer:
        return str(int(n.value))
    return _short(float(n.value))


def _short(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _pair(e: float, g: float, integers: bool) -> tuple[str, str]:
    """Expected and got as text, with just enough digits to tell them apart."""
    e, g = float(e), float(g)
    if integers:
        return str(int(e)), str(int(g))
    for digits in range(4, 18):
        a, b = f"{e:.{digits}g}", f"{g:.{digits}g}"
        if a != b:
            return a, b
    return f"{e:.17g}", f"{g:.17g}"


def _window(e: np.ndarray, g: np.ndarray, first: tuple, wrong: np.ndarray) -> list[str]:
    """Expected and got side by side around ``first``: at most 6x6 of the last two axes."""
    lead = first[:-2] if e.ndim >= 2 else ()
    if e.ndim == 1:
        lo = max(0, min(first[0] - WINDOW // 2, e.shape[0] - WINDOW))
        rows = [(slice(lo, lo + WINDOW),)]
        title = f"entries {lo}-{min(lo + WINDOW, e.shape[0]) - 1}"
    else:
        r0 = max(0, min(first[-2] - WINDOW // 2, e.shape[-2] - WINDOW))
        c0 = max(0, min(first[-1] - WINDOW // 2, e.shape[-1] - WINDOW))
        rows = [lead + (r, slice(c0, c0 + WINDOW)) for r in range(r0, min(r0 + WINDOW, e.shape[-2]))]
        title = f"rows {r0}-{rows[-1][-2]}, columns {c0}-{min(c0 + WINDOW, e.shape[-1]) - 1}" + \
                (f" of {_index(lead)}" if lead else "")
    integers = e.dtype.kind in "biu" and g.dtype.kind in "biu"
    cells_e = [[_cell(v, integers) for v in np.atleast_1d(e[r])] for r in rows]
    cells_g = [[_cell(v, integers) + ("*" if w else " ") for v, w in zip(np.atleast_1d(g[r]), np.atleast_1d(wrong[r]))]
               for r in rows]
    width = max(len(c) for row in cells_e + cells_g for c in row)
    left = [" ".join(c.rjust(width) for c in row) for row in cells_e]
    right = [" ".join(c.rjust(width + 1) for c in row) for row in cells_g]
    pad = max(len(s) for s in left) + 4
    lines = [f"{title} (* marks a difference):", "  " + "expected".ljust(pad) + "got"]
    lines += ["  " + a.ljust(pad) + b for a, b in zip(left, right)]
    return lines


def _cell(value, integers: bool) -> str:
    value = float(value)
    if integers:
        return str(int(value))
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.4g}" if value != 0 else "0"


def _first_lines(text: str, n: int) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return "\n".join(lines[:n])[:500] if lines else ""


def _student_frames(traceback: str) -> str:
    """The traceback's lines that point into the notebook's own cells (not into libraries, and not
    into the grader's rewritten test cell)."""
    lines = traceback.splitlines()
    keep = []
    for i, line in enumerate(lines):
        if re.match(r'\s*File "(<ipython-input|/tmp/ipykernel|.*ipykernel_\d+)', line) or "Cell In[" in line:
            code = lines[i + 1].strip() if i + 1 < len(lines) and not lines[i + 1].lstrip().startswith("File ") else ""
            if "__course_checks__" in code or "_observe(" in code:
                continue
            keep += [line.strip()] + (["    " + code] if code else [])
    return "\n".join(["where:"] + keep[-6:]) if keep else ""
