"""Checks on an output path before anything is written, shared by every command that writes."""

from __future__ import annotations

import os
from pathlib import Path


def non_directory_on_path(path: Path) -> Path | None:
    """The first existing ancestor of `path` that is not a directory (writing below it would fail with a
    misleading "File exists" or "Not a directory"), or None."""
    for ancestor in reversed(path.parents):
        if ancestor.exists() and not ancestor.is_dir():
            return ancestor
    return None


def output_file_problem(path: Path) -> str | None:
    """Why a report file cannot be written at `path` (checked before any work), or None."""
    if path.is_dir():
        return "is a directory; name a file"
    blocker = non_directory_on_path(path)
    if blocker is not None:
        return f"cannot write: {blocker} exists and is not a directory"
    if path.exists() and not path.is_file():
        return "cannot write: not a regular file (a device, FIFO or socket)"
    if not path.parent.is_dir():
        return f"cannot write: directory {path.parent} does not exist"
    return None


def write_text_atomically(path: Path, text: str) -> str | None:
    """Write `text` beside `path`, then rename it over `path`: a reader sees the old file or the whole new one.

    Returns why it failed (nothing was written then), or None."""
    import tempfile  # here, not at the top: tempfile (shutil, random, lzma, bz2) is start-up that `test` rarely needs

    try:
        descriptor, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        return f"cannot write: {error.strerror or error}"
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(staging, path)
    except OSError as error:
        Path(staging).unlink(missing_ok=True)
        return f"cannot write: {error.strerror or error}"
    return None
