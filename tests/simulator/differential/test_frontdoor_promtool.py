"""The PromQL front door against `promtool check rules` 2.42: same expressions accepted, same refused.

Expressions: every `expr` of the peer suites (rule files and promql_expr_test cases), every
expression the property test (test_differential_promtool.py) draws in CI, and the generated
near-misses of tests/common/promql/near_misses.py (newer functions and syntax, wrong arities and
argument types, `or` in matchers, negative @, nesting), and 2,000 peer-suite expressions with one
token inserted, deleted or replaced. Each is accepted by the front door if
and only if promtool accepts it, and where both refuse, alertkit prints promtool's exact text
("1:6: parse error: ..."). promtool judges thousands of expressions per call (one rule file).

`alertkit compile` is held to the same line on the near-misses that are instant vectors or
scalars (it refuses range vectors and strings as rule expressions on purpose, which promtool
only refuses at evaluation time). Nesting deeper than the front door's bound is the one
documented exception: promtool accepts it, alertkit refuses it with a clear message.
promtool missing is a failure, never a skip.
"""

from __future__ import annotations

import random
import re
import sys
from functools import cache
from pathlib import Path

import yaml
from click.testing import CliRunner
from test_differential_promtool import CASES_PER_GROUP, CI_GROUPS, draw_groups

from common.promql.frontdoor import MAX_NESTING_DEPTH, PromQLSyntaxError, check_promql, parse_promql
from common.promql.lexer import tokenize
from compiler.cli import main as alertkit

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "common" / "promql"))
sys.path.insert(0, str(REPO / "tests" / "compiler"))

from compiler_testkit import GENERIC_RUNBOOK  # noqa: E402
from near_misses import REFUSED_DEPTHS, near_misses, nesting  # noqa: E402
from promtool_check import promtool_verdicts  # noqa: E402

# ../shared next to the repository (or next to a directory holding it, for a git worktree).
PEER_SUITES = next(
    (p / "shared" / "peer-suites" for p in REPO.parents if (p / "shared" / "peer-suites").is_dir()),
    REPO.parent / "shared" / "peer-suites",
)


