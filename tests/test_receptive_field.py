"""The receptive-field calculator, checked two independent ways.

(a) Against the published receptive fields of classic networks (built here with torch.nn).
(b) Against the gradient support of randomly initialised networks: the input pixels that
    PyTorch's autograd connects to one output pixel.
"""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from course.receptive_field import (GradientProbe, LayerField, ReceptiveField, empirical_receptive_field,
                                    format_table, input_window, output_size, receptive_field,
                                    receptive_field_table)

# --- (a) published values ------------------------------------------------------------------

def _conv(k, s=1, p=0, d=1, groups=1, channels=4):
    return nn.Sequential(nn.Conv2d(channels, channels, k, s, p, d, groups=groups),
                         nn.BatchNorm2d(channels), nn.ReLU())


def alexnet_v2() -> nn.Module:
    """TF-Slim's alexnet_v2 up to pool5 (conv1 'VALID', the other convolutions 'SAME')."""
    return nn.Sequential(OrderedDict(
        conv1=nn.Sequential(nn.Conv2d(3, 64, 11, 4), nn.ReLU()), pool1=nn.MaxPool2d(3, 2),
        conv2=nn.Sequential(nn.Conv2d(64, 192, 5, padding=2), nn.ReLU()), pool2=nn.MaxPool2d(3, 2),
        conv3=nn.Sequential(nn.Conv2d(192, 384, 3, padding=1), nn.ReLU()),
        conv4=nn.Sequential(nn.Conv2d(384, 384, 3, padding=1), nn.ReLU()),
        conv5=nn.Sequential(nn.Conv2d(384, 256, 3, padding=1), nn.ReLU()), pool5=nn.MaxPool2d(3, 2)))


def vgg_16() -> nn.Module:
    """TF-Slim's vgg_16 up to pool5: 3x3 'SAME' convolutions, 2x2 max pooling."""
    blocks, channels = OrderedDict(), 3
    for b, (width, n) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
        blocks[f"conv{b}"] = nn.Sequential(OrderedDict(
            (f"conv{b}_{i}", nn.Sequential(nn.Conv2d(channels if i == 1 else width, width, 3, padding=1),
                                           nn.ReLU())) for i in range(1, n + 1)))
        blocks[f"pool{b}"] = nn.MaxPool2d(2)
        channels = width
    return nn.Sequential(blocks)


def inception_v3_stem() -> nn.Module:
    """TF-Slim's inception_v3 up to MaxPool_5a_3x3 (the single-path stem)."""
    return nn.Sequential(OrderedDict(
        Conv2d_1a_3x3=_conv(3, 2), Conv2d_2a_3x3=_conv(3), Conv2d_2b_3x3=_conv(3, p=1),
        MaxPool_3a_3x3=nn.MaxPool2d(3, 2), Conv2d_3b_1x1=_conv(1), Conv2d_4a_3x3=_conv(3),
        MaxPool_5a_3x3=nn.MaxPool2d(3, 2)))


def mobilenet_v1() -> nn.Module:
    """TF-Slim's mobilenet_v1: a 3x3 conv, then 13 depthwise 3x3 + pointwise 1x1 pairs."""
    layers = OrderedDict(Conv2d_0=_conv(3, 2, 1))
    for i, stride in enumerate([1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1], start=1):
        layers[f"Conv2d_{i}_depthwise"] = _conv(3, stride, 1, groups=4)
        layers[f"Conv2d_{i}_pointwise"] = _conv(1)
    return nn.Sequential(layers)


def resnet_v1_50_longest_path() -> nn.Module:
    """The chain of TF-Slim's resnet_v1_50 through its bottleneck convolutions, up to block4.

    A residual network's receptive field is that of its longest path: the shortcuts
    (identity, or 1x1 convolutions) see a window inside it (Araujo et al., "Arbitrary
    computation graphs"). TF-Slim strides in the 3x3 convolution of the *last* unit of
    blocks 1-3 (the original paper strides in the first unit: see the table's FAQ).
    """
    layers = OrderedDict(conv1=_conv(7, 2, 3), pool1=nn.MaxPool2d(3, 2, 1))
    for b, units in enumerate([3, 4, 6, 3], start=1):
        layers[f"block{b}"] = nn.Sequential(OrderedDict(
            (f"unit_{u}", nn.Sequential(OrderedDict(
                conv1=_conv(1), conv2=_conv(3, 2 if (u == units and b < 4) else 1, 1), conv3=_conv(1))))
            for u in range(1, units + 1)))
    return nn.Sequential(layers)


