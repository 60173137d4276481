"""allocator: glibc's thresholds are raised once; results never depend on it."""

import sys

import pytest

from simulator.promql import allocator


def test_glibc_accepts_the_thresholds_and_a_second_call_is_free(monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.fail("the evaluator is benchmarked on Linux/glibc; this test checks the tuning there")
    monkeypatch.setattr(allocator, "_allowed", True)
    assert allocator.keep_freed_memory_for_reuse() is True
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda *args: (_ for _ in ()).throw(AssertionError("reloaded")))
    assert allocator.keep_freed_memory_for_reuse() is True


def test_without_a_usable_libc_nothing_is_tuned(monkeypatch):
    def missing(*args):
        raise OSError("no libc")

    monkeypatch.setattr(allocator, "_allowed", True)
    monkeypatch.setattr(allocator, "_tuned", False)
    monkeypatch.setattr(allocator.ctypes, "CDLL", missing)
    assert allocator.keep_freed_memory_for_reuse() is False


def test_without_the_opt_in_the_library_changes_nothing(monkeypatch):
    def must_not_load(*args):
        raise AssertionError("libc loaded without the opt-in")

    monkeypatch.setattr(allocator, "_allowed", False)
    monkeypatch.setattr(allocator, "_tuned", False)
    monkeypatch.setattr(allocator.ctypes, "CDLL", must_not_load)
    assert allocator.keep_freed_memory_for_reuse() is False


def test_importing_the_evaluator_does_not_opt_in():
    """Importing the evaluator and the test runner (as a library user would) leaves malloc alone."""
    import subprocess

    code = (
        "from simulator.promql import allocator\n"
        "from simulator.promtool.runner import run_test_file\n"
        "assert not allocator._allowed and not allocator._tuned\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