@cache
def peer_suite_expressions() -> list[str]:
    """Every string under an `expr` key in the peer suites' YAML files, first occurrence order."""
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "expr" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    files = sorted(p for p in PEER_SUITES.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    assert files, f"no peer suites under {PEER_SUITES}"
    for path in files:
        for document in yaml.load_all(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        ):
            walk(document)
    return list(dict.fromkeys(found))


@cache
def generated_expressions() -> list[str]:
    groups = draw_groups(CI_GROUPS, CASES_PER_GROUP, None)
    return list(dict.fromkeys(expr for group in groups for expr, _ in group.cases))


def front_door_verdict(expr: str) -> str | None:
    """None when accepted (and promql_parser got a tree), else alertkit's error text."""
    try:
        parse_promql(expr)
    except PromQLSyntaxError as error:
        return str(error)
    return None


def assert_same_verdicts(expressions: list[str]) -> None:
    expressions = [e for e in dict.fromkeys(expressions) if e.strip()]  # promtool: "field 'expr' must be set"
    theirs = promtool_verdicts(expressions)
    wrong = []
    for expr, promtool in zip(expressions, theirs):
        ours = front_door_verdict(expr)
        if ours != promtool:
            wrong.append(f"{expr!r}\n    promtool: {promtool}\n    alertkit: {ours}")
    assert not wrong, f"{len(wrong)} of {len(expressions)} differ:\n" + "\n".join(wrong[:40])


def test_peer_suite_expressions_are_judged_like_promtool():
    expressions = peer_suite_expressions()
    assert len(expressions) > 1000
    assert_same_verdicts(expressions)


def test_property_test_expressions_are_judged_like_promtool():
    expressions = generated_expressions()
    assert len(expressions) > 500
    assert_same_verdicts(expressions)


def test_near_misses_are_judged_like_promtool():
    expressions = near_misses()
    verdicts = [front_door_verdict(e) for e in expressions]
    # The set really straddles the line: many refused, many accepted.
    assert sum(v is None for v in verdicts) > 200 and sum(v is not None for v in verdicts) > 400
    assert_same_verdicts(expressions)


# Pieces of PromQL spliced into peer-suite expressions (near the line on purpose).
_PIECES = [
    "(", ")", "[5m]", "[5m:]", " offset 5m", " @ 10", " @ -10", " by (a)", " bool", " on(a)", " group_left",
    ",", " + ", " and ", '{a="b"}', " 1 ", '"s"', "sum", "rate", " or ", "-", ":", "[", "]", "{", "}", " x ",
    " 5m ", "ignoring()", " without (b) ", " ^ ", "==", " atan2 ", "!=", "=~", " start()", " # c\n", "\n",
    " topk", " count_values", "holt_winters", "@", "offset",
]  # fmt: skip


def mutants(count: int, seed: int) -> list[str]:
    """Peer-suite expressions with one token inserted, deleted or replaced (fixed seed)."""
    rng = random.Random(seed)
    sources = [e for e in peer_suite_expressions() if len(e) < 400]
    found: set[str] = set()
    while len(found) < count:
        expr = rng.choice(sources)
        tokens = tokenize(expr)
        token = rng.choice(tokens)
        roll = rng.random()
        if roll < 0.4:
            mutant = expr[: token.pos] + rng.choice(_PIECES) + expr[token.pos :]
        elif roll < 0.8:
            mutant = expr[: token.pos] + expr[token.end :]
        else:
            mutant = expr[: token.pos] + rng.choice(_PIECES) + expr[token.end :]
        if mutant.strip():
            found.add(mutant)
    return sorted(found)


def test_mutated_peer_suite_expressions_are_judged_like_promtool():
    assert_same_verdicts(mutants(2000, seed=7))


def test_nesting_past_the_bound_is_refused_with_a_clear_message_though_promtool_accepts_it():
    expressions = nesting(REFUSED_DEPTHS)
    assert promtool_verdicts(expressions) == [None] * len(expressions)
    for expr in expressions:
        ours = front_door_verdict(expr)
        assert ours is not None and f"nested more than {MAX_NESTING_DEPTH} levels deep" in ours
        assert "Prometheus 2.42 accepts deeper ones" in ours


def test_alertkit_compile_refuses_exactly_what_promtool_refuses(tmp_path):
    candidates = [e for e in dict.fromkeys(near_misses()) if e.strip() and _rule_typed(e)]
    theirs = promtool_verdicts(candidates)
    names = [f"E{i}" for i in range(len(candidates))]
    alerts = [
        {"name": name, "kind": "raw", "team": "ranking", "severity": "ticket", "summary": "s", "for": "5m"}
        | {"params": {"expr": expr}}
        for name, expr in zip(names, candidates)
    ]
    (tmp_path / "alerts").mkdir()
    (tmp_path / "runbooks").mkdir()
    document = {"apiVersion": "alertkit/v1", "alerts": alerts}
    (tmp_path / "alerts" / "many.yaml").write_text(yaml.safe_dump(document, allow_unicode=True, width=1 << 20))
    for name in names:
        (tmp_path / "runbooks" / f"{name}.md").write_text(GENERIC_RUNBOOK)
    args = ["compile", "--alerts", str(tmp_path / "alerts"), "--runbooks", str(tmp_path / "runbooks")]
    result = CliRunner().invoke(alertkit, [*args, "--out", str(tmp_path / "build")], catch_exceptions=False)

    refused = set(re.findall(r": alert (E\d+): params\.expr: PromQL syntax error: ", result.output))
    assert "Traceback" not in result.output
    assert len(refused) > 300 and len(candidates) - len(refused) > 150
    assert refused == {name for name, verdict in zip(names, theirs) if verdict is not None}
    assert result.exit_code == 1 and not (tmp_path / "build").exists()


def _rule_typed(expr: str) -> bool:
    """Refused by 2.42, or an instant vector / scalar (what the compiler takes as an expression)."""
    try:
        node = check_promql(expr)
    except PromQLSyntaxError:
        return True
    return node.type in ("instant vector", "scalar")