# end-point -> (r, S, P) from the table (resolution 321); the last one is the network's output
TABLE = {
    alexnet_v2: {"conv1": (11, 4, 0), "pool1": (19, 8, 0), "conv2": (51, 8, 16), "conv3": (99, 16, 32),
                 "conv4": (131, 16, 48), "conv5": (163, 16, 64), "pool5": (195, 32, 64)},
    vgg_16: {"conv1/conv1_1": (3, 1, 1), "pool1": (6, 2, 2), "conv2/conv2_1": (10, 2, 4),
             "pool2": (16, 4, 6), "conv3/conv3_1": (24, 4, 10), "conv3/conv3_2": (32, 4, 14),
             "pool3": (44, 8, 18), "conv4/conv4_1": (60, 8, 26), "conv4/conv4_2": (76, 8, 34),
             "pool4": (100, 16, 42), "conv5/conv5_1": (132, 16, 58), "conv5/conv5_2": (164, 16, 74),
             "pool5": (212, 32, 90)},
    inception_v3_stem: {"Conv2d_1a_3x3": (3, 2, 0), "Conv2d_2a_3x3": (7, 2, 0), "Conv2d_2b_3x3": (11, 2, 2),
                        "MaxPool_3a_3x3": (15, 4, 2), "Conv2d_3b_1x1": (15, 4, 2),
                        "Conv2d_4a_3x3": (23, 4, 2), "MaxPool_5a_3x3": (31, 8, 2)},
    mobilenet_v1: {"Conv2d_0": (3, 2, 1), "Conv2d_1_pointwise": (7, 2, 3), "Conv2d_2_pointwise": (11, 4, 5),
                   "Conv2d_3_pointwise": (19, 4, 9), "Conv2d_4_pointwise": (27, 8, 13),
                   "Conv2d_5_pointwise": (43, 8, 21), "Conv2d_6_pointwise": (59, 16, 29),
                   "Conv2d_7_pointwise": (91, 16, 45), "Conv2d_8_pointwise": (123, 16, 61),
                   "Conv2d_9_pointwise": (155, 16, 77), "Conv2d_10_pointwise": (187, 16, 93),
                   "Conv2d_11_pointwise": (219, 16, 109), "Conv2d_12_pointwise": (251, 32, 125),
                   "Conv2d_13_pointwise": (315, 32, 157)},
    resnet_v1_50_longest_path: {"block1": (35, 8, 17), "block2": (99, 16, 49), "block3": (291, 32, 145),
                                "block4": (483, 32, 241)},
}


@pytest.mark.parametrize("network", list(TABLE), ids=lambda f: f.__name__)
def test_classic_networks_match_the_published_receptive_fields(network):
    """r, S and P after each end-point of five classic networks, as published.

    Source: Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
    Networks", Distill 2019 (doi:10.23915/distill.00021), whose discussion of modern networks
    uses the library published with the article; the library's table of pre-computed
    parameters is RECEPTIVE_FIELD_TABLE.md in github.com/google-research/receptive_field
    (TF-Slim models, columns RF, effective stride, effective padding). We use its rows for
    input resolution 321, where TensorFlow's 'SAME' padding is symmetric as PyTorch's is (at
    224 the stride-2 layers of MobileNet and ResNet pad 0 pixels before and 1 after: P is then
    smaller, r and S are the same).
    """
    model, published = network(), TABLE[network]
    rows = receptive_field_table(model)
    for end_point, expected in published.items():
        prefix = end_point.replace("/", ".")
        last = [row for row in rows if row.name == prefix or row.name.startswith(prefix + ".")][-1]
        assert (last.r, last.S, last.P) == expected, \
            f"{network.__name__} {end_point}: expected (r, S, P) = {expected}, got {last}"
    assert receptive_field(model) == ReceptiveField(*list(published.values())[-1])


