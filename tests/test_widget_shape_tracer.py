"""The shape tracer and the architecture figure, driven headless; parameter counts against the real models."""

import html
import re

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from torch import nn

from course.models import EncoderDecoder, UNet, unet_output_size
from course.models.trace import trace
from course.widgets.core import Explorer, render_png
from course.widgets.grid import extents
from course.widgets.shape_tracer import (KINDS, PROBLEM, architecture_figure, impossible_combination,
                                         layer_parameters, layer_table_html, nearby_sizes, op_kind, parameter_count,
                                         shape_tracer, skip_connections)
from widget_helpers import artists, find, one

PAPER = dict(arch="unet", input_size=572, depth=4, padding="valid", base_channels=64)


def _text(widget_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", widget_html.replace("<br>", "\n")))


def _summary(explorer: Explorer) -> str:
    return _text(find(explorer.widget, widgets.HTML)[0].value)


def _table_rows(explorer: Explorer) -> list[str]:
    table = find(explorer.widget, widgets.Accordion)[0].children[0]
    return re.findall(r"<tr>(.*?)</tr>", table.value)


def _faces(fig) -> np.ndarray:
    return one(fig, "layers").get_facecolors()


def _is_problem(fig) -> list[bool]:
    return [bool(np.allclose(face, to_rgba(PROBLEM))) for face in _faces(fig)]


def _boxes(fig) -> np.ndarray:
    """(x0, y0, x1, y1) of every layer's box, in the figure's inches (y down)."""
    return np.array([[*p.vertices.min(0), *p.vertices.max(0)] for p in one(fig, "layers").get_paths()])


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _paper_parameters(in_channels=1, classes=2, base=64, depth=4) -> int:
    """By hand from the paper's Figure 1: two 3x3 convs (with bias) per level, a 2x2 up-conv halving the channels."""
    widths = [base * 2 ** i for i in range(depth + 1)]
    total, cin = 0, in_channels
    for w in widths:
        total += 9 * cin * w + w + 9 * w * w + w
        cin = w
    for i in reversed(range(depth)):
        total += 4 * widths[i + 1] * widths[i] + widths[i] + 9 * 2 * widths[i] * widths[i] + widths[i]
        total += 9 * widths[i] * widths[i] + widths[i]
    return total + widths[0] * classes + classes


# --- compute ----------------------------------------------------------------------------

MODELS = [
    ("unet", dict(padding="valid", up="transpose"), True),
    ("unet", dict(padding="same", up="transpose"), False),
    ("unet", dict(padding="same", up="bilinear"), True),
    ("unet", dict(padding="valid", up="bilinear"), False),
    ("encoder-decoder", dict(down="maxpool", up="transpose"), True),
    ("encoder-decoder", dict(down="maxpool", up="unpool"), True),
    ("encoder-decoder", dict(down="strided", up="bilinear"), True),
    ("encoder-decoder", dict(down="strided", up="transpose"), True),
]


def _model(arch, options, batch_norm, in_channels, classes, base, depth):
    if arch == "unet":
        return UNet(in_channels, classes, base, depth, options["padding"], options["up"], batch_norm)
    return EncoderDecoder(in_channels, classes, base, depth, options["down"], options["up"])


def _executed_parameters(model: nn.Module, shape) -> list[int]:
    """Parameters of every convolution in the order the forward pass runs them, each with its batch norm."""
    counts, hooks = [], []
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)):
            def hook(m, args, out):
                own = sum(p.numel() for p in m.parameters())
                if isinstance(m, nn.BatchNorm2d):
                    counts[-1] += own
                else:
                    counts.append(own)
            hooks.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model.eval()(torch.zeros(shape))
    for h in hooks:
        h.remove()
    return counts


@pytest.mark.parametrize("arch,options,batch_norm", MODELS,
                         ids=[f"{a}-{'-'.join(o.values())}-{'bn' if b else 'plain'}" for a, o, b in MODELS])
