"""skimb._utils.files: the atomic write of text, bytes and streams."""

import errno
import io
import os

import pytest

from skimb._utils import files
from skimb._utils.files import atomic_write


@pytest.mark.parametrize(
    "content, expected",
    [
        ("tëxt\n", "tëxt\n".encode()),
        (b"\x00\x01bytes", b"\x00\x01bytes"),
        (io.BytesIO(b"streamed " * 10_000), b"streamed " * 10_000),
    ],
)
def test_writes_text_bytes_and_streams(tmp_path, content, expected):
    path = atomic_write(tmp_path / "out", content)

    assert path == tmp_path / "out"
    assert path.read_bytes() == expected
    assert os.listdir(tmp_path) == ["out"]


def test_writer_gets_a_temporary_path_beside_the_target(tmp_path):
    seen = []

    def writer(tmp):
        seen.append(tmp)
        with open(tmp, "w") as f:
            f.write("by writer")

    atomic_write(tmp_path / "out", writer=writer)

    assert os.path.dirname(seen[0]) == str(tmp_path)
    assert (tmp_path / "out").read_text() == "by writer"


def test_permissions_are_those_of_a_plain_open(tmp_path):
    with open(tmp_path / "plain", "w") as f:
        f.write("x")
    atomic_write(tmp_path / "atomic", b"x")

    plain = os.stat(tmp_path / "plain").st_mode & 0o777
    assert os.stat(tmp_path / "atomic").st_mode & 0o777 == plain


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out"
    target.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, io.BytesIO(b"new"))

    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out"]


def test_content_of_another_type_is_refused(tmp_path):
    with pytest.raises(TypeError, match="content must be a str, bytes or a binary"):
        atomic_write(tmp_path / "out", 3)
    assert os.listdir(tmp_path) == []


def test_failed_write_leaves_target_intact(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    target.write_text("old")

    def broken_fsync(fd):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        files.atomic_write(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["results.json"]  # no temporary left behind
    files.atomic_write(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["results.json"]
