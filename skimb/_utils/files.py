"""Atomic file writes: a reader sees the old file or the new one, never half."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(fd, content):
    # str is written as text, bytes as they are, a binary file object is
    # streamed (a decompressed archive need not fit in memory).
    if isinstance(content, str):
        mode = "w"
    elif isinstance(content, bytes | bytearray | memoryview) or hasattr(
        content, "read"
    ):
        mode = "wb"
    else:
        os.close(fd)
        raise TypeError(
            "content must be a str, bytes or a binary file object (or pass "
            f"writer=); got {type(content).__name__}."
        )
    with os.fdopen(fd, mode) as f:
        if hasattr(content, "read"):
            shutil.copyfileobj(content, f)
        else:
            f.write(content)
        f.flush()
        os.fsync(f.fileno())


def atomic_write(path, content=None, *, writer=None):
    """Write ``content`` or call ``writer(tmp_path)`` and rename into ``path``.

    ``content`` is a str (written as text), bytes, or a binary file object
    whose remaining bytes are streamed. The temporary file lives beside
    ``path`` so that the rename is atomic; it gets the permissions a plain
    ``open`` would (``mkstemp`` makes 0600 files) and is removed if anything
    fails.

    Examples
    --------
    >>> import io, os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = atomic_write(os.path.join(folder, "a.bin"), io.BytesIO(b"ab"))
    ...     path.read_bytes(), os.listdir(folder)
    (b'ab', ['a.bin'])
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent if str(path.parent) else ".",
        prefix=f".{path.name}.",
        suffix=".tmp",
    )
    try:
        if writer is None:
            _write(fd, content)
        else:
            os.close(fd)
            writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
