"""Device settings: the selection logic (CUDA mocked), and the code paths that run on a CPU."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from course.train import settings as settings_module
from course.train.engine import train_step
from course.train.losses import make_loss
from course.train.settings import Settings, choose_settings


# GPUs as torch reports them: name, compute capability, memory. Each says is_bf16_supported() True, as
# a T4 does (its default counts emulated bf16): the choice must follow the capability, not that call.
GPUS = {
    "Tesla T4": ((7, 5), 15 * 2**30, "float16", True),
    "Tesla V100-SXM2-16GB": ((7, 0), 16 * 2**30, "float16", True),
    "NVIDIA L4": ((8, 9), 22 * 2**30, "bfloat16", False),
    "NVIDIA A100-SXM4-40GB": ((8, 0), 40 * 2**30, "bfloat16", False),
    "NVIDIA H200": ((9, 0), 141 * 2**30, "bfloat16", False),
    "Tesla P100-PCIE-16GB": ((6, 0), 16 * 2**30, None, False),
    "Tesla K80": ((3, 7), 12 * 2**30, None, False),
}


def simulate_gpu(monkeypatch, name):
    (major, minor), memory, _, _ = GPUS[name]
    props = SimpleNamespace(name=name, major=major, minor=minor, total_memory=memory, multi_processor_count=40)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: props)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (major, minor))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)


@pytest.mark.parametrize("gpu", list(GPUS))
def test_each_gpu_gets_the_precision_of_its_tensor_cores(monkeypatch, gpu):
    simulate_gpu(monkeypatch, gpu)
    _, _, amp, scaler = GPUS[gpu]
    for device in ("auto", "cuda"):
        s = choose_settings(device)
        assert (s.device, s.amp_dtype, s.grad_scaler) == ("cuda", amp, scaler), gpu
        assert s.channels_last and s.cudnn_benchmark and s.pin_memory and s.threads is None
    assert choose_settings("cpu").device == "cpu"


def test_a_precision_override_runs_the_t4s_path_anywhere(monkeypatch):
    simulate_gpu(monkeypatch, "NVIDIA H200")
    assert (choose_settings("cuda", "fp16").amp_dtype, choose_settings("cuda", "fp16").grad_scaler) == ("float16", True)
    assert choose_settings("cuda", "fp32").amp_dtype is None and choose_settings("cuda", "bf16").amp_dtype == "bfloat16"
    assert choose_settings("cuda", "auto").describe() == "cuda: bf16 autocast, channels_last, cudnn.benchmark, pinned memory"
    with pytest.raises(ValueError, match=r"expected precision to be one of \['auto', 'bf16', 'fp16', 'fp32'\], got 'int8'"):
        choose_settings("cuda", "int8")


def test_cpu_settings_follow_native_bf16_support(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for native in (True, False):
        monkeypatch.setattr(settings_module, "_cpu_has_native_bf16", lambda native=native: native)
        s = choose_settings("auto")
        assert s.device == "cpu" and s.amp_dtype == ("bfloat16" if native else None)
        assert not (s.grad_scaler or s.cudnn_benchmark or s.pin_memory) and s.channels_last
    with pytest.raises(ValueError, match=r"expected a CUDA GPU for device 'cuda', got none"):
        choose_settings("cuda")
    with pytest.raises(ValueError, match=r"expected device to be one of \['auto', 'cpu', 'cuda'\], got 'tpu'"):
        choose_settings("tpu")


def test_settings_reject_inconsistent_choices():
    with pytest.raises(ValueError, match="expected grad_scaler only with amp_dtype 'float16', got amp_dtype None"):
        Settings("cpu", grad_scaler=True)
    with pytest.raises(ValueError, match="expected amp_dtype to be one of"):
        Settings("cpu", amp_dtype="float8")
    with pytest.raises(ValueError, match="expected threads to be an int >= 1 or None, got 0"):
        Settings("cpu", threads=0)
    assert Settings("cuda", "float16", True, True, True, True).describe() == \
        "cuda: fp16 autocast + GradScaler, channels_last, cudnn.benchmark, pinned memory"
    assert Settings("cpu", threads=1).describe() == "cpu: fp32, NCHW, 1 thread"


def test_active_applies_threads_and_restores_them():
    before = torch.get_num_threads()
    with Settings("cpu", threads=1).active():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 3, 1))


def _batch():
    g = torch.Generator().manual_seed(1)
    return torch.rand(4, 3, 8, 8, generator=g), torch.randint(0, 3, (4, 8, 8), generator=g)


def _step(settings, model):
    x, y = _batch()
    model = model.to(memory_format=settings.memory_format)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = train_step(model, x.contiguous(memory_format=settings.memory_format), y, make_loss("ce"), opt,
                      settings.grad_scaler_for_run(), settings.torch_amp_dtype)
    return loss, model


def test_train_step_with_a_disabled_scaler_is_a_plain_step():
    loss, model = _step(Settings("cpu"), _net())
    reference = _net()
    x, y = _batch()
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    plain = nn.functional.cross_entropy(reference(x), y)
    plain.backward()
    opt.step()
    assert loss.item() == pytest.approx(plain.item())
    for a, b in zip(model.state_dict().values(), reference.state_dict().values()):
        assert torch.equal(a, b)


def test_channels_last_and_bf16_autocast_on_the_cpu_give_nearly_the_same_step():
    reference = _step(Settings("cpu"), _net())[1].state_dict()
    loss, model = _step(Settings("cpu", channels_last=True), _net())
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    for a, b in zip(model.state_dict().values(), reference.values()):
        assert torch.allclose(a, b, atol=1e-5)
    settings = Settings("cpu", amp_dtype="bfloat16")
    with settings.autocast():
        assert _net()(_batch()[0]).dtype == torch.bfloat16   # autocast really runs the convolutions in bf16
    loss, model = _step(settings, _net())
    assert loss.dtype == torch.float32                       # the loss itself stays fp32
    diffs = [(a.float() - b.float()).abs().max().item()
             for a, b in zip(model.state_dict().values(), reference.values())]
    assert 0 < max(diffs) < 0.05                             # bf16 rounding: close, not equal


def test_the_fp16_gradient_scaler_path_unscales_before_stepping_and_skips_overflows():
    settings = Settings("cpu", amp_dtype="float16", grad_scaler=True)  # the T4's path, run on the CPU
    reference = _step(Settings("cpu"), _net())[1].state_dict()
    loss, model = _step(settings, _net())
    for a, b in zip(model.state_dict().values(), reference.values()):
        assert torch.allclose(a.float(), b.float(), atol=0.02)         # gradients were unscaled (x 65536 otherwise)
    model, x, y = _net(), *_batch()
    before = [p.detach().clone() for p in model.parameters()]
    scaler = settings.grad_scaler_for_run()
    assert scaler.get_scale() == 65536.0
    overflow = lambda scores, target: make_loss("ce")(scores, target) * float("inf")  # noqa: E731
    train_step(model, x, y, overflow, torch.optim.SGD(model.parameters(), lr=0.1), scaler, settings.torch_amp_dtype)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), before))  # the step was skipped
    assert scaler.get_scale() == 32768.0                                         # and the scale halved
