"""Input sizes a U-Net or encoder-decoder can take, and a clear error for the others.

With ``padding="same"`` every 3x3 convolution keeps the size, so the only condition is that
each of the ``depth`` 2x2 poolings halves an even size: H and W divisible by ``2**depth``.
With ``padding="valid"`` (the paper) each double convolution removes 4 pixels, so going down
``s -> (s - 4) / 2`` must stay even and positive at every level, and the output is smaller
than the input: 572 -> 388 for depth 4, as in the paper's Figure 1. Unrolled, the sizes
that work are ``2**depth * m + 4 * (2**depth - 1)`` for m large enough that every level keeps
some pixels (188, 204, ..., 572 at depth 4).
"""

from __future__ import annotations

from ..arguments import check_choice, check_int

__all__ = ["unet_output_size", "valid_input_sizes", "check_input_size", "PADDINGS"]

PADDINGS = ("same", "valid")


def unet_output_size(size: int, depth: int, padding: str = "valid") -> int | None:
    """Output length of a U-Net for an input of length ``size``, or None if it cannot take it.

    Valid padding: each level removes 4 (two 3x3 convolutions), then pools an even length;
    the bottom removes 4; each way up doubles, then removes 4.
    """
    check_int("size", size, 1)
    check_int("depth", depth, 0)
    check_choice("padding", padding, PADDINGS)
    if padding == "same":
        return size if size % 2 ** depth == 0 else None
    for _ in range(depth):
        size -= 4
        if size <= 0 or size % 2:
            return None
        size //= 2
    size -= 4
    if size <= 0:
        return None
    for _ in range(depth):
        size = 2 * size - 4
        if size <= 0:
            return None
    return size


def valid_input_sizes(depth: int, padding: str = "valid", low: int = 1, high: int = 1024) -> list[int]:
    """Every input length in [low, high] that a U-Net of this depth and padding can take."""
    return [s for s in range(max(low, 1), high + 1) if unet_output_size(s, depth, padding) is not None]


def check_input_size(shape: tuple[int, ...], depth: int, padding: str, what: str = "U-Net") -> None:
    """Raise ValueError naming the nearest sizes that work if (H, W) of ``shape`` do not."""
    for axis, size in zip(("height", "width"), shape[-2:]):
        if unet_output_size(size, depth, padding) is None:
            raise ValueError(f"a {what} of depth {depth} with {padding} padding cannot take input {axis} "
                             f"{size} (input shape {tuple(shape)}): {_rule(depth, padding)}; "
                             f"nearest sizes that work: {_nearest(size, depth, padding)}")


def _rule(depth: int, padding: str) -> str:
    if padding == "same":
        return f"expected a multiple of 2**depth = {2 ** depth}"
    step, offset = 2 ** depth, 4 * (2 ** depth - 1)
    first = valid_input_sizes(depth, padding, 1, 16 * step + offset)[:2]
    return (f"expected {step} m + {offset} for a large enough m ({first[0]}, {first[1]}, ...), so that every "
            f"pooling halves an even size (s -> (s - 4) / 2) and every level keeps some pixels")


def _nearest(size: int, depth: int, padding: str) -> str:
    below = valid_input_sizes(depth, padding, max(1, size - 4 * 2 ** depth), size)
    above = valid_input_sizes(depth, padding, size, size + 4 * 2 ** depth + 32)
    picks = ([below[-1]] if below else []) + ([above[0]] if above else [])
    return " or ".join(str(s) for s in picks) or "none nearby"

