"""Downloads over real HTTP from a local server: checksums, mirrors, interruptions, offline errors."""

import hashlib
import http.server
import socket
import tarfile
import threading
from functools import partial
from pathlib import Path

import pytest

from course.data.download import ChecksumError, DownloadError, download, extract, md5sum


class FileServer:
    """An HTTP server on 127.0.0.1 serving ``folder`` in a thread; ``requests`` lists the paths
    asked for, ``ranges`` the Range headers. A path in ``truncate`` is announced whole but only
    half of it is sent. Range requests (``bytes=N-``) get 206 and the rest, unless ``ranges_ok``
    is False (then the whole file, 200, as servers without range support answer)."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        self.ranges: list[str | None] = []
        self.truncate: set[str] = set()
        self.ranges_ok = True
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                server.ranges.append(self.headers.get("Range"))
                file = Path(folder) / self.path.lstrip("/")
                asked = self.headers.get("Range")
                if file.is_file() and (self.path in server.truncate or (asked and server.ranges_ok)):
                    body, start = file.read_bytes(), int(asked[6:-1]) if asked and server.ranges_ok else 0
                    self.send_response(206 if start else 200)
                    if start:
                        self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                    self.send_header("Content-Length", str(len(body) - start))
                    self.end_headers()
                    cut = len(body) // 2 if self.path in server.truncate else len(body)
                    self.wfile.write(body[start:max(cut, start)])
                    self.close_connection = True
                    return
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port_url(path: str) -> str:
    """A URL on 127.0.0.1 where nothing listens (the connection is refused, as offline)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"


@pytest.fixture
def served(tmp_path):
    folder = tmp_path / "server"
    folder.mkdir()
    payload = bytes(range(256)) * 5000  # 1.28 MB: more than one read chunk
    (folder / "file.bin").write_bytes(payload)
    with FileServer(folder) as server:
        yield server, payload, hashlib.md5(payload).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_keeps_the_file_and_shows_progress(served, tmp_path, capsys):
    server, payload, md5 = served
    target = tmp_path / "cache" / "file.bin"
    assert download(f"{server.url}/file.bin", target, md5) == target
    assert target.read_bytes() == payload and md5sum(target) == md5
    err = capsys.readouterr().err
    assert "file.bin" in err and "100%" in err and "1.22M" in err, err  # tqdm's bar in bytes
    assert download(f"{server.url}/file.bin", target, md5.upper(), progress=False) == target
    assert server.requests == ["/file.bin"], "a verified file must not be fetched again"


def test_a_wrong_checksum_deletes_the_download(served, tmp_path):
    server, _, md5 = served
    wrong = "0" * 32
    with pytest.raises(ChecksumError, match=f"has MD5 {md5}, expected {wrong}: it was deleted"):
        download(f"{server.url}/file.bin", tmp_path / "cache" / "file.bin", wrong, progress=False)
    assert _leftovers(tmp_path / "cache") == []


def test_a_file_placed_by_hand_is_checked_too(served, tmp_path):
    server, payload, md5 = served
    target = tmp_path / "file.bin"
    target.write_bytes(payload[:-1])
    with pytest.raises(ChecksumError, match="already there"):
        download(f"{server.url}/file.bin", target, md5, progress=False)
    assert not target.exists() and server.requests == []


def test_an_interrupted_download_looks_incomplete_and_the_next_call_fetches_only_the_rest(served, tmp_path):
    server, payload, md5 = served
    server.truncate.add("/file.bin")
    target = tmp_path / "cache" / "file.bin"
    with pytest.raises(DownloadError, match=f"stopped after {640000} of {1280000} bytes"):
        download(f"{server.url}/file.bin", target, md5, progress=False)
    assert _leftovers(tmp_path / "cache") == [".file.bin.part"] and not target.exists()
    server.truncate.clear()
    assert download(f"{server.url}/file.bin", target, md5, progress=False).read_bytes() == payload
    assert server.ranges == [None, "bytes=640000-"] and _leftovers(tmp_path / "cache") == ["file.bin"]


def test_a_server_without_ranges_sends_it_all_again_and_a_bad_part_is_not_trusted(served, tmp_path):
    server, payload, md5 = served
    target = tmp_path / "cache" / "file.bin"
    target.parent.mkdir()
    target.with_name(".file.bin.part").write_bytes(payload[:1000])
    server.ranges_ok = False
    assert download(f"{server.url}/file.bin", target, md5, progress=False).read_bytes() == payload
    server.ranges_ok = True
    target.unlink()
    target.with_name(".file.bin.part").write_bytes(b"x" * 1000)  # a part that is not the file's start
    with pytest.raises(ChecksumError, match="it was deleted"):
        download(f"{server.url}/file.bin", target, md5, progress=False)
    assert _leftovers(tmp_path / "cache") == []  # the next call starts from scratch
    assert download(f"{server.url}/file.bin", target, md5, progress=False).read_bytes() == payload


def test_mirrors_are_tried_in_turn(served, tmp_path):
    server, payload, md5 = served
    target = tmp_path / "file.bin"
    download([f"{server.url}/missing.bin", f"{server.url}/file.bin"], target, md5, progress=False)
    assert target.read_bytes() == payload and server.requests == ["/missing.bin", "/file.bin"]


def test_a_server_error_is_not_called_offline(served, tmp_path):
    server, _, md5 = served
    with pytest.raises(DownloadError) as error:
        download(f"{server.url}/missing.bin", tmp_path / "file.bin", md5, progress=False)
    message = str(error.value)
    assert f"{server.url}/missing.bin: the server answered HTTP 404" in message
    assert "offline" not in message


def test_offline_says_which_url_failed_and_how_to_place_the_file(tmp_path):
    url = closed_port_url("data/file.bin")
    target = tmp_path / "cache" / "file.bin"
    with pytest.raises(DownloadError) as error:
        download(url, target, "0" * 32, progress=False)
    message = str(error.value)
    assert message.startswith(f"could not download file.bin from {url}: ")
    assert "The machine seems offline" in message
    assert f"download it on a machine with internet access from {url} and copy it to {target}" in message
    assert _leftovers(tmp_path / "cache") == []


@pytest.mark.parametrize("urls, md5, message", [
    ((), "0" * 32, "expected urls to be a URL or a non-empty sequence of URLs, got ()"),
    ("http://x/y", "abc", "expected md5 to be 32 hex digits, got 'abc'"),
])
def test_bad_arguments(tmp_path, urls, md5, message):
    with pytest.raises(ValueError) as error:
        download(urls, tmp_path / "f", md5)
    assert str(error.value) == message


def test_extract_unpacks_and_refuses_members_outside_the_folder(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("hello")
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tar:
        tar.add(source, arcname="inner/a.txt")
    assert (extract(good, tmp_path / "out") / "inner" / "a.txt").read_text() == "hello"
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(source, arcname="../escaped.txt")
    with pytest.raises((tarfile.TarError, ValueError)):
        extract(evil, tmp_path / "out2")
    assert not (tmp_path / "escaped.txt").exists()
