"""The exam: every peer-suite test file through alertkit's runner, compared with promtool 2.42.

The peer suites stay in shared/peer-suites beside the repository (read at test time, never copied). promtool's
own result for each file (exit status and the exact failure text it printed) was recorded by
running /usr/bin/promtool 2.42 from each file's directory; see peer_suites_promtool_2_42.json.
Where promtool's text varies between runs (it lists duplicate series in Go map order), the
other texts observed are recorded under "stderr_also_seen".

known_gaps.txt lists files where alertkit still disagrees, each with the reason. A disagreement
that is not listed fails, and so does a listed file that now agrees: the list can only shrink.
"""

import json
import os
from pathlib import Path

import pytest

from simulator.promtool.runner import render_file_result, run_test_file

REPO_DEPTH = 3  # tests/simulator/promtool/this file


def _peer_suites() -> Path:
    """shared/peer-suites beside the repository, or beside the directory holding its worktrees."""
    for ancestor in Path(__file__).resolve().parents:
        candidate = ancestor / "shared" / "peer-suites"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[REPO_DEPTH].parent / "shared" / "peer-suites"


PEER_SUITES = _peer_suites()
HERE = Path(__file__).parent
PROMTOOL_RESULTS = json.loads((HERE / "peer_suites_promtool_2_42.json").read_text())


def known_gaps() -> dict[str, str]:
    gaps = {}
    for line in (HERE / "known_gaps.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, _, reason = line.partition("  # ")
            gaps[path.strip()] = reason.strip()
    return gaps


GAPS = known_gaps()


def alertkit_result(relative: str) -> tuple[int, str]:
    path = PEER_SUITES / relative
    cwd = os.getcwd()
    os.chdir(path.parent)  # promtool is run from the test file's directory
    try:
        result = run_test_file(path.name)
    finally:
        os.chdir(cwd)
    return (0 if result.ok else 1), render_file_result(result)[1]


def test_every_peer_test_file_has_a_recorded_promtool_result():
    found = {
        str(p.relative_to(PEER_SUITES))
        for p in PEER_SUITES.rglob("*")
        if p.suffix in (".yml", ".yaml") and p.is_file() and _is_test_file(p)
    }
    assert found == set(PROMTOOL_RESULTS)


def _is_test_file(path: Path) -> bool:
    import yaml

    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return False
    return isinstance(document, dict) and "tests" in document


def test_known_gaps_name_real_files_with_reasons():
    for path, reason in GAPS.items():
        assert path in PROMTOOL_RESULTS, path
        assert reason, f"{path}: a known gap needs its reason"


@pytest.mark.parametrize("relative", sorted(PROMTOOL_RESULTS))
def test_same_verdict_and_failure_text_as_promtool(relative):
    expected = PROMTOOL_RESULTS[relative]
    got_code, got_stderr = alertkit_result(relative)
    promtool_texts = [expected["stderr"], *expected.get("stderr_also_seen", [])]
    agrees = got_code == expected["rc"] and got_stderr in promtool_texts
    if relative in GAPS:
        assert not agrees, f"{relative} now agrees with promtool: remove it from known_gaps.txt"
    elif not agrees:
        assert (got_code, got_stderr) == (expected["rc"], expected["stderr"])
