"""What crosses from a student's kernel to the grader: plain data, read back exactly, and nothing else."""

import json

import numpy as np
import pytest
import torch

from course.observations import (MAX_BYTES, Array, Malformed, Name, Number, Other, Raised, decode, encode, shape_only,
                                 to_plain)


def round_trip(value):
    return decode(json.loads(json.dumps(encode(to_plain(value)))))


@pytest.mark.parametrize("value, expected", [
    (3, Number(3, "int")), (0.5, Number(0.5, "float")), (True, Number(True, "bool")),
    (np.int64(4), Number(4, "numpy.int64")), (np.float32(0.25), Number(0.25, "numpy.float32")),
    (np.bool_(False), Number(False, "numpy.bool")), ("text", "text"), (None, None),
    (torch.float16, Name("dtype", "torch.float16")), (np.dtype("int32"), Name("dtype", "int32")),
    (ValueError, Name("type", "ValueError")), (torch.Size([2, 3]), (Number(2, "int"), Number(3, "int"))),
])
def test_plain_values_round_trip(value, expected):
    assert round_trip(value) == expected


def test_arrays_and_tensors_keep_values_dtype_and_what_they_were():
    a = round_trip(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert a.origin == "ndarray" and a.dtype == "uint8" and a.values.dtype == np.uint8
    assert np.array_equal(a.values, np.arange(6).reshape(2, 3))
    t = round_trip(torch.tensor([1.5, float("nan")], dtype=torch.bfloat16, requires_grad=True))
    assert (t.origin, t.dtype, t.requires_grad) == ("tensor", "torch.bfloat16", True)
    assert t.values.dtype == np.float32 and np.isnan(t.values[1])
    nested = round_trip({"seen": [(True, torch.bfloat16)], "nan": float("nan")})
    assert nested["seen"] == [(Number(True, "bool"), Name("dtype", "torch.bfloat16"))]


def test_exceptions_and_other_objects_become_descriptions():
    try:
        raise KeyError("missing")
    except KeyError as error:
        r = round_trip(error)
    assert isinstance(r, Raised) and r.types[:2] == ("KeyError", "LookupError") and "missing" in r.message
    assert isinstance(round_trip(object()), Other)


def test_a_shape_check_sends_the_shape_only():
    data = encode(shape_only(torch.zeros(2, 5, 388, 388)))
    assert "data" not in data and len(json.dumps(data)) < 200
    back = decode(data)
    assert back.values.shape == (2, 5, 388, 388) and back.shape_only


@pytest.mark.parametrize("data, why", [
    ({"t": "pickle", "v": "gASV..."}, "unknown tag"),
    ({"t": "array", "values_dtype": "object", "shape": [1], "data": ""}, "unknown dtype"),
    ({"t": "array", "values_dtype": "int64", "shape": [3], "data": "AAAA"}, "expected 24 bytes"),
    ({"t": "array", "values_dtype": "uint8", "shape": [MAX_BYTES + 1], "data": ""}, "more than the limit"),
    ({"t": "array", "values_dtype": "uint8", "shape": [-1], "data": ""}, "non-negative integers"),
    ({"t": "number", "type": "complex", "v": 1}, "unknown number type"),
    ({"t": "number", "type": "int", "v": "1"}, "expected a number"),
    ({"t": "list", "items": [{"t": "list", "items": []}] * 10001}, "at most 10000"),
    ([1, 2], "tagged object"),
])
def test_anything_else_is_refused(data, why):
    with pytest.raises(Malformed, match=why):
        decode(data)


def test_nothing_can_claim_a_huge_total_through_many_small_arrays():
    block = encode(to_plain(np.zeros(2**20, dtype=np.uint8)))
    with pytest.raises(Malformed, match="more than the limit"):
        decode({"t": "list", "items": [block] * 9})


def test_an_array_is_equal_to_another_only_with_the_same_values_and_kind():
    a = Array(np.array([1.0, np.nan]), "ndarray", "float64")
    assert a == Array(np.array([1.0, np.nan]), "ndarray", "float64")
    assert a != Array(np.array([1.0, np.nan]), "tensor", "float64")
