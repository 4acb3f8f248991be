"""course.files: an atomic write replaces the file whole, or leaves it as it was and nothing beside it."""

import os

import pytest

from course.files import atomic_open, atomic_write


def test_text_and_bytes_replace_the_file_whole_with_a_normal_files_mode(tmp_path):
    path = tmp_path / "deep" / "folder" / "record.json"
    assert atomic_write(path, "première\n") == path                 # folders made, text as UTF-8
    assert path.read_bytes() == "première\n".encode()
    atomic_write(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask            # not mkstemp's private 0600
    assert os.listdir(path.parent) == ["record.json"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, error):
    path = tmp_path / "grades.csv"
    atomic_write(path, "old")
    with pytest.raises(type(error)):
        with atomic_open(path, "w") as file:
            file.write("half of the new")
            raise error
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["grades.csv"]


def test_only_write_modes_are_accepted(tmp_path):
    with pytest.raises(ValueError, match="expected mode 'wb' or 'w', got 'a'"):
        with atomic_open(tmp_path / "x", "a"):
            pass
    assert not (tmp_path / "x").exists()
