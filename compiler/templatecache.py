"""Compiled runbook templates kept between runs, in one file per runbooks directory.

Compiling jinja2 templates is most of a large compile's time (about 1.3 ms per 2 KB runbook). jinja2 can
reuse compiled templates (a BytecodeCache): each entry carries a hash of its source, so an edited runbook is
recompiled, never served stale. jinja2's own FileSystemBytecodeCache writes one file per template through
tempfile, which costs more than compiling; this cache reads one file at the start and writes one at the end,
keeping only the templates used in the run. A cache that cannot be read or written is simply empty.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path

import jinja2


class RunbookTemplateCache(jinja2.BytecodeCache):
    """A jinja2 bytecode cache backed by one marshal file (key -> jinja2's bucket bytes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stored = _read_entries(path)
        self._used: dict[str, bytes] = {}

    @classmethod
    def for_runbooks(cls, cache_dir: Path, runbooks_dir: Path) -> "RunbookTemplateCache":
        """The cache file of one runbooks directory (projects sharing a cache dir do not evict each other)."""
        digest = hashlib.sha1(str(runbooks_dir.resolve()).encode()).hexdigest()[:16]
        return cls(cache_dir / f"runbook-templates-{digest}.marshal")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill the bucket from the stored entry; jinja2 rejects it itself if the source changed."""
        data = self._stored.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)
            if bucket.code is not None:
                self._used[bucket.key] = data

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Remember a freshly compiled template (written by `save`)."""
        self._used[bucket.key] = bucket.bytecode_to_string()

    def save(self) -> None:
        """Write the templates used in this run, atomically; nothing to do when nothing changed."""
        if self._used == self._stored:
            return
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            temporary.write_bytes(marshal.dumps(self._used))
            os.replace(temporary, self.path)
        except OSError:
            temporary.unlink(missing_ok=True)


def _read_entries(path: Path) -> dict[str, bytes]:
    try:
        entries = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {key: value for key, value in entries.items() if isinstance(key, str) and isinstance(value, bytes)}
