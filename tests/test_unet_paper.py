"""The U-Net paper's weight map and elastic deformation figure: values against hand computation."""

import numpy as np
import pytest

from course import unet_paper as up
from course.widgets.core import render_png


def test_the_weight_map_is_the_papers_formula_on_a_hand_example():
    instances = np.zeros((1, 7), dtype=np.int64)
    instances[0, 0], instances[0, 4], instances[0, 6] = 1, 2, 3
    weights = up.border_weight_map(instances, w0=10, sigma=5, class_weights=(0.5, 2.0))
    # background pixel 2: nearest cells 1 and 2, both 2 px away; pixel 5: cells 2 and 3, 1 px each
    expected = {1: 0.5 + 10 * np.exp(-(1 + 3) ** 2 / 50), 2: 0.5 + 10 * np.exp(-(2 + 2) ** 2 / 50),
                3: 0.5 + 10 * np.exp(-(1 + 3) ** 2 / 50), 5: 0.5 + 10 * np.exp(-(1 + 1) ** 2 / 50)}
    for col, value in expected.items():
        assert weights[0, col] == pytest.approx(value), col
    assert weights[0, 0] == weights[0, 4] == weights[0, 6] == 2.0


def test_the_weight_map_measures_euclidean_distance_to_the_nearest_pixel_of_each_cell():
    instances = np.zeros((5, 5), dtype=np.int64)
    instances[0, :] = 1
    instances[4, 4] = 2
    weights = up.border_weight_map(instances, w0=1, sigma=1, class_weights=(0, 1))
    d1, d2 = 2.0, np.hypot(2, 4)                              # pixel (2, 0): row 0 is 2 away, (4, 4) is sqrt(20)
    assert weights[2, 0] == pytest.approx(np.exp(-(d1 + d2) ** 2 / 2))


def test_the_weight_map_refuses_a_map_without_two_cells():
    with pytest.raises(ValueError, match=r"expected at least 2 cells in the instance map, got 1"):
        up.border_weight_map(np.eye(4, dtype=np.int64))
    with pytest.raises(ValueError, match=r"expected an integer instance map \(H, W\), got float64 of shape \(4,\)"):
        up.border_weight_map(np.zeros(4))


def test_touching_cells_never_touch_yet_come_within_two_pixels():
    cells = up.touching_cells(seed=0)
    assert cells.shape == (64, 64) and cells.max() >= 4
    for a, b in ((cells[1:], cells[:-1]), (cells[:, 1:], cells[:, :-1])):
        assert not np.any((a > 0) & (b > 0) & (a != b)), "two cells share an edge"
    weights = up.border_weight_map(cells)
    assert weights.max() > 1 + 10 * np.exp(-(2 + 2) ** 2 / 50), "somewhere two cells are at most 2 px apart"
    assert np.all(weights[cells > 0] == 1.0)


def test_the_figures_show_the_maps_they_are_given():
    cells = up.touching_cells(seed=1)
    weights = up.border_weight_map(cells)
    fig = up.weight_map_figure(cells, weights)
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), weights)
    assert fig.axes[2].get_title() == f"loss weight (largest {weights.max():.1f})"
    image = np.random.default_rng(0).random((24, 32, 3))
    mask = np.zeros((24, 32), dtype=np.int64)
    mask[8:16, 8:24] = 1
    fig = up.elastic_figure(image, mask, 2, samples=2, std=3.0)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["original", "deformed 1", "deformed 2"]
    assert len(render_png(fig)) > 1000