@pytest.mark.parametrize("in_channels,classes,base,depth", [(3, 5, 4, 2), (1, 2, 2, 3)])
def test_parameters_per_layer_and_in_total_are_the_real_models(arch, options, batch_norm, in_channels, classes,
                                                               base, depth):
    model = _model(arch, options, batch_norm, in_channels, classes, base, depth)
    size = {2: 44, 3: 92}[depth] if options.get("padding") == "valid" else 8 * 2 ** depth
    layers = trace(arch, size, in_channels, classes, base, depth, options.get("padding", "same"),
                   options.get("down", "maxpool"), options["up"])
    assert not any(layer.problem for layer in layers)
    per_layer = layer_parameters(layers, in_channels, arch, batch_norm)
    assert [c for c in per_layer if c] == _executed_parameters(model, (1, in_channels, size, size))
    expected = _count(model)
    assert sum(per_layer) == expected
    got = parameter_count(arch, in_channels, classes, base, depth, options.get("down", "maxpool"), options["up"],
                          batch_norm)
    assert got == expected, f"expected {expected} parameters as the built model has, got {got}"


def test_parameter_count_of_the_paper_u_net():
    # 31,030,593 with one output class, as often quoted
    assert parameter_count("unet", 1, 2, 64, 4, batch_norm=False) == _paper_parameters() == 31_030_658
    assert parameter_count("unet", 1, 2, 64, 4) == _count(UNet(1, 2, 64, 4, "valid", batch_norm=True))


def test_op_kinds_and_skip_connections_of_the_paper_u_net():
    layers = trace(**PAPER, in_channels=1, num_classes=2)
    kinds = [op_kind(layer) for layer in layers]
    assert kinds[:5] == ["conv", "conv", "down", "conv", "conv"]
    assert kinds[14:18] == ["up", "concat", "conv", "conv"] and kinds[-1] == "out"
    assert kinds.count("down") == kinds.count("up") == kinds.count("concat") == 4
    # inc ends at layer 1, down 1..3 at 4, 7, 10; their concatenations are 15, 19, 23, 27, deepest first
    assert skip_connections(layers) == [(10, 15), (7, 19), (4, 23), (1, 27)]
    for source, concat in skip_connections(layers):
        assert layers[source].level == layers[concat].level
        assert f"({layers[source].channels} ch, cropped)" in layers[concat].op
    strided = trace("encoder-decoder", 64, down="strided", up="bilinear", depth=2)
    assert [op_kind(layer) for layer in strided].count("down") == 2 and skip_connections(strided) == []


def test_impossible_combinations_and_nearby_sizes():
    assert "not max unpooling" in impossible_combination("unet", "maxpool", "unpool")
    assert "strided convolution remembers no positions" in impossible_combination("encoder-decoder", "strided",
                                                                                  "unpool")
    assert impossible_combination("encoder-decoder", "maxpool", "unpool") == ""
    assert impossible_combination("unet", "strided", "bilinear") == ""  # the U-Net ignores 'down'
    assert nearby_sizes("unet", 571, 4, "valid") == [556, 572]  # 16 m + 60
    assert nearby_sizes("unet", 100, 4, "same") == [96, 112]
    assert nearby_sizes("encoder-decoder", 100, 3, "valid") == [96, 104]  # the encoder-decoder pads 'same'
    assert nearby_sizes("encoder-decoder", 96, 3) == [96]


# --- the explorer -----------------------------------------------------------------------

def test_paper_u_net_gives_388_with_no_problem_and_the_paper_parameter_count():
    explorer = shape_tracer(in_channels=1, num_classes=2)
    redraws = explorer.redraws
    explorer.set_values(**PAPER)
    assert explorer.redraws == redraws + 1
    text = _summary(explorer)
    assert "input 1×572×572 → output 2×388×388" in text
    assert f"{_paper_parameters():,} without batch norm" in text
    with_norm = _count(UNet(1, 2, 64, 4, "valid", batch_norm=True))
    assert f"{with_norm:,} parameters" in text
    assert "✗" not in text and "centre 388×388" in text
    fig = explorer.figure
    assert len(one(fig, "layers").get_paths()) == len(trace(**PAPER, in_channels=1, num_classes=2)) == 31
    assert not any(_is_problem(fig))
    assert len(one(fig, "skips").get_paths()) == len(one(fig, "skip-heads").get_paths()) == 4
    assert "skip: copy and crop" in one(fig, "legend-text").get_text()
    assert one(fig, "problem").get_text().startswith("✓ every layer fits")
    rows = _table_rows(explorer)
    assert len(rows) == 32  # header and 31 layers
    assert "<td" in rows[-1] and "2×388×388" in rows[-1] and "31" in rows[-1]
    assert render_png(fig)[:4] == b"\x89PNG"


