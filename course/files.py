"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The data go to a temporary file in the destination's folder, are flushed and fsynced, and the
file is renamed over the destination in one step. If writing fails or is interrupted the
temporary file is deleted and the destination is left as it was. (A download's resumable
``.part`` file is the one deliberate exception: see ``course.data.download``.)
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb"):
    """A file opened for writing whose content replaces ``path`` when the ``with`` block ends
    without an error; on any error (Ctrl-C included) ``path`` is untouched and nothing is left."""
    if mode not in ("wb", "w"):
        raise ValueError(f"expected mode 'wb' or 'w', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp made it private; give it a normal file's mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically; returns the path."""
    with atomic_open(path, "w" if isinstance(data, str) else "wb") as file:
        file.write(data)
    return Path(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