def test_headline_figures_alexnet_195_vgg16_212_resnet50_483():
    """The final receptive fields of Araujo et al. (2019): AlexNet (v2) at pool5, VGG-16 at
    pool5, ResNet-50 (v1) at block4, the last layers before the classifier (source as above)."""
    assert receptive_field(alexnet_v2()).size == 195
    assert receptive_field(vgg_16()).size == 212
    assert receptive_field(resnet_v1_50_longest_path()) == ReceptiveField(483, 32, 241)


def test_vgg_16_as_tuples_gives_the_same_field_as_the_module():
    config = [[(3, 1, 1)] * n + [(2, 2)] for n in (2, 2, 3, 3, 3)]
    assert receptive_field([layer for block in config for layer in block]) == ReceptiveField(212, 32, 90)


# --- (b) the empirical receptive field -------------------------------------------------------

def _random_stack(rng, dilated_padding: bool = True) -> nn.Sequential:
    """A random single-path network: convolutions, pools, dilations, strides, activations."""
    layers, channels = [], int(rng.integers(1, 3))
    first = channels
    for _ in range(int(rng.integers(1, 6))):
        kind = rng.choice(["conv", "conv", "max", "avg", "act"])
        if kind == "conv":
            k = int(rng.integers(1, 6))
            d = int(rng.integers(1, 4)) if k > 1 else 1
            p = int(rng.integers(0, d * (k - 1) + 1)) if (d == 1 or dilated_padding) else 0
            out = int(rng.integers(1, 3))
            layers.append(nn.Conv2d(channels, out, k, int(rng.integers(1, 4)), p, d))
            channels = out
        elif kind == "max":
            k, d = int(rng.integers(1, 5)), int(rng.integers(1, 3))
            p = int(rng.integers(0, k // 2 + 1)) if (d == 1 or dilated_padding) else 0
            layers.append(nn.MaxPool2d(k, int(rng.integers(1, 4)), p, dilation=d,
                                       ceil_mode=bool(rng.random() < 0.3)))
        elif kind == "avg":
            k = int(rng.integers(1, 5))
            layers.append(nn.AvgPool2d(k, int(rng.integers(1, 4)), int(rng.integers(0, k // 2 + 1)),
                                       ceil_mode=bool(rng.random() < 0.3)))
        else:
            layers.append([nn.ReLU(), nn.LeakyReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU(),
                           nn.BatchNorm2d(channels), nn.Dropout()][int(rng.integers(0, 7))])
    model = nn.Sequential(*layers).eval()
    model.in_channels = first
    return model


def _gap_free(rows: list[LayerField]) -> bool:
    """Each layer's taps (d * S input pixels apart) are no farther apart than the field below is wide."""
    r = 1
    previous_stride = 1
    for row in rows:
        if row.kernel > 1 and row.dilation * previous_stride > r:
            return False
        r, previous_stride = row.r, row.S
    return True


def _reachable(model: nn.Module, size: int, index: int) -> set[int]:
    """Input positions (one axis) connected to output ``index``, by walking the layers backwards.

    A direct count, independent of the closed forms: each layer connects position q to
    q * s - p + j * d (j < k) below it, where positions outside the feature map are padding.
    """
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d))]
    sizes = [size]
    x = torch.zeros(1, model.in_channels, size, size)
    for m in model:
        x = m(x)
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            sizes.append(x.shape[-1])
    positions = {index}
    for m, n in zip(reversed(layers), reversed(sizes[:-1])):
        k, s, p = (v if isinstance(v, int) else v[0] for v in (m.kernel_size, m.stride, m.padding))
        d = getattr(m, "dilation", 1)
        d = d if isinstance(d, int) else d[0]
        positions = {x for q in positions for j in range(k) if 0 <= (x := q * s - p + j * d) < n}
    return positions


def _random_cases(seed: int, count: int, **kwargs):
    rng = np.random.default_rng(seed)
    while count:
        model = _random_stack(rng, **kwargs)
        size = int(rng.integers(12, 48))
        try:
            out = output_size(model, (size, size))
        except ValueError:  # the input is too small for this stack
            continue
        count -= 1
        yield rng, model, size, out


def test_gradient_support_equals_the_window_wherever_the_window_is_inside_the_image():
    checked = 0
    """Random stacks of convolutions and pools (kernels, strides, paddings, dilations) whose
    windows have no holes; every output pixel whose window lies inside the input."""
    checked = 0
    for rng, model, size, (out_h, _) in _random_cases(0, 150):
        field = receptive_field(model)
        inside = [i for i in range(out_h) if field.window(i)[0] >= 0 and field.window(i)[1] < size]
        if not inside or not _gap_free(receptive_field_table(model)):
            continue
        probe = GradientProbe(model, (size, size), model.in_channels)
        for _ in range(3):
            row, col = (int(i) for i in rng.choice(inside, 2))
            (y0, y1), (x0, x1) = field.window(row), field.window(col)
            expected = np.zeros((size, size), bool)
            expected[y0:y1 + 1, x0:x1 + 1] = True
            np.testing.assert_array_equal(probe.gradient((row, col)) > 0, expected,
                                          err_msg=f"{model} at {(row, col)}")
            checked += 1
    assert checked > 100


def test_gradient_support_equals_the_clipped_window_at_the_borders_too():
    """Also at the borders, for stacks that drop no input pixel and whose dilated layers are unpadded.

    Otherwise a window's border pixels may be connected only through padding (and so not
    at all): the theory gives a window that contains the support (next test).
    """
    rng = np.random.default_rng(1)
    checked = 0
    while checked < 60:
        model = _random_stack(rng, dilated_padding=False)
        rows = receptive_field_table(model)
        if not _gap_free(rows) or any(isinstance(m, nn.MaxPool2d) and m.ceil_mode for m in model):
            continue
        sizes = [int(rng.integers(1, 4))]  # the output size; the input size follows backwards
        for row in reversed(rows):
            sizes.append((sizes[-1] - 1) * row.stride + row.dilation * (row.kernel - 1) + 1 - 2 * row.padding)
        size = sizes[-1]
        if min(sizes) < 1 or size > 64:
            continue
        out_h, out_w = output_size(model, (size, size))
        probe = GradientProbe(model, (size, size), model.in_channels)
        for position in {(0, 0), (out_h - 1, out_w - 1), (out_h // 2, 0), (0, out_w - 1)}:
            (y0, y1), (x0, x1) = input_window(model, position, (size, size))
            expected = np.zeros((size, size), bool)
            expected[y0:y1 + 1, x0:x1 + 1] = True
            np.testing.assert_array_equal(probe.gradient(position) > 0, expected,
                                          err_msg=f"{model} at {position}")
        checked += 1


def test_gradient_support_lies_in_the_clipped_window_and_matches_a_direct_count_for_any_stack():
    for rng, model, size, (out_h, out_w) in _random_cases(2, 120):
        assert tuple(model(torch.zeros(1, model.in_channels, size, size)).shape[2:]) == (out_h, out_w)
        probe = GradientProbe(model, (size, size), model.in_channels)
        for _ in range(3):
            position = (int(rng.integers(0, out_h)), int(rng.integers(0, out_w)))
            support = probe.gradient(position) > 0
            rows, cols = _reachable(model, size, position[0]), _reachable(model, size, position[1])
            expected = np.zeros((size, size), bool)
            expected[np.ix_(sorted(rows), sorted(cols))] = True
            np.testing.assert_array_equal(support, expected, err_msg=f"{model} at {position}")
            (y0, y1), (x0, x1) = input_window(model, position, (size, size))
            window = np.zeros((size, size), bool)
            window[y0:y1 + 1, x0:x1 + 1] = True
            assert not (support & ~window).any(), f"{model} at {position}: support outside the window"


def test_empirical_receptive_field_of_a_small_network_is_the_window_and_leaves_the_model_alone():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 4, 3, padding=2, dilation=2), nn.ReLU())
    before = [p.detach().clone() for p in model.parameters()]
    mask = empirical_receptive_field(model, (32, 32), (5, 9))
    assert mask.dtype == bool and mask.shape == (32, 32)
    (y0, y1), (x0, x1) = input_window(model, (5, 9), (32, 32))
    assert ((y0, y1), (x0, x1)) == ((5, 16), (13, 24))  # r = 12, S = 2, P = 5 (computed by hand)
    expected = np.zeros((32, 32), bool)
    expected[5:17, 13:25] = True
    np.testing.assert_array_equal(mask, expected)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters())), "the model was changed"
    assert isinstance(model[2], nn.MaxPool2d) and model.training


