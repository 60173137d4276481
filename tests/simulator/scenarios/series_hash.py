"""A bit-exact fingerprint of generated series: labels, timestamps and values (NaN payloads too)."""

from __future__ import annotations

import hashlib

import numpy as np


def series_hash(series) -> str:
    """sha256 over every series in order: its labels, then its int64 timestamps and float64 bits."""
    digest = hashlib.sha256()
    for s in series:
        digest.update(repr(tuple(s.labels)).encode())
        digest.update(np.ascontiguousarray(s.t_ms, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(s.values, dtype=np.float64).view(np.uint64).tobytes())
    return digest.hexdigest()
