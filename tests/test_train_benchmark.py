"""benchmarks/training.py compares like with like and counts FLOPs right."""

import importlib.util
from pathlib import Path

import torch

from course.models import UNet

_spec = importlib.util.spec_from_file_location("training_benchmark",
                                               Path(__file__).resolve().parent.parent / "benchmarks" / "training.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_the_reference_unet_has_the_course_unets_widths_parameters_and_output():
    ref, course = bench.RefUNet(), UNet(3, bench.CLASSES, base_channels=bench.BASE, depth=bench.DEPTH)
    assert sum(p.numel() for p in ref.parameters()) == sum(p.numel() for p in course.parameters())
    assert ref(torch.rand(2, 3, 64, 64)).shape == course(torch.rand(2, 3, 64, 64)).shape == (2, bench.CLASSES, 64, 64)


def test_forward_flops_match_a_count_by_hand():
    def conv(cin, cout, pixels, k=3):
        return 2 * cin * cout * k * k * pixels

    a, b, c = 64 * 64, 32 * 32, 16 * 16
    expected = (conv(3, 16, a) + conv(16, 16, a) + conv(16, 32, b) + conv(32, 32, b) + conv(32, 64, c)
                + conv(64, 64, c)
                + 2 * 64 * c * 32 * 4 + conv(64, 32, b) + conv(32, 32, b)      # up: 2x2 transposed conv, then convs
                + 2 * 32 * b * 16 * 4 + conv(32, 16, a) + conv(16, 16, a)
                + conv(16, 5, a, k=1))
    for model in (bench.RefUNet(), UNet(3, 5, base_channels=16, depth=2)):
        assert bench.forward_flops(model, torch.rand(3, 3, 64, 64)) == expected
