"""Bad input to `alertkit backtest` and `alertkit export-openmetrics`: a clear message, the exit code, no
traceback, and nothing written (no report on stdout, no cache directory, no output file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fakestore import fake_store
from promserver import free_port

from compiler.cli import main as alertkit

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = ROOT / "scenarios" / "null-rate-spike.yaml"
PROJECT = [
    "--alerts",
    str(ROOT / "alerts"),
    "--runbooks",
    str(ROOT / "runbooks"),
    "--config",
    str(ROOT / "alertkit.yaml"),
]
WINDOW = ["--from", "2026-01-05T00:00:00Z", "--to", "2026-01-05T01:00:00Z"]
TOKEN = "tok-9c41e0d2-never-print-me"
EXIT_INPUT = 2
EXIT_STORE = 4


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(alertkit, ["backtest", *args], env=env)


def assert_failed(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stdout == "", "a report was written despite the failure"
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "yesterday", "--to", "1767571200"], "--from 'yesterday': not a time: give RFC 3339"),
        (["--from", "2026-01-05T00:00:00", "--to", "1767571200"], "RFC 3339 needs a zone"),
        (["--from", "1767571200", "--to", "1767571200"], "--to 1767571200: must be after --from"),
        (["--from", "1767571201", "--to", "1767571230"], "no evaluation between --from and --to"),
    ],
    ids=["not-a-time", "no-zone", "empty-window", "shorter-than-interval"],
)
def test_bad_times(args, message, tmp_path):
    cache = tmp_path / "cache"
    result = run("--prometheus", "http://127.0.0.1:9", *args, *PROJECT, "--cache", str(cache))
    assert_failed(result, EXIT_INPUT, message)
    assert not cache.exists()


def test_unreachable_store_names_it_without_its_password(tmp_path):
    url = f"http://alice:pa55word-xyz@127.0.0.1:{free_port()}"
    cache = tmp_path / "cache"
    result = run("--prometheus", url, *WINDOW, *PROJECT, "--retries", "1", "--cache", str(cache))
    assert_failed(result, EXIT_STORE, f"http://127.0.0.1:{url.rsplit(':', 1)[1]}", "connection refused", "2 attempts")
    assert "pa55word" not in result.output
    assert not cache.exists()


def test_a_401_says_the_credentials_were_refused_and_never_shows_the_token(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    with fake_store("unauthorized") as (url, seen):
        result = run("--prometheus", url, *WINDOW, *PROJECT, "--bearer-token-file", str(token_file))
    assert_failed(result, EXIT_STORE, "HTTP 401", "refused the credentials")
    assert seen == [f"Bearer {TOKEN}"], "the token was not sent, or a 401 was retried"
    assert TOKEN not in result.output


def test_basic_auth_password_from_the_environment_is_sent_and_never_shown():
    with fake_store("unauthorized") as (url, seen):
        result = run(
            "--prometheus", url, *WINDOW, *PROJECT,
            "--basic-auth-user", "bob", "--basic-auth-password-env", "BT_PASSWORD",
            env={"BT_PASSWORD": TOKEN},
        )  # fmt: skip
    assert_failed(result, EXIT_STORE, "HTTP 401")
    assert len(seen) == 1 and seen[0] is not None and seen[0].startswith("Basic ")
    assert TOKEN not in result.output


def test_a_reply_that_is_not_json_is_named():
    with fake_store("html") as (url, _seen):
        result = run("--prometheus", url, *WINDOW, *PROJECT)
    assert_failed(result, EXIT_STORE, "the reply is not JSON (text/html)", "Prometheus HTTP API?")


def test_an_api_error_quotes_the_store_and_the_query():
    with fake_store("api-error") as (url, _seen):
        result = run("--prometheus", url, *WINDOW, *PROJECT)
    assert_failed(result, EXIT_STORE, "bad_data: parse error", "(query: ")


def test_a_failing_store_is_retried_then_reported():
    with fake_store("unavailable") as (url, seen):
        result = run("--prometheus", url, *WINDOW, *PROJECT, "--retries", "2")
    assert_failed(result, EXIT_STORE, "HTTP 503", "after 3 attempts")
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--bearer-token-env", "BT_MISSING"],
            {},
            "--bearer-token-env BT_MISSING: the environment variable is not set",
        ),
        (["--bearer-token-file", "/nonexistent/token"], {}, "--bearer-token-file /nonexistent/token: cannot read"),
        (["--basic-auth-password-env", "BT_PASSWORD"], {"BT_PASSWORD": "x"}, "needs --basic-auth-user"),
        (["--prometheus", "ftp://example"], {}, "not an http(s) URL"),
        (["--compare", "no-such-ref-1f2e"], {}, "--compare no-such-ref-1f2e: no such revision"),
    ],
    ids=["token-env-unset", "token-file-missing", "password-without-user", "not-http", "unknown-ref"],
)
def test_bad_options(args, env, message):
    url = ["--prometheus", "http://127.0.0.1:9"] if "--prometheus" not in args else []
    result = run(*url, *WINDOW, *PROJECT, *args, env={"BT_MISSING": None, **env})
    assert_failed(result, EXIT_INPUT, message)


def test_a_cache_path_that_is_a_file_is_refused_and_left_alone(tmp_path):
    cache = tmp_path / "cache"
    cache.write_text("mine")
    result = run("--prometheus", "http://127.0.0.1:9", *WINDOW, *PROJECT, "--cache", str(cache))
    assert_failed(result, EXIT_INPUT, "--cache", "is a file")
    assert cache.read_text() == "mine"


def test_export_openmetrics_bad_input_writes_nothing(tmp_path):
    out = tmp_path / "out.om"
    result = CliRunner().invoke(alertkit, ["export-openmetrics", str(SCENARIO), "--start", "soon", "--out", str(out)])
    assert result.exit_code == EXIT_INPUT and "--start 'soon': not a time" in result.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(alertkit, ["export-openmetrics", str(SCENARIO), "--out", str(blocker / "out.om")])
    assert result.exit_code == 1 and "exists and is not a directory" in result.stderr
    result = CliRunner().invoke(alertkit, ["export-openmetrics", str(SCENARIO), "--out", str(SCENARIO)])
    assert result.exit_code == 1 and "is the scenario file itself" in result.stderr
    assert not out.exists() and blocker.read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
