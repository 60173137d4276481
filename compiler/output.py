"""Writing the build atomically: everything is staged next to the output directory, then swapped in.

On any error before the swap nothing under the output directory changes. The compiler owns the
subdirectories it writes (prometheus/, runbooks/, alertmanager/) and replaces them whole, so files of deleted alerts vanish;
anything else under the output directory is left alone.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from compiler.naming import ALERTMANAGER_OUTPUT_DIR, PROMETHEUS_OUTPUT_DIR, RUNBOOK_OUTPUT_DIR

OWNED_SUBDIRECTORIES = (PROMETHEUS_OUTPUT_DIR, RUNBOOK_OUTPUT_DIR, ALERTMANAGER_OUTPUT_DIR)


def write_build(out_dir: Path, files: dict[str, bytes]) -> None:
    """Replace `out_dir`'s owned subdirectories with exactly `files` (relative path -> content)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        directories = {str(Path(relative).parent) for relative in files} | set(OWNED_SUBDIRECTORIES)
        for directory in sorted(directories):
            (staging / "new" / directory).mkdir(parents=True, exist_ok=True)
        for relative, content in sorted(files.items()):
            with open(staging / "new" / relative, "wb") as target:
                target.write(content)
        out_dir.mkdir(exist_ok=True)
        for subdirectory in OWNED_SUBDIRECTORIES:
            current = out_dir / subdirectory
            if current.exists():
                current.rename(staging / f"old-{subdirectory}")
            (staging / "new" / subdirectory).rename(current)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