def test_same_padding_at_100_flags_the_odd_pooling_and_the_failing_concatenations():
    explorer = shape_tracer(in_channels=1, num_classes=2)
    explorer.set_values(**(PAPER | dict(padding="same", input_size=100)))
    # 100 -> 50 -> 25 -> 12 (a row lost at layer 9) -> 6; back up 12, 24 != 25, 48 != 50, 96 != 100
    flagged = [i for i, problem in enumerate(_is_problem(explorer.figure)) if problem]
    assert flagged == [8, 19, 23, 27]
    text = _summary(explorer)
    assert ("✗ layer 9 (down 3, 2x2 max pool): pooling halves an odd size (25): a row or column is lost" in text)
    assert ("✗ layer 20 (up 2, concat skip (256 ch)): torch.cat fails: the skip connection is 25×25, the up-sampled "
            "map 24×24 (and 2 more layers like these)") in text
    assert "Input sizes near 100 that work: 96 or 112." in text
    rows = _table_rows(explorer)
    tinted = [i for i, row in enumerate(rows[1:]) if "background" in row and "font-weight" not in row]
    assert tinted == [8, 19, 23, 27]
    assert "torch.cat fails: the skip connection is 100×100, the up-sampled map 96×96" in rows[28]
    problem = one(explorer.figure, "problem").get_text()
    assert "layer 9" in problem and "torch.cat fails" in problem
    assert len(one(explorer.figure, "skips").get_paths()) == 4
    assert "skip: copy" in one(explorer.figure, "legend-text").get_text()
    assert "crop" not in one(explorer.figure, "legend-text").get_text()


def test_encoder_decoder_at_100_says_the_output_is_96_and_mismatches():
    explorer = shape_tracer()  # encoder-decoder, depth 3
    explorer.controls["input_size"].value = 100
    text = _summary(explorer)
    assert "input 3×100×100 → output 4×96×96" in text
    assert "the output is 96×96 but the input and its mask are 100×100" in text
    assert "Input sizes near 100 that work: 96 or 104." in text
    fig = explorer.figure
    layers = trace("encoder-decoder", 100, 3, 4, 16, 3, "same")
    assert len(one(fig, "layers").get_paths()) == len(layers) == 21
    assert _is_problem(fig)[-1] and _is_problem(fig)[8]  # the output, and the pooling of 25
    assert len(one(fig, "skips").get_paths()) == 0 and len(artists(fig, "highlight")) == 1
    assert "concatenate" not in one(fig, "legend-text").get_text()


@pytest.mark.parametrize("arch,down,up,words", [("unet", "maxpool", "unpool", "not max unpooling"),
                                                ("encoder-decoder", "strided", "unpool", "remembers no positions")])
def test_impossible_combinations_show_a_message_not_an_exception(arch, down, up, words):
    explorer = shape_tracer()
    explorer.set_values(arch=arch, down=down, up=up)
    assert words in _summary(explorer)
    assert words in " ".join(one(explorer.figure, "message").get_text().split())
    assert _table_rows(explorer) == []
    explorer.controls["up"].value = "bilinear"
    assert "→ output" in _summary(explorer) and len(one(explorer.figure, "layers").get_paths()) > 0