def test_max_pooling_alone_and_dilated_max_pooling_show_their_whole_window():
    np.testing.assert_array_equal(np.argwhere(empirical_receptive_field(nn.MaxPool2d(3, 2, 1), (9, 9), (2, 2))),
                                  [(y, x) for y in range(3, 6) for x in range(3, 6)])
    pool = nn.MaxPool2d(2, dilation=3)  # taps 3 pixels apart: a 2x2 lattice in a 4x4 window
    np.testing.assert_array_equal(np.argwhere(empirical_receptive_field(pool, (8, 8), (1, 0))),
                                  [(2, 0), (2, 3), (5, 0), (5, 3)])


# --- the calculator by hand ---------------------------------------------------------------

def _small() -> nn.Module:
    return nn.Sequential(OrderedDict(
        stem=nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
        pool=nn.MaxPool2d(2),
        body=nn.ModuleList([nn.Conv2d(8, 8, 3, padding=2, dilation=2), nn.Dropout(0.1), nn.GELU()]),
        head=nn.Conv2d(8, 5, 1)))


def test_per_layer_table_of_a_small_example_computed_by_hand():
    # r += d (k - 1) S_before, P += p S_before, S *= s:
    # conv 3x3 p1: r = 3, S = 1, P = 1; pool 2: r = 3 + 1 = 4, S = 2, P = 1;
    # conv 3x3 d2 p2 (k' = 5): r = 4 + 4 * 2 = 12, P = 1 + 2 * 2 = 5; conv 1x1: unchanged.
    assert receptive_field_table(_small()) == [
        LayerField("stem.0", "Conv2d", 3, 1, 1, 1, 3, 1, 1),
        LayerField("pool", "MaxPool2d", 2, 2, 0, 1, 4, 2, 1),
        LayerField("body.0", "Conv2d", 3, 1, 2, 2, 12, 2, 5),
        LayerField("head", "Conv2d", 1, 1, 0, 1, 12, 2, 5),
    ]
    assert receptive_field(_small()) == ReceptiveField(12, 2, 5)
    assert receptive_field_table(_small())[1].field == ReceptiveField(4, 2, 1)
    assert ReceptiveField(12, 2, 5).window(0) == (-5, 6)
    assert ReceptiveField(12, 2, 5).window(3) == (1, 12)


