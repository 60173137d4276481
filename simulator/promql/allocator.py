"""Keep freed memory for reuse: the evaluator allocates many same-sized temporaries.

Range functions run over blocks of about 32k (series x step) cells, so most temporaries are
256 KB arrays, created and freed thousands of times per expression. glibc's malloc serves
blocks of that size with fresh mmap() calls (or trims them off the heap top) by default, so
each temporary costs page faults and zeroing by the kernel: measured on this machine, a
48-hour stddev_over_time window ran 1.8x slower for it (10 s instead of 5.5 s), and one
np.where + gather pass 3.7x slower. Raising the mmap and trim thresholds lets the heap keep and
reuse those blocks. Arrays above MMAP_THRESHOLD_BYTES (whole-grid results) are still mapped
and returned to the system when freed, so peak memory is unchanged.

Only glibc has these knobs (mallopt); elsewhere this does nothing. Results never depend on it.

The knobs are process-wide, so a library must not turn them on by itself: a program that owns its
process (the alertkit command line, the benchmarks) opts in with `allow_malloc_tuning()`; the
evaluator then applies them at its first range selector. Without the opt-in nothing is changed.
"""

from __future__ import annotations

import ctypes
import sys

# mallopt parameter numbers from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

# Allocations above this size are mapped (and unmapped when freed); glibc allows up to 32 MB.
MMAP_THRESHOLD_BYTES = 8 << 20
# Free memory at the top of the heap beyond this is returned to the system.
TRIM_THRESHOLD_BYTES = 32 << 20
# Extra heap grown at each sbrk, so a run of same-sized allocations does not grow it each time.
TOP_PAD_BYTES = 1 << 20

_allowed = False
_tuned = False


def allow_malloc_tuning() -> None:
    """Let the evaluator raise glibc's malloc thresholds for this whole process (opt-in; see above)."""
    global _allowed
    _allowed = True


def keep_freed_memory_for_reuse() -> bool:
    """Set the thresholds once per process, if the program opted in; True when glibc accepted them."""
    global _tuned
    if _tuned:
        return True
    if not _allowed:
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The process's own symbols include libc's (ctypes.util.find_library would run ldconfig).
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    settings = (
        (_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
        (_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
        (_M_TOP_PAD, TOP_PAD_BYTES),
    )
    _tuned = all(mallopt(parameter, value) == 1 for parameter, value in settings)
    return _tuned
