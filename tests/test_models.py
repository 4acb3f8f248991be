"""course.models: the U-Net against the paper, the encoder-decoder, sizes and the tracer."""

import numpy as np
import pytest
import torch
from torch import nn

from course.models import EncoderDecoder, UNet, center_crop, unet_output_size, valid_input_sizes
from course.models.trace import trace
from course.receptive_field import GradientProbe, receptive_field


def _conv_params(k, cin, cout, bias=True):
    return k * k * cin * cout + (cout if bias else 0)


def _paper_parameter_count(in_channels=1, classes=2, base=64, depth=4):
    """Counted from the paper's Figure 1: two 3x3 convs per level, a 2x2 up-conv halving the channels."""
    widths = [base * 2 ** i for i in range(depth + 1)]
    total, cin = 0, in_channels
    for w in widths:                                   # contracting path and bottom
        total += _conv_params(3, cin, w) + _conv_params(3, w, w)
        cin = w
    for i in reversed(range(depth)):                   # expanding path
        total += _conv_params(2, widths[i + 1], widths[i])      # up-convolution
        total += _conv_params(3, 2 * widths[i], widths[i]) + _conv_params(3, widths[i], widths[i])
    return total + _conv_params(1, widths[0], classes)


def _count(model):
    return sum(p.numel() for p in model.parameters())


def test_paper_configuration_maps_a_572_tile_to_388():
    model = UNet(1, 2, base_channels=64, depth=4, padding="valid", upsampling="transpose", batch_norm=False)
    with torch.no_grad():
        out = model(torch.zeros(1, 1, 572, 572))
    assert tuple(out.shape) == (1, 2, 388, 388), f"expected (1, 2, 388, 388) as in the paper, got {tuple(out.shape)}"
    assert _count(model) == _paper_parameter_count(), (
        f"expected {_paper_parameter_count()} parameters from the paper's figure, got {_count(model)}")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_batch_norm_replaces_the_convolutions_bias():
    plain, normed = UNet(3, 5, 8, 2, batch_norm=False), UNet(3, 5, 8, 2, batch_norm=True)
    convs = [m for m in normed.modules() if type(m) is nn.Conv2d and m.kernel_size == (3, 3)]
    norms = [m for m in normed.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == len(convs) == 2 * (2 * 2 + 1), f"one norm per 3x3 conv, got {len(norms)} and {len(convs)}"
    assert all(c.bias is None for c in convs)
    assert _count(normed) - _count(plain) == sum(2 * n.num_features - n.num_features for n in norms)


@pytest.mark.parametrize("depth,size,upsampling", [(1, 8, "transpose"), (2, 12, "bilinear"), (3, 24, "transpose"),
                                                   (4, 48, "bilinear"), (0, 5, "transpose")])
def test_same_padding_keeps_the_size(depth, size, upsampling):
    model = UNet(3, 4, base_channels=4, depth=depth, upsampling=upsampling).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, size, size))
    assert tuple(out.shape) == (2, 4, size, size)


def test_bilinear_upsampling_has_fewer_parameters_per_step_than_a_learned_2x2_when_channels_are_large():
    a = UNet(1, 2, 16, 3, upsampling="transpose")
    b = UNet(1, 2, 16, 3, upsampling="bilinear")
    widths = [16 * 2 ** i for i in range(4)]
    difference = sum(_conv_params(3, widths[i + 1], widths[i]) - _conv_params(2, widths[i + 1], widths[i])
                     for i in range(3))
    assert _count(b) - _count(a) == difference