def test_format_table_is_a_readable_plain_text_table():
    assert format_table(receptive_field_table(_small())) == "\n".join([
        "layer   type       kernel  stride  padding  dilation   r  S  P",
        "------  ---------  ------  ------  -------  --------  --  -  -",
        "stem.0  Conv2d          3       1        1         1   3  1  1",
        "pool    MaxPool2d       2       2        0         1   4  2  1",
        "body.0  Conv2d          3       1        2         2  12  2  5",
        "head    Conv2d          1       1        0         1  12  2  5",
    ])
    assert format_table(receptive_field_table([(3, 1), (2, 2)])).splitlines()[0].split() == [
        "layer", "kernel", "stride", "padding", "dilation", "r", "S", "P"]


def test_input_window_with_and_without_clipping():
    assert input_window(_small(), (0, 3)) == ((-5, 6), (1, 12))
    assert input_window(_small(), (0, 3), input_size=(16, 10)) == ((0, 6), (1, 9))
    assert input_window([(3, 1, 1)], (2, 0), input_size=(3, 3)) == ((1, 2), (0, 1))


def test_output_size_matches_pytorch():
    model = _small()
    for size in [(16, 10), (7, 9), (2, 3)]:
        assert output_size(model, size) == tuple(model.head(model.body[0](model.pool(model.stem(
            torch.zeros(1, 3, *size))))).shape[2:])
    pool = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
    assert output_size(pool, (10, 11)) == tuple(pool(torch.zeros(1, 1, 10, 11)).shape[2:]) == (6, 6)


