"""Download a file once, verified by its MD5 checksum, and unpack archives safely.

A download streams into ``.<name>.part`` next to its destination and is renamed only once
its checksum matches, so an interrupted download never looks complete. The part is kept:
the next call asks the server for the rest only (an HTTP Range request) and checks the whole
file; a server that ignores the range sends it all again. When every URL fails to connect,
:class:`DownloadError` says which URLs were tried, that the machine seems offline, and where
to put the file by hand.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["DownloadError", "ChecksumError", "md5sum", "download", "extract"]

_CHUNK = 1 << 20
_USER_AGENT = "cnn-segmentation-course (python urllib)"


class DownloadError(OSError):
    """A file could not be downloaded (offline, server error)."""


class ChecksumError(DownloadError):
    """A downloaded or hand-placed file does not have the expected MD5 checksum."""


def md5sum(path) -> str:
    """The MD5 checksum of the file at ``path``, as 32 lowercase hex digits."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(urls, path, md5: str, *, progress: bool = True, timeout: float = 30.0) -> Path:
    """Make sure ``path`` holds the file with checksum ``md5``, fetching it if needed.

    An existing file with the right checksum is kept (no request is made); one with a wrong
    checksum raises :class:`ChecksumError` and is deleted. Otherwise the URLs (a str or a
    sequence of mirrors) are tried in turn; a download whose checksum differs is deleted
    and raises :class:`ChecksumError`; when no URL answers, :class:`DownloadError` explains
    how to place the file by hand. ``progress`` shows a tqdm bar in bytes.
    """
    path = Path(path)
    urls = (urls,) if isinstance(urls, str) else tuple(urls)
    if not urls or not all(isinstance(u, str) for u in urls):
        raise ValueError(f"expected urls to be a URL or a non-empty sequence of URLs, got {urls!r}")
    if not (isinstance(md5, str) and len(md5) == 32 and all(c in "0123456789abcdef" for c in md5.lower())):
        raise ValueError(f"expected md5 to be 32 hex digits, got {md5!r}")
    md5 = md5.lower()
    if path.exists():
        _verify(path, md5, f"{path} (already there)")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    failures, connected = [], False
    for url in urls:
        try:
            _fetch(url, path, md5, progress, timeout)
            return path
        except urllib.error.HTTPError as error:
            connected = True
            failures.append(f"{url}: the server answered HTTP {error.code} {error.reason}")
        except http.client.HTTPException as error:
            connected = True
            failures.append(f"{url}: {error!r}")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            failures.append(f"{url}: {getattr(error, 'reason', error)}")
    why = "" if connected else " The machine seems offline (or the server is down)."
    raise DownloadError(
        f"could not download {path.name} from " + "; ".join(failures) + f".{why} To place it by "
        f"hand, download it on a machine with internet access from {urls[0]} and copy it to {path} "
        f"(its MD5 checksum must be {md5}).")


def _fetch(url: str, path: Path, md5: str, progress: bool, timeout: float) -> None:
    """Stream ``url`` into ``.<name>.part`` beside ``path`` (after what an earlier call left
    there, when the server sends ranges), check the whole file, then rename it."""
    from tqdm.auto import tqdm

    part = path.with_name(f".{path.name}.part")
    have = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": _USER_AGENT} | ({"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
        resumed = have > 0 and response.status == 206 and \
            response.headers.get("Content-Range", "").startswith(f"bytes {have}-")
        start = have if resumed else 0
        length = int(response.headers.get("Content-Length") or 0)
        total = start + length if length else None
        digest, received = hashlib.md5(usedforsecurity=False), start
        if resumed:
            with open(part, "rb") as done:
                for chunk in iter(lambda: done.read(_CHUNK), b""):
                    digest.update(chunk)
        with open(part, "ab" if resumed else "wb") as out, tqdm(total=total, initial=start, unit="B",
                                                                unit_scale=True, unit_divisor=1024,
                                                                desc=path.name, disable=not progress) as bar:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise DownloadError(f"the download from {url} stopped after {received} of {total} bytes "
                            f"(connection lost?): run again to download the rest.")
    if digest.hexdigest() != md5:
        part.unlink()
        raise ChecksumError(f"the file downloaded from {url} has MD5 {digest.hexdigest()}, expected "
                            f"{md5}: it was deleted; the download was corrupted or the file changed "
                            f"on the server.")
    os.replace(part, path)


def _verify(path: Path, md5: str, what: str) -> None:
    got = md5sum(path)
    if got != md5:
        path.unlink()
        raise ChecksumError(f"{what} has MD5 {got}, expected {md5}: it was deleted; run again to "
                            f"download it afresh.")


def extract(archive, folder) -> Path:
    """Unpack the tar archive ``archive`` (.tar, .tar.gz) into ``folder``; return ``folder``.

    Members that would land outside ``folder`` (absolute paths, ``..``, links out) are refused.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(folder, filter="data")
        else:  # Python without extraction filters: check the names ourselves
            root = folder.resolve()
            for member in tar.getmembers():
                target = (folder / member.name).resolve()
                if root not in target.parents and target != root or member.issym() or member.islnk():
                    raise ValueError(f"expected archive members inside {folder}, got {member.name!r}")
            tar.extractall(folder)
    return folder