@pytest.mark.parametrize("depth,low,high", [(1, 1, 60), (2, 1, 80), (3, 60, 130), (4, 180, 230)])
def test_valid_sizes_are_exactly_those_whose_poolings_halve_even_maps(depth, low, high):
    """Brute force through the real blocks (not forward, which checks the size first): every max pool
    must get an even map and every layer must have room for its kernel."""
    model = UNet(1, 1, base_channels=1, depth=depth, padding="valid", batch_norm=False)
    pool_inputs = []
    hooks = [m.register_forward_pre_hook(lambda m, args: pool_inputs.append(args[0].shape[-1]))
             for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    works = []
    for size in range(low, high):
        pool_inputs.clear()
        try:
            with torch.no_grad():
                skips = [model.inc(torch.zeros(1, 1, size, size))]
                for down in model.downs:
                    skips.append(down(skips[-1]))
                x = skips.pop()
                for up in model.ups:
                    x = up(x, skips.pop())
        except (RuntimeError, ValueError):     # a kernel larger than the map, a crop larger than the skip
            continue
        if all(n % 2 == 0 for n in pool_inputs):
            works.append(size)
    for hook in hooks:
        hook.remove()
    assert works == valid_input_sizes(depth, "valid", low, high - 1)
    step, offset = 2 ** depth, 4 * (2 ** depth - 1)
    assert works == [s for s in range(works[0], high) if (s - offset) % step == 0]


@pytest.mark.parametrize("depth,size", [(1, 18), (2, 44), (3, 92), (2, 60)])
def test_valid_output_size_matches_the_network(depth, size):
    model = UNet(1, 3, base_channels=2, depth=depth, padding="valid").eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 1, size, size))
    assert out.shape[-1] == unet_output_size(size, depth, "valid")


def test_sizes_that_do_not_work_name_the_nearest_that_do():
    with pytest.raises(ValueError, match=r"multiple of 2\*\*depth = 16.*96 or 112"):
        UNet(3, 2, 4)(torch.zeros(1, 3, 100, 96))
    with pytest.raises(ValueError, match=r"570.*16 m \+ 60.*188, 204.*556 or 572"):
        UNet(1, 2, 2, padding="valid")(torch.zeros(1, 1, 570, 570))
    with pytest.raises(ValueError, match=r"expected 3 input channels, got 1"):
        UNet(3, 2, 4)(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got a tensor of shape \(3, 32, 32\)"):
        UNet(3, 2, 4)(torch.zeros(3, 32, 32))
    for arguments, message in [(dict(padding="full"), "padding"), (dict(upsampling="nearest"), "upsampling"),
                               (dict(depth=-1), "depth")]:
        with pytest.raises(ValueError, match=message):
            UNet(3, 2, **arguments)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = UNet(3, 4, base_channels=4, depth=3)
    x = torch.randn(2, 3, 32, 32)
    nn.functional.cross_entropy(model(x), torch.randint(0, 4, (2, 32, 32))).backward()
    dead = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not dead, f"expected a gradient in every parameter, none reached {dead}"


def test_every_up_step_uses_its_skip_connection():
    """Zeroing the skip that an Up step receives changes what it returns."""
    torch.manual_seed(0)
    model = UNet(1, 2, base_channels=4, depth=3).eval()
    calls = []
    hooks = [up.register_forward_pre_hook(lambda m, args: calls.append((m, args))) for up in model.ups]
    with torch.no_grad():
        model(torch.rand(1, 1, 32, 32))
        for hook in hooks:
            hook.remove()
        for up, (x, skip) in calls:
            assert not torch.allclose(up(x, skip), up(x, torch.zeros_like(skip))), "an Up step ignores its skip"
    assert len(calls) == 3


def test_center_crop():
    x = torch.arange(36.).reshape(1, 1, 6, 6)
    assert torch.equal(center_crop(x, (2, 4)), x[..., 2:4, 1:5])
    with pytest.raises(ValueError, match="cannot crop a 6x6 feature map to 8x2"):
        center_crop(x, (8, 2))


# --- the encoder-decoder ------------------------------------------------------------

@pytest.mark.parametrize("down,up", [("maxpool", "transpose"), ("maxpool", "unpool"), ("maxpool", "bilinear"),
                                     ("strided", "transpose"), ("strided", "bilinear")])
def test_encoder_decoder_gives_a_map_of_the_input_size(down, up):
    model = EncoderDecoder(3, 5, base_channels=4, depth=3, down=down, up=up).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 40, 24))
    assert tuple(out.shape) == (2, 5, 40, 24)


def test_unpooling_puts_values_where_the_maxima_were():
    """With up='unpool', the first decoder step's output is zero except at the pooled maxima's positions."""
    torch.manual_seed(0)
    model = EncoderDecoder(1, 2, base_channels=2, depth=1, up="unpool").eval()
    seen = {}
    model.ups[0].register_forward_hook(lambda m, args, out: seen.update(out=out))
    model.downs[0].register_forward_hook(lambda m, args, out: seen.update(indices=out[1]))
    with torch.no_grad():
        model(torch.randn(1, 1, 8, 8))
    nonzero = seen["out"].flatten(2) != 0
    kept = torch.zeros_like(nonzero).scatter_(2, seen["indices"].flatten(2), True)
    assert not (nonzero & ~kept).any(), "unpooling wrote outside the remembered positions"