def test_tuple_formats():
    assert receptive_field([(3, 1), (2, 2)]) == ReceptiveField(4, 2, 0)
    assert receptive_field([(3, 1, 0), (2, 2, 0, 1)]) == ReceptiveField(4, 2, 0)
    assert receptive_field([[3, 2, 1, 2]]) == ReceptiveField(5, 2, 1)
    assert receptive_field(((3, 1, 1), (3, 1, 1))) == ReceptiveField(5, 1, 2)
    assert receptive_field([nn.Conv2d(1, 1, 3, padding=1), (2, 2)]) == ReceptiveField(4, 2, 1)
    mixed = [(3, 1), nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))]
    assert [row.name for row in receptive_field_table(mixed)] == ["0", "1.1"]
    for empty in ([], nn.Sequential(), nn.ReLU()):
        assert receptive_field(empty) == ReceptiveField(1, 1, 0)


def test_nested_and_custom_modules_are_read_in_registration_order():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)
            self.act = nn.LeakyReLU()
            self.down = nn.AvgPool2d(2)

        def forward(self, x):
            return self.down(self.act(self.conv(x)))

    model = nn.Sequential(OrderedDict(a=nn.Sequential(OrderedDict(b=nn.ModuleList([Block(), Block()])))))
    assert [row.name for row in receptive_field_table(model)] == [
        "a.b.0.conv", "a.b.0.down", "a.b.1.conv", "a.b.1.down"]
    assert receptive_field(model) == ReceptiveField(3 + 1 + 2 * 2 + 1 * 2, 4, 1 + 2)
    assert receptive_field(nn.Conv2d(1, 1, 5)) == ReceptiveField(5, 1, 0)
    assert receptive_field_table(nn.Conv2d(1, 1, 5))[0].name == "conv"


def test_string_padding_on_conv2d():
    assert receptive_field(nn.Conv2d(1, 1, 3, padding="valid")) == ReceptiveField(3, 1, 0)
    assert receptive_field(nn.Conv2d(1, 1, 5, padding="same", dilation=2)) == ReceptiveField(9, 1, 4)
    with pytest.raises(ValueError, match=r"^Conv2d: padding='same' with an even effective kernel \(4\) pads one "
                                         r"more pixel on one side than the other"):
        receptive_field(nn.Conv2d(1, 1, 4, padding="same"))
    with pytest.raises(ValueError, match=r"^0 \(Conv2d\): padding='same' with an even effective kernel \(4\)"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 2, padding="same", dilation=3)))


# --- error messages ---------------------------------------------------------------------

@pytest.mark.parametrize("layer", [nn.Linear(4, 4), nn.ConvTranspose2d(1, 1, 2), nn.Upsample(scale_factor=2),
                                   nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Conv1d(1, 1, 3)],
                         ids=lambda m: type(m).__name__)
def test_unsupported_layers_are_named_with_their_qualified_name(layer):
    features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), layer)
    model = nn.Sequential(OrderedDict(features=features))
    with pytest.raises(ValueError, match=rf"^features\.3 \({type(layer).__name__}\) is not supported: "
                                         r"supported layers are Conv2d, MaxPool2d and AvgPool2d with square "
                                         r"windows; layers that keep the resolution \(ReLU"):
        receptive_field(model)
    with pytest.raises(ValueError, match=rf"^{type(layer).__name__} is not supported"):
        receptive_field_table(layer)


@pytest.mark.parametrize("layer, what", [
    (nn.Conv2d(1, 1, (3, 5)), r"kernel_size=\(3, 5\)"),
    (nn.Conv2d(1, 1, 3, stride=(1, 2)), r"stride=\(1, 2\)"),
    (nn.Conv2d(1, 1, 3, padding=(1, 0)), r"padding=\(1, 0\)"),
    (nn.Conv2d(1, 1, 3, dilation=(2, 1)), r"dilation=\(2, 1\)"),
    (nn.MaxPool2d((2, 3)), r"kernel_size=\(2, 3\)"),
    (nn.AvgPool2d(2, stride=(2, 1)), r"stride=\(2, 1\)"),
    (nn.MaxPool2d(3, padding=(1, 0)), r"padding=\(1, 0\)"),
])
def test_non_square_layers_are_refused(layer, what):
    with pytest.raises(ValueError, match=rf"^1 \({type(layer).__name__}\): only square windows are supported "
                                         rf"\(the same \w+ along height and width\), got {what}$"):
        receptive_field(nn.Sequential(nn.ReLU(), layer))


