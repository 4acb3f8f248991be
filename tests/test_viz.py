"""The class palette, label-map colouring and overlays, and the lesson figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from course import viz


def test_each_class_gets_its_palette_colour_and_ignore_is_white():
    mask = np.array([[0, 1], [2, 255]], dtype=np.uint8)
    rgb = viz.colorize(mask, 3)
    assert rgb.shape == (2, 2, 3)
    np.testing.assert_allclose(rgb[0, 0], to_rgb(viz.PALETTE[0]))
    np.testing.assert_allclose(rgb[1, 0], to_rgb(viz.PALETTE[2]))
    np.testing.assert_allclose(rgb[1, 1], [1, 1, 1])


def test_colorize_honours_its_ignore_index_and_rejects_ids_outside_the_classes():
    mask = np.array([[0, -1], [1, 1]])
    rgb = viz.colorize(mask, 2, ignore_index=-1)
    np.testing.assert_allclose(rgb[0, 1], [1, 1, 1])
    np.testing.assert_allclose(rgb[1, 1], to_rgb(viz.PALETTE[1]))
    with pytest.raises(ValueError, match=r"expected class ids 0..1 or the ignore index 255 in the label map, "
                                         r"got values 0..2"):
        viz.colorize(np.array([[0, 2], [255, 1]]), 2)
    with pytest.raises(ValueError, match="got values -1..1"):
        viz.colorize(mask, 2)                                        # -1 is no class when 255 is ignored


def test_palette_colours_are_distinct():
    colours = viz.class_colors(len(viz.PALETTE))
    distances = np.linalg.norm(colours[:, None] - colours[None], axis=-1)
    assert distances[~np.eye(len(colours), dtype=bool)].min() > 0.15


def test_overlay_blends_labelled_pixels_and_leaves_ignored_ones():
    image = np.full((1, 2, 3), 0.2)
    out = viz.overlay(image, np.array([[1, 255]]), 2, alpha=0.5)
    np.testing.assert_allclose(out[0, 0], 0.5 * 0.2 + 0.5 * np.array(to_rgb(viz.PALETTE[1])))
    np.testing.assert_allclose(out[0, 1], [0.2, 0.2, 0.2])


def test_mismatched_sizes_and_too_many_classes_are_refused():
    with pytest.raises(ValueError, match=r"image \(2, 2\) and mask \(3, 3\)"):
        viz.overlay(np.zeros((2, 2, 3)), np.zeros((3, 3), int), 2)
    with pytest.raises(ValueError, match=f"the palette has {len(viz.PALETTE)} colours, got 99 classes"):
        viz.class_colors(99)


def test_show_segmentation_draws_image_target_prediction_and_overlay_with_a_legend():
    mask = np.array([[0, 1], [1, 255]])
    viz.show_segmentation(np.zeros((2, 2, 3)), mask, ["a", "b"], pred=np.zeros((2, 2), int), title="t")
    axes = plt.gcf().axes
    assert [ax.get_title() for ax in axes] == ["image", "label map (target)", "prediction", "overlay"]
    labels = [t.get_text() for t in axes[-1].get_legend().get_texts()]
    assert labels == ["a", "b", "ignore (255)"]
    np.testing.assert_array_equal(axes[1].images[0].get_array(), viz.colorize(mask, 2))


def test_show_samples_puts_the_panels_in_the_order_of_show_segmentation():
    from course import samples

    viz.show_samples([samples.load("eczema"), samples.load("street", seed=167)])
    titles = [ax.get_title() for ax in plt.gcf().axes]
    assert titles == ["eczema: image", "label map (target)", "overlay", "street: image", "label map (target)", "overlay"]
    assert plt.gcf().axes[2].get_legend() is not None and plt.gcf().axes[1].get_legend() is None


def test_confusion_matrix_figure_normalises_rows():
    fig, ax = plt.subplots()
    viz.draw_confusion_matrix(ax, np.array([[3, 1], [0, 2]]), ["x", "y"])
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.75", "0.25", "0.00", "1.00"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"


def test_show_predictions_has_a_row_per_image_and_a_column_per_model():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    images, masks = rng.random((4, 6, 8, 3)), rng.integers(0, 3, (4, 6, 8))
    viz.show_predictions(images, masks, {"A": masks, "B": (masks + 1) % 3}, ("x", "y", "z"), rows=2)
    figure = plt.gcf()
    shown = [ax for ax in figure.axes if ax.images]
    assert len(shown) == 2 * 4
    assert [ax.get_title() for ax in shown[:4]] == ["image", "true labels", "A", "B"]
    assert np.allclose(shown[6].images[0].get_array(), viz.colorize(masks[1], 3))