def test_encoder_decoder_rejects_what_it_cannot_do():
    with pytest.raises(ValueError, match="expected down='maxpool', got down='strided'"):
        EncoderDecoder(3, 2, down="strided", up="unpool")
    with pytest.raises(ValueError, match="multiple of 2\\*\\*depth = 8"):
        EncoderDecoder(3, 2, depth=3)(torch.zeros(1, 3, 30, 32))


# --- the tracer ---------------------------------------------------------------------

CONFIGS = [dict(arch="unet", padding="valid", up="transpose", input_size=92, depth=3),
           dict(arch="unet", padding="same", up="bilinear", input_size=32, depth=2),
           dict(arch="unet", padding="same", up="transpose", input_size=(16, 24), depth=3),
           dict(arch="encoder-decoder", down="maxpool", up="unpool", input_size=24, depth=2),
           dict(arch="encoder-decoder", down="strided", up="bilinear", input_size=16, depth=3)]


def _build(config):
    if config["arch"] == "unet":
        return UNet(1, 2, 2, config["depth"], config["padding"], config["up"])
    return EncoderDecoder(1, 2, 2, config["depth"], config["down"], config["up"])


@pytest.mark.parametrize("config", CONFIGS)
def test_trace_shapes_match_the_real_network(config):
    model = _build(config)
    leaves = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d,
                                                          nn.MaxUnpool2d, nn.Upsample))]
    shapes = []
    for m in leaves:
        m.register_forward_hook(lambda m, a, out: shapes.append(tuple((out[0] if isinstance(out, tuple) else out)
                                                                     .shape[1:])))
    size = config["input_size"]
    hw = (size, size) if isinstance(size, int) else size
    with torch.no_grad():
        model(torch.zeros(1, 1, *hw))
    traced = [(l.channels, *l.size) for l in trace(in_channels=1, num_classes=2, base_channels=2, **config)
              if not l.op.startswith("concat")]
    assert traced == shapes


@pytest.mark.parametrize("config", CONFIGS[:2] + [dict(arch="unet", padding="valid", up="bilinear", input_size=60,
                                                        depth=2),
                                                   dict(arch="encoder-decoder", down="strided", up="transpose",
                                                        input_size=64, depth=2)])
def test_traced_receptive_field_is_what_the_gradient_reaches(config):
    """The traced field is the largest window; the gradient of each output pixel reaches exactly its window."""
    model = _build(config)
    layers = trace(in_channels=1, num_classes=2, base_channels=2, **config)
    probe = GradientProbe(model, (config["input_size"],) * 2, in_channels=1)
    sizes = set()
    for row in range(probe.output_shape[0] // 2 - 2, probe.output_shape[0] // 2 + 2):
        rows = np.flatnonzero((probe.gradient((row, row)) > 0).any(axis=1))
        sizes.add(int(rows.max() - rows.min() + 1))
    assert max(sizes) == layers[-1].field


def test_trace_of_the_encoder_is_araujos_receptive_field():
    layers = trace("unet", 572)
    encoder = [(3, 1)] * 2 + [(2, 2), (3, 1), (3, 1)] * 4
    assert [l.field for l in layers[:len(encoder)]] == [receptive_field(encoder[:i + 1]).size
                                                        for i in range(len(encoder))]
    assert layers[-1].shape == "2×388×388"


def test_trace_flags_where_a_configuration_breaks():
    same = trace("unet", 100, base_channels=8, padding="same")
    flagged = [(l.block, l.op) for l in same if l.problem]
    assert flagged[0] == ("down 3", "2x2 max pool") and "odd size (25)" in same[8].problem
    assert ("up 2", "concat skip (32 ch)") in flagged
    assert "torch.cat fails: the skip connection is 25×25, the up-sampled map 24×24" in \
        next(l.problem for l in same if l.block == "up 2" and l.problem)
    tiny = trace("unet", 30, depth=4)
    assert "no pixels left" in tiny[-1].problem and tiny[-1].block == "down 2"
    plain = trace("encoder-decoder", 100, base_channels=8, depth=3)
    assert "the output is 96×96 but the input and its mask are 100×100" in plain[-1].problem
    assert not [l for l in trace("unet", 572) if l.problem]
    with pytest.raises(ValueError, match="expected arch to be one of"):
        trace("resnet")
