"""Writing the report directory atomically: staged beside it, then swapped in by a rename.

The report owns its directory and replaces it whole (a plot of a deleted scenario vanishes), so it only ever
replaces an empty directory or an earlier report (an index.html with the report's generator tag); anything
else is refused before a scenario is simulated. On any error the directory is left as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from common.errors import OutputError
from common.outputpaths import non_directory_on_path

from .build import INDEX_FILE

GENERATOR_TAG = b'<meta name="generator" content="alertkit report">'
_HEAD_BYTES = 1024  # the tag is in the page's first lines


def check_report_dir(out_dir: Path) -> None:
    """Raise OutputError when `out_dir` cannot take a report; call it before the work starts."""
    blocker = non_directory_on_path(out_dir / INDEX_FILE)
    if blocker is not None:
        raise OutputError(f"{out_dir}: cannot write the report: {blocker} exists and is not a directory")
    if out_dir.is_symlink():
        raise OutputError(f"{out_dir}: cannot write the report: a symbolic link (name the directory itself)")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not _is_report(out_dir):
        raise OutputError(
            f"{out_dir}: cannot write the report: the directory holds files that are not an alertkit report "
            "(the report replaces its directory whole); name a new or empty directory"
        )
    _probe_writable(out_dir)


def _probe_writable(out_dir: Path) -> None:
    """Make and remove a directory where the staging directory will go (the nearest existing ancestor), so an
    unwritable place is reported before the work, not after it. Permission bits alone do not tell (root, or a
    read-only file system)."""
    existing = next(p for p in [out_dir.parent, *out_dir.parent.parents] if p.exists())
    try:
        Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.probe-", dir=existing)).rmdir()
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot write the report: {existing}: {_reason(error)}") from None


def _is_report(directory: Path) -> bool:
    try:
        with open(directory / INDEX_FILE, "rb") as page:
            return GENERATOR_TAG in page.read(_HEAD_BYTES)
    except OSError:
        return False


def write_report(out_dir: Path, files: dict[str, bytes]) -> None:
    """Replace `out_dir` with exactly `files` (relative path -> bytes); all or nothing."""
    check_report_dir(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot write the report: {_reason(error)}") from None
    try:
        new = staging / "new"
        for relative, content in files.items():
            (new / relative).parent.mkdir(parents=True, exist_ok=True)
            (new / relative).write_bytes(content)
        _swap(new, out_dir, staging / "old")
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot write the report: {_reason(error)}; nothing was changed") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(new: Path, out_dir: Path, old: Path) -> None:
    """Move the old report aside, the new one in; put the old one back if that fails."""
    had_old = out_dir.exists()
    if had_old:
        out_dir.rename(old)
    try:
        new.rename(out_dir)
    except OSError:
        if had_old:
            old.rename(out_dir)
        raise


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
