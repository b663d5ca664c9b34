"""Atomic file writes: a reader sees the old file or the new one, never half."""

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, content=None, *, writer=None):
    """Write ``content`` (text) or call ``writer(tmp_path)`` and rename into ``path``.

    The temporary file lives beside ``path`` so that the rename is atomic; it
    gets the permissions a plain ``open`` would (``mkstemp`` makes 0600 files)
    and is removed if anything fails.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent if str(path.parent) else ".",
        prefix=f".{path.name}.",
        suffix=".tmp",
    )
    try:
        if writer is None:
            with os.fdopen(fd, "w") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
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