def test_padding_is_off_for_the_encoder_decoder_and_down_for_the_u_net():
    explorer = shape_tracer()
    assert explorer.controls["padding"].disabled and not explorer.controls["down"].disabled
    assert "'padding' is switched off" in _summary(explorer)
    same = _summary(explorer)
    explorer.controls["padding"].value = "valid"  # ignored: the encoder-decoder always pads
    assert _summary(explorer) == same
    explorer.controls["arch"].value = "unet"
    assert explorer.controls["down"].disabled and not explorer.controls["padding"].disabled
    assert "'down' is switched off" in _summary(explorer)
    explorer.controls["input_size"].value = 92  # 8 m + 28: every level of a depth-3 valid U-Net fits
    out = unet_output_size(92, 3, "valid")
    assert f"input 3×92×92 → output 4×{out}×{out}" in _summary(explorer) and "✗" not in _summary(explorer)


@pytest.mark.parametrize("config", [dict(arch="unet", depth=5, up="bilinear", input_size=600, padding="valid"),
                                    dict(arch="unet", depth=1, input_size=17),
                                    dict(arch="encoder-decoder", depth=5, down="strided", input_size=640),
                                    dict(arch="unet", depth=3, input_size=40, padding="valid")])
def test_one_box_per_layer_skips_per_level_and_labels_that_fit(config):
    explorer = shape_tracer()
    explorer.set_values(**config)
    options = dict(config)
    layers = trace(options.pop("arch"), options.pop("input_size"), 3, 4, 16, options.pop("depth"),
                   options.get("padding", "same") if config["arch"] == "unet" else "same",
                   options.get("down", "maxpool"), options.get("up", "transpose"))
    fig = explorer.figure
    boxes = _boxes(fig)
    assert len(boxes) == len(layers)
    concats = sum(op_kind(layer) == "concat" for layer in layers)
    assert len(one(fig, "skips").get_paths()) == concats
    assert (np.diff(boxes[:, 0]) > 0).all(), "boxes go left to right in order"
    assert (boxes[1:, 0] > boxes[:-1, 2]).all(), "boxes do not overlap"
    pitch = np.diff(boxes[:, 0] + boxes[:, 2]).mean() / 2 * 72  # points between box centres
    for gid in ("channels", "sizes", "fields"):
        assert len(one(fig, gid).texts) == len(layers) + 1  # and the input's
    faces = _faces(fig)
    for layer, face in zip(layers, faces):
        colour = PROBLEM if layer.problem else KINDS[op_kind(layer)][0]
        assert np.allclose(face, to_rgba(colour))
    sizes = [min(layer.size) for layer in layers]
    heights = boxes[:, 3] - boxes[:, 1]
    order = np.argsort(sizes, kind="stable")
    assert (np.diff(heights[order]) >= -1e-9).all(), "a larger map has a taller box"
    size = np.sqrt(one(fig, "fields").get_sizes()[0])
    widest = max(np.ptp(extents(text, size)[[0, 2]]) for text in one(fig, "fields").texts + one(fig, "sizes").texts)
    assert widest < pitch, f"labels {widest:.1f} pt wide overlap boxes {pitch:.1f} pt apart"
    assert render_png(fig)[:4] == b"\x89PNG"


def test_layer_slider_highlights_a_box_and_a_row_and_follows_the_layer_count():
    explorer = shape_tracer()
    layer = explorer.controls["layer"]
    assert layer.max == layer.value == 21, "starts on the output"
    explorer.controls["depth"].value = 4
    assert layer.max == layer.value == 27, "stays on the output"
    layer.value = 9
    rect = one(explorer.figure, "highlight")
    box = _boxes(explorer.figure)[8]
    assert rect.get_x() < box[0] and rect.get_x() + rect.get_width() > box[2]
    assert rect.get_y() < box[1] and rect.get_y() + rect.get_height() > box[3]
    assert "layer 9 of 27: down 3, 2x2 max pool → 64×8×8, receptive field 36×36" in _summary(explorer)
    bold = [i for i, row in enumerate(_table_rows(explorer)[1:]) if "font-weight:bold" in row]
    assert bold == [8]
    explorer.controls["depth"].value = 1
    assert layer.max == layer.value == 9, "clamped to the last layer"


