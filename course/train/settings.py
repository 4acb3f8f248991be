"""How a training run uses its device: mixed precision, memory format, threads, autotuning.

:func:`choose_settings` picks them from what the machine offers:

* CUDA: the precision by the compute capability that torch reports for the GPU
  (:data:`PRECISION_BY_CAPABILITY`): bf16 autocast from 8.0 on (Ampere and later: A100, L4,
  H100: bf16 tensor cores), fp16 autocast with a gradient scaler on 7.x (Volta, Turing: V100,
  Colab's T4: fp16 tensor cores only), fp32 below (no tensor cores). Not
  ``torch.cuda.is_bf16_supported()``: it also counts bf16 that is only emulated (a T4 says
  True). Channels-last memory for the model and its inputs (tensor cores want NHWC); cuDNN
  autotuning (the input size is fixed); pinned host memory for the one copy of the dataset to
  the GPU.
* CPU: bf16 autocast where oneDNN runs bf16 natively (AVX512-BF16 or AMX), else fp32;
  channels-last; one thread on a machine of at most 2 cores. Measured on the course's 2-core
  CI machine (AMD EPYC with AVX512-BF16; the embedded dataset's U-Net, batch 32 of 64 x 64; training
  steps, 1 thread, medians): NCHW fp32 65, channels-last fp32 104, NCHW bf16 139,
  channels-last bf16 178 images/s. Two threads reached up to 1.9x one thread in quiet
  moments but a median 5x slower while other processes ran (OpenMP threads wait for each
  other), so one thread is the safe choice on a small shared machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import torch

__all__ = ["Settings", "choose_settings", "DEVICES"]

DEVICES = ("auto", "cpu", "cuda")
AMP_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}
PRECISIONS = {"auto": None, "bf16": ("bfloat16", False), "fp16": ("float16", True), "fp32": (None, False)}
# lowest compute capability -> (autocast dtype, gradient scaler), highest first
PRECISION_BY_CAPABILITY = (((8, 0), PRECISIONS["bf16"]), ((7, 0), PRECISIONS["fp16"]), ((0, 0), PRECISIONS["fp32"]))


@dataclass(frozen=True)
class Settings:
    """Device settings of a training run (all plain values, so they go into JSON as they are).

    ``amp_dtype``: "float16", "bfloat16" or None (fp32); ``grad_scaler``: scale the loss (fp16);
    ``threads``: CPU threads for the run, None to leave PyTorch's choice.
    """

    device: str = "cpu"
    amp_dtype: str | None = None
    grad_scaler: bool = False
    channels_last: bool = False
    cudnn_benchmark: bool = False
    pin_memory: bool = False
    threads: int | None = None

    def __post_init__(self):
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"expected device to be 'cpu' or 'cuda', got {self.device!r}")
        if self.amp_dtype is not None and self.amp_dtype not in AMP_DTYPES:
            raise ValueError(f"expected amp_dtype to be one of {list(AMP_DTYPES)} or None, got {self.amp_dtype!r}")
        if self.grad_scaler and self.amp_dtype != "float16":
            raise ValueError(f"expected grad_scaler only with amp_dtype 'float16', got amp_dtype {self.amp_dtype!r}")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise ValueError(f"expected threads to be an int >= 1 or None, got {self.threads!r}")

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.device)

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    @property
    def torch_amp_dtype(self) -> torch.dtype | None:
        """The autocast dtype as a torch dtype (None in fp32)."""
        return AMP_DTYPES[self.amp_dtype] if self.amp_dtype is not None else None

    def autocast(self) -> contextlib.AbstractContextManager:
        """The autocast context of the forward pass (a no-op in fp32)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device, dtype=AMP_DTYPES[self.amp_dtype])

    def grad_scaler_for_run(self) -> torch.amp.GradScaler:
        """A GradScaler, enabled only when ``grad_scaler`` (with enabled=False it passes through)."""
        return torch.amp.GradScaler(self.device, enabled=self.grad_scaler)

    def to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` on the device, through pinned memory when ``pin_memory`` (an async copy)."""
        if self.pin_memory and tensor.device.type == "cpu":
            return tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor.to(self.device)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Apply the process-wide switches (threads, cuDNN autotuning) and restore them after."""
        threads, benchmark = torch.get_num_threads(), torch.backends.cudnn.benchmark
        try:
            if self.threads is not None:
                torch.set_num_threads(self.threads)
            torch.backends.cudnn.benchmark = self.cudnn_benchmark
            yield
        finally:
            torch.set_num_threads(threads)
            torch.backends.cudnn.benchmark = benchmark

    @property
    def precision(self) -> str:
        """"fp32", "fp16" or "bf16"."""
        return next(name for name, choice in PRECISIONS.items() if choice and choice[0] == self.amp_dtype)

    def describe(self) -> str:
        """One line for the start of a run, e.g. ``cuda: fp16 autocast + GradScaler, channels_last, ...``."""
        precision = self.precision + (" autocast" if self.amp_dtype else "")
        parts = [precision + (" + GradScaler" if self.grad_scaler else ""),
                 "channels_last" if self.channels_last else "NCHW"]
        if self.cudnn_benchmark:
            parts.append("cudnn.benchmark")
        if self.pin_memory:
            parts.append("pinned memory")
        if self.threads is not None:
            parts.append(f"{self.threads} thread{'s' if self.threads > 1 else ''}")
        return f"{self.device}: " + ", ".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)


def choose_settings(device: str = "auto", precision: str = "auto") -> Settings:
    """The fastest settings for ``device`` ("auto": CUDA when available, else the CPU).

    ``precision`` ("auto", "bf16", "fp16" with a gradient scaler, "fp32") overrides the choice,
    e.g. to measure a T4's fp16 path on another GPU.
    """
    if device not in DEVICES:
        raise ValueError(f"expected device to be one of {list(DEVICES)}, got {device!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"expected precision to be one of {list(PRECISIONS)}, got {precision!r}")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("expected a CUDA GPU for device 'cuda', got none (torch.cuda.is_available() is False)")
        amp, scaler = PRECISIONS[precision] or cuda_precision()
        return Settings("cuda", amp_dtype=amp, grad_scaler=scaler, channels_last=True, cudnn_benchmark=True,
                        pin_memory=True)
    amp, scaler = PRECISIONS[precision] or (("bfloat16" if _cpu_has_native_bf16() else None), False)
    return Settings("cpu", amp_dtype=amp, grad_scaler=scaler, channels_last=True, threads=_cpu_threads())


def cuda_precision() -> tuple[str | None, bool]:
    """(autocast dtype, gradient scaler) for the current GPU, by the compute capability that
    torch reports for it (:data:`PRECISION_BY_CAPABILITY`)."""
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    return next(choice for lowest, choice in PRECISION_BY_CAPABILITY if (props.major, props.minor) >= lowest)


def _cpu_has_native_bf16() -> bool:
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _cpu_threads() -> int | None:
    """1 on a machine with few cores (measured fastest for the course's small networks), else
    PyTorch's default."""
    return 1 if torch.get_num_threads() <= 2 else None
