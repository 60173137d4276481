"""Installing rule files into the directory Prometheus reads, so that it never sees a half-written file, and
putting the old ones back.

Each file is written to a temporary file in the same directory and renamed over its target (rename is atomic
on POSIX), so a concurrent reload sees either the old or the new text. Prometheus reads the directory only when
reloaded; the install is complete before the deploy asks it to. The old texts are kept in memory, so a rollback
restores exactly what was there (and removes what was not).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import OutputError

# Rule-file suffixes a rules directory is globbed with (docs/deploy.md): those a deploy manages.
RULE_FILE_SUFFIXES = (".yml", ".yaml")


@dataclass
class Installed:
    """What an install changed: file name -> the old content (None: the file did not exist)."""

    directory: Path
    previous: dict[str, bytes | None] = field(default_factory=dict)


def install(directory: Path, files: dict[str, bytes], remove: list[str]) -> Installed:
    """Write `files` (name -> content) into `directory` and remove the files named in `remove`.

    On an OS error, whatever was already changed is put back and OutputError is raised.
    """
    if not directory.is_dir():
        raise OutputError(f"--rules-dir {directory}: no such directory")
    installed = Installed(directory)
    try:
        for name in sorted(files):
            _remember(installed, name)
            write_atomically(directory / name, files[name])
        for name in sorted(remove):
            _remember(installed, name)
            (directory / name).unlink()
    except OSError as error:
        restore(installed)
        raise OutputError(
            f"--rules-dir {directory}: cannot install the rule files: {error.strerror or error}; nothing was changed"
        ) from None
    return installed


def restore(installed: Installed) -> None:
    """Put back every file an install changed."""
    for name, content in installed.previous.items():
        path = installed.directory / name
        if content is None:
            path.unlink(missing_ok=True)
        else:
            write_atomically(path, content)


def write_atomically(path: Path, content: bytes) -> None:
    """Write a temporary file beside `path`, then rename it over `path`."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)  # Prometheus may run as another user: rule files are world-readable
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _remember(installed: Installed, name: str) -> None:
    if name in installed.previous:
        return
    path = installed.directory / name
    installed.previous[name] = path.read_bytes() if path.is_file() else None
