"""The fp16 demo of lesson 07: float16 rounding against NumPy's, and the scaler's skipped step."""

import numpy as np
import pytest

from course.train import precision


def test_small_gradients_underflow_in_fp16_and_survive_when_scaled():
    rows = precision.fp16_underflow(values=(1e-3, 1e-7, 1e-8, 1e-9), scale=65536.0)
    for value, stored, scaled in rows:
        assert stored == float(np.float16(value)), value           # NumPy's float16 is the reference
        assert scaled == pytest.approx(value, rel=2e-3), value     # 65536 * value is a normal fp16 number
    assert [stored == 0 for _, stored, _ in rows] == [False, False, True, True]


def test_the_scaler_skips_an_overflowing_step_and_halves_its_scale():
    overflow, normal = precision.scaler_steps(inputs=(1e38, 2.0), lr=0.1)
    assert not overflow.finite and overflow.weight_after == overflow.weight_before == 1.0
    assert (overflow.scale_before, overflow.scale_after) == (65536.0, 32768.0)
    assert normal.finite and normal.scale_before == normal.scale_after == 32768.0
    assert normal.weight_after == pytest.approx(1.0 - 0.1 * 2.0)   # the unscaled gradient of w * x is x
