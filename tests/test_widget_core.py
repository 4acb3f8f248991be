"""Explorer wiring: one redraw per change, batches, quiet changes made while rendering."""

import matplotlib.pyplot as plt
import pytest

from course.widgets.core import Explorer, slider


def counting_explorer(clamp: bool = False) -> tuple[Explorer, list]:
    """Two sliders; with ``clamp`` the render narrows b's range to a's value, as explorers do."""
    seen = []
    controls = {"a": slider("a", 3, 0, 9), "b": slider("b", 5, 0, 9)}

    def render(a, b):
        if clamp:
            controls["b"].max = max(a, 1)
        seen.append((a, controls["b"].value))
        return plt.figure()

    return Explorer(controls, render), seen


def test_every_change_redraws_once():
    e, seen = counting_explorer()
    e.controls["a"].value = 4
    assert e.redraws == 2 and seen == [(3, 5), (4, 5)]


def test_changes_made_by_render_do_not_redraw_again():
    e, seen = counting_explorer(clamp=True)
    assert e.controls["b"].max == 3 and seen == [(3, 3)]  # b clamped while drawing, read back
    e.controls["a"].value = 2
    assert e.redraws == 2 and seen[-1] == (2, 2)


def test_set_values_redraws_once_and_not_at_all_without_a_change():
    e, seen = counting_explorer()
    e.set_values(a=1, b=2)
    assert e.redraws == 2 and seen[-1] == (1, 2)
    e.set_values(a=1)
    assert e.redraws == 2
    with pytest.raises(ValueError, match=r"unknown controls \['c'\]; expected some of \['a', 'b'\]"):
        e.set_values(c=1)


def test_quietly_changes_without_redrawing():
    e, seen = counting_explorer()
    with e.quietly():
        e.controls["a"].value = 7
        e.controls["b"].max = 8
    assert e.redraws == 1 and e.values() == {"a": 7, "b": 5}


def test_slider_reports_only_when_released():
    s = slider("kernel", 3, 1, 5, step=2)
    assert s.continuous_update is False  # one redraw when the student lets go, not one per pixel dragged