@pytest.mark.parametrize("layers, message", [
    ("vgg", r"expected a torch.nn.Module or a list of \(kernel, stride\[, padding\[, dilation\]\]\) tuples, "
            r"got str"),
    (3, r"expected a torch.nn.Module or a list .* got int"),
    ((3, 1, 1), r"layer 0: expected a \(kernel, stride\), \(kernel, stride, padding\) or \(kernel, stride, "
                r"padding, dilation\) tuple, got 3"),
    ([(3,)], r"layer 0: expected a .* tuple, got \(3,\)"),
    ([(3, 1), (3, 1, 1, 1, 1)], r"layer 1: expected a .* tuple, got \(3, 1, 1, 1, 1\)"),
    ([(0, 1)], r"layer 0: expected kernel to be an int >= 1, got 0"),
    ([(3, 0)], r"layer 0: expected stride to be an int >= 1, got 0"),
    ([(3, 1, -1)], r"layer 0: expected padding to be an int >= 0, got -1"),
    ([(3, 1, 1, 0)], r"layer 0: expected dilation to be an int >= 1, got 0"),
    ([(3.0, 1)], r"layer 0: expected kernel to be an int >= 1, got 3.0"),
    ([(True, 1)], r"layer 0: expected kernel to be an int >= 1, got True"),
])
def test_bad_layer_lists_are_refused(layers, message):
    with pytest.raises(ValueError, match=message):
        receptive_field(layers)


def test_bad_positions_and_sizes_are_refused():
    with pytest.raises(ValueError, match=r"expected index to be an int >= 0, got -1"):
        ReceptiveField(3, 1, 1).window(-1)
    with pytest.raises(ValueError, match=r"expected position to be a pair of ints >= 0 \(rows, cols\), got 3"):
        input_window(_small(), 3)
    with pytest.raises(ValueError, match=r"expected position to be a pair of ints >= 0 \(rows, cols\), "
                                         r"got \(-1, 0\)"):
        input_window(_small(), (-1, 0))
    with pytest.raises(ValueError, match=r"expected input_size to be a pair of ints >= 1 \(rows, cols\), "
                                         r"got \(0, 4\)"):
        input_window(_small(), (0, 0), input_size=(0, 4))
    with pytest.raises(ValueError, match=r"position \(8, 0\) is outside the 8x5 output of a 16x10 input: "
                                         r"expected row < 8 and col < 5"):
        input_window(_small(), (8, 0), input_size=(16, 10))
    with pytest.raises(ValueError, match=r"layer 2 gets a feature map of size 1, too small for its 3-pixel "
                                         r"window with padding 0: a 5x9 input is too small for this network"):
        output_size([(3, 1), (2, 2), (3, 1)], (5, 9))


def test_bad_empirical_calls_are_refused():
    model = nn.Sequential(nn.Conv2d(2, 1, 3), nn.ReLU())
    with pytest.raises(ValueError, match=r"position \(6, 0\) is outside the 6x6 output: "
                                         r"expected 0 <= row < 6 and 0 <= col < 6"):
        empirical_receptive_field(model, (8, 8), (6, 0))
    with pytest.raises(ValueError, match=r"expected a torch.nn.Module, got list"):
        empirical_receptive_field([(3, 1)], (8, 8), (0, 0))
    with pytest.raises(ValueError, match=r"expected in_channels to be an int >= 1, got 0"):
        empirical_receptive_field(model, (8, 8), (0, 0), in_channels=0)
    with pytest.raises(ValueError, match=r"expected the model to return a \(1, C, h, w\) feature map, "
                                         r"got shape \(1, 36\)"):
        empirical_receptive_field(nn.Sequential(model, nn.Flatten()), (8, 8), (0, 0))
    assert empirical_receptive_field(nn.AvgPool2d(2), (4, 4), (1, 1), in_channels=3).sum() == 4