def test_typed_size_moves_the_slider_with_one_redraw():
    explorer = shape_tracer()
    typed = [w for w in find(explorer.widget, widgets.BoundedIntText)][0]
    redraws = explorer.redraws
    typed.value = 571
    assert explorer.controls["input_size"].value == 571 and explorer.redraws == redraws + 1
    explorer.controls["input_size"].value = 572
    assert typed.value == 572


def test_architecture_figure_alone_reuses_its_figure_and_checks_its_arguments():
    layers = trace(**PAPER, in_channels=1, num_classes=2)
    fig = architecture_figure(layers, "U-Net", highlight=30)
    assert one(fig, "title").get_text() == "U-Net" and artists(fig, "input") == []
    again = architecture_figure(layers, reuse=fig, input_shape=(1, 572, 572))
    assert again is fig and artists(fig, "title") == [] and len(artists(fig, "input")) == 1
    assert len(artists(fig, "layers")) == 1, "the previous drawing is gone"
    assert tuple(fig.get_size_inches()) == (10.0, 4.5)
    with pytest.raises(ValueError, match=r"expected highlight to be a layer index in \[0, 30\], got 31"):
        architecture_figure(layers, highlight=31)
    with pytest.raises(ValueError, match="expected at least one traced layer, got none"):
        architecture_figure([])


def test_layer_table_lists_every_layer_with_its_parameters():
    layers = trace("encoder-decoder", 64, 3, 4, 16, 1)
    counts = layer_parameters(layers, 3, "encoder-decoder")
    table = layer_table_html(layers, counts, highlight=0)
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    assert len(rows) == len(layers) + 1
    cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[1])]
    assert cells == ["1", "inc", "3x3 conv", "16×64×64", "3", "1", f"{9 * 3 * 16 + 2 * 16:,}", ""]


@pytest.mark.parametrize("kwargs,message", [
    (dict(arch="U-Net"), r"expected arch to be one of \('unet', 'encoder-decoder'\), got 'U-Net'"),
    (dict(input_size=7), r"expected input_size to be one of \[8, 640\], got 7"),
    (dict(depth=6), r"expected depth to be one of \[1, 5\], got 6"),
    (dict(base_channels=3), r"expected base_channels to be one of \(1, 2, 4, 8, 16, 32, 64\), got 3"),
    (dict(up="nearest"), r"expected up to be one of \('transpose', 'unpool', 'bilinear'\), got 'nearest'"),
    (dict(num_classes=0), r"expected num_classes to be an int >= 1, got 0"),
])
def test_bad_arguments_say_what_was_expected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        shape_tracer(**kwargs)


def test_layer_parameters_checks_its_arguments():
    layers = trace("unet", 64, depth=1, padding="same")
    with pytest.raises(ValueError, match=r"expected arch to be one of \('unet', 'encoder-decoder'\), got 'fcn'"):
        layer_parameters(layers, 1, "fcn")
    with pytest.raises(ValueError, match=r"expected in_channels to be an int >= 1, got 0"):
        layer_parameters(layers, 0, "unet")


def test_problems_of_one_kind_are_written_once_with_a_count():
    explorer = shape_tracer()
    explorer.set_values(arch="unet", padding="valid", up="bilinear", depth=5, input_size=600)
    problem = " ".join(one(explorer.figure, "problem").get_text().split())  # wrapped to the figure's width
    layers = trace("unet", 600, 3, 4, 16, 5, "valid", up="bilinear")
    broken = [i for i, layer in enumerate(layers) if layer.problem]
    assert [i + 1 for i in broken] == [9, 12, 15, 20, 25, 30]  # three odd poolings, three crops off centre
    assert problem.startswith("✗ layer 9 (down 3, 2x2 max pool): pooling halves an odd size (143)")
    assert " ✗ layer 20 (up 1, concat skip (256 ch, cropped)): cropping the 29×29 skip to 20×20 cannot" in problem
    assert problem.count("✗") == 2 and problem.endswith("(and 4 more layers like these)")
