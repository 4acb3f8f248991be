"""course.drawing: pixel centres, polygons against matplotlib's point-in-polygon, smooth noise."""

import numpy as np
from matplotlib.path import Path

from course.drawing import pixel_grid, polygon_mask, value_noise


def test_pixel_grid_gives_pixel_centres():
    yy, xx = pixel_grid(2, 3)
    assert yy.dtype == np.float32 and yy.shape == (2, 3)
    assert np.array_equal(yy[:, 0], [0.5, 1.5]) and np.array_equal(xx[0], [0.5, 1.5, 2.5])


def test_polygon_mask_agrees_with_matplotlib():
    yy, xx = pixel_grid(40, 50)
    rng = np.random.default_rng(3)
    shapes = [[(5.2, 4.1), (30.7, 9.3), (18.0, 44.6)],                         # a triangle
              [(3.0, 3.0), (3.0, 20.0), (25.0, 20.0), (25.0, 3.0)]]            # an axis-aligned box
    angles = np.sort(rng.uniform(0, 2 * np.pi, 9))                             # a random star-shaped 9-gon
    radii = rng.uniform(5, 18, 9)
    shapes.append([(20 + r * np.sin(a), 25 + r * np.cos(a)) for a, r in zip(angles, radii)])
    for points in shapes:
        inside = Path([(x, y) for y, x in points]).contains_points(np.c_[xx.ravel(), yy.ravel()])
        assert np.array_equal(polygon_mask(yy, xx, points), inside.reshape(yy.shape)), points
    box = polygon_mask(yy, xx, shapes[1])
    assert box.sum() == 22 * 17 and box[3:25, 3:20].all()


def test_value_noise_is_seeded_standardised_and_as_smooth_as_asked():
    a = value_noise(np.random.default_rng(0), (64, 80), cell=8)
    assert np.array_equal(a, value_noise(np.random.default_rng(0), (64, 80), cell=8))
    assert abs(a.mean()) < 1e-5 and abs(a.std() - 1) < 1e-3 and a.dtype == np.float32
    fine = value_noise(np.random.default_rng(0), (64, 80), cell=1.5)

    def neighbour_correlation(x):
        return np.corrcoef(x[:, :-1].ravel(), x[:, 1:].ravel())[0, 1]

    assert neighbour_correlation(a) > 0.95 > 0.7 > neighbour_correlation(fine)
