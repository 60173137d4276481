"""Writing the build atomically: everything is staged next to the output directory, then swapped in.

On any error nothing under the output directory changes: a failed swap is rolled back. The compiler owns the
subdirectories it writes (prometheus/, runbooks/, alertmanager/) and replaces them whole, so files of deleted alerts vanish;
anything else under the output directory is left alone.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from common.errors import OutputError
from common.outputpaths import non_directory_on_path
from compiler.naming import ALERTMANAGER_OUTPUT_DIR, PROMETHEUS_OUTPUT_DIR, RUNBOOK_OUTPUT_DIR

OWNED_SUBDIRECTORIES = (PROMETHEUS_OUTPUT_DIR, RUNBOOK_OUTPUT_DIR, ALERTMANAGER_OUTPUT_DIR)


def write_build(out_dir: Path, files: dict[str, bytes]) -> None:
    """Replace `out_dir`'s owned subdirectories with exactly `files` (relative path -> content).

    All or nothing: if any step fails, the old subdirectories are put back and OutputError is raised.
    """
    blocker = non_directory_on_path(out_dir / "build")  # out_dir itself must be a directory too
    if blocker is not None:
        raise OutputError(f"{out_dir}: cannot write the build: {blocker} exists and is not a directory")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot write the build: {_reason(error)}") from None
    try:
        _stage(staging / "new", files)
        out_dir.mkdir(exist_ok=True)
        _swap(out_dir, staging)
    except OSError as error:
        raise OutputError(
            f"{out_dir}: cannot write the build: {_reason(error)}; nothing under it was changed"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage(new: Path, files: dict[str, bytes]) -> None:
    directories = {str(Path(relative).parent) for relative in files} | set(OWNED_SUBDIRECTORIES)
    for directory in sorted(directories):
        (new / directory).mkdir(parents=True, exist_ok=True)
    for relative, content in sorted(files.items()):
        with open(new / relative, "wb") as target:
            target.write(content)


def _swap(out_dir: Path, staging: Path) -> None:
    """Move the old owned subdirectories aside, then the new ones in; undo every move on failure."""
    moves: list[tuple[Path, Path]] = []  # (source, destination), in the order done
    try:
        for subdirectory in OWNED_SUBDIRECTORIES:
            current = out_dir / subdirectory
            if current.exists() or current.is_symlink():
                _move(current, staging / f"old-{subdirectory}", moves)
        for subdirectory in OWNED_SUBDIRECTORIES:
            _move(staging / "new" / subdirectory, out_dir / subdirectory, moves)
    except OSError:
        for source, destination in reversed(moves):
            destination.rename(source)
        raise


def _move(source: Path, destination: Path, moves: list[tuple[Path, Path]]) -> None:
    source.rename(destination)
    moves.append((source, destination))


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
