"""allocator: glibc's thresholds are raised once; results never depend on it."""

import sys

import pytest

from simulator.promql import allocator


def test_glibc_accepts_the_thresholds_and_a_second_call_is_free(monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.fail("the evaluator is benchmarked on Linux/glibc; this test checks the tuning there")
    assert allocator.keep_freed_memory_for_reuse() is True
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda *args: (_ for _ in ()).throw(AssertionError("reloaded")))
    assert allocator.keep_freed_memory_for_reuse() is True


def test_without_a_usable_libc_nothing_is_tuned(monkeypatch):
    def missing(*args):
        raise OSError("no libc")

    monkeypatch.setattr(allocator, "_tuned", False)
    monkeypatch.setattr(allocator.ctypes, "CDLL", missing)
    assert allocator.keep_freed_memory_for_reuse() is False
