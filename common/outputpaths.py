"""Checks on an output path before anything is written, shared by every command that writes."""

from __future__ import annotations

from pathlib import Path


def non_directory_on_path(path: Path) -> Path | None:
    """The first existing ancestor of `path` that is not a directory (writing below it would fail with a
    misleading "File exists" or "Not a directory"), or None."""
    for ancestor in reversed(path.parents):
        if ancestor.exists() and not ancestor.is_dir():
            return ancestor
    return None
