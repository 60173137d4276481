"""`alertkit backtest` and `alertkit export-openmetrics`: thin click commands over simulator/backtest.

Exit status of backtest: 0 the backtest ran; 2 bad input (times, options, rule files, an unknown --compare
revision); 4 the store cannot be reached, refuses the credentials or does not answer as the Prometheus API;
3 an internal error. Nothing is written on failure: the report goes to stdout only once complete, and cached
chunks are written atomically.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import click

from common.durations import parse_duration
from common.errors import InputError, OutputError
from common.outputpaths import non_directory_on_path
from simulator.backtest.client import DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, Credentials, PrometheusAPI
from simulator.backtest.fetch import DEFAULT_MAX_POINTS, ChunkCache
from simulator.backtest.plan import TimeError, evaluation_grid, group_interval_ms, parse_time
from simulator.backtest.run import Options, Revision, backtest, plan_fetches
from simulator.rules.loader import RuleFileError, load_rule_files
from simulator.simulate import rule_files_in

from .rules_source import RulesSource, rules_options
from .simulate import _load_groups, _load_scenarios, _NoProgress, load_paging_config

# A git revision's build, compiled in a temporary directory (compiler/naming.py's layout).
REF_RULES_DIR = Path("build") / "prometheus"
REF_ALERTMANAGER_FILE = Path("build") / "alertmanager" / "alertmanager.yml"
GIT_TIMEOUT_S = 60
COMPILE_TIMEOUT_S = 300


def _fail(message: str) -> None:
    raise InputError(message)


def _read_secret(option: str, path: Path | None, env: str | None) -> str | None:
    """A secret from a file or an environment variable; messages name the source, never the value."""
    if path is not None and env is not None:
        _fail(f"{option}: give a file or an environment variable, not both")
    if path is not None:
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            _fail(f"{option}-file {path}: cannot read: {getattr(error, 'strerror', None) or 'not UTF-8 text'}")
        if not secret:
            _fail(f"{option}-file {path}: the file is empty")
        return secret
    if env is not None:
        secret = os.environ.get(env, "").strip()
        if not secret:
            _fail(f"{option}-env {env}: the environment variable is not set or empty")
        return secret
    return None


def _credentials(token_file, token_env, user, password_file, password_env) -> Credentials:
    token = _read_secret("--bearer-token", token_file, token_env)
    password = _read_secret("--basic-auth-password", password_file, password_env)
    if token is not None and user is not None:
        _fail("--bearer-token-* and --basic-auth-user: give one kind of credentials")
    if password is not None and user is None:
        _fail("--basic-auth-password-*: needs --basic-auth-user")
    return Credentials(bearer_token=token, username=user, password=password)


def _time_option(name: str, text: str) -> int:
    try:
        return parse_time(text)
    except TimeError as error:
        _fail(f"{name} {error}")
    raise AssertionError("unreachable")


def _duration_option(name: str, text: str) -> int:
    try:
        value = parse_duration(text)
    except ValueError as error:
        _fail(f"{name} {text!r}: {error}")
    if value <= 0:
        _fail(f"{name} {text!r}: must be longer than 0s")
    return value


def _git(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], capture_output=True, timeout=GIT_TIMEOUT_S, check=False, **kwargs)
    except FileNotFoundError:
        _fail("--compare: git is not installed")
    except subprocess.TimeoutExpired:
        _fail(f"--compare: git {args[0]} took longer than {GIT_TIMEOUT_S}s")
    raise AssertionError("unreachable")


def _revision_from_git(ref: str, workdir: Path) -> Revision:
    """Compile the definitions of git revision `ref` (of the repository around the current directory) into
    `workdir` with this alertkit, and load its rule files and Alertmanager configuration."""
    resolved = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
    if resolved.returncode != 0:
        _fail(f"--compare {ref}: no such revision in the git repository of {Path.cwd()}")
    commit = resolved.stdout.decode().strip()
    archive = _git(["archive", "--format=tar", commit])
    if archive.returncode != 0:
        _fail(f"--compare {ref}: git archive failed: {archive.stderr.decode(errors='replace').strip()}")
    tar_path = workdir / "ref.tar"
    tar_path.write_bytes(archive.stdout)
    tree = workdir / "tree"
    with tarfile.open(tar_path) as tar:
        tar.extractall(tree, filter="data")
    # -P: the interpreter does not put the revision's own tree on sys.path, so this alertkit compiles it.
    compiled = subprocess.run(
        [sys.executable, "-P", "-m", "compiler.cli", "compile"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=COMPILE_TIMEOUT_S,
        check=False,
    )
    if compiled.returncode != 0:
        _fail(f"--compare {ref}: its definitions do not compile:\n{compiled.stderr.strip()}")
    rule_files = rule_files_in(tree / REF_RULES_DIR) if (tree / REF_RULES_DIR).is_dir() else []
    if not rule_files:
        _fail(f"--compare {ref}: its build has no rule files")
    try:
        groups = load_rule_files(list[str | Path](rule_files))
    except RuleFileError as error:
        _fail(f"--compare {ref}: {error}")
    alertmanager = None
    if (tree / REF_ALERTMANAGER_FILE).is_file():
        from simulator.alertmanager.config import AlertmanagerConfigError, load_alertmanager_config

        try:
            alertmanager = load_alertmanager_config((tree / REF_ALERTMANAGER_FILE).read_text(encoding="utf-8"))
        except AlertmanagerConfigError as error:
            _fail(f"--compare {ref}: alertmanager.yml: {error}")
    return Revision(f"{ref} ({commit[:10]})", groups, alertmanager)


def _progress_callback(bar):
    def on_progress(done_ms: int, label: str) -> None:
        bar.label = f"fetching {label[:40]}"
        bar.update(done_ms)

    return on_progress


@click.command("backtest")
@click.option("--prometheus", "url", required=True, help="Base URL of a store serving the Prometheus HTTP API.")
@click.option("--from", "from_", required=True, help="Start: RFC 3339 (2026-01-05T00:00:00Z) or Unix seconds.")
@click.option("--to", "to", required=True, help="End: RFC 3339 or Unix seconds.")
@rules_options
@click.option("--compare", "compare_ref", default=None, help="Also backtest this git revision's rules and compare.")
@click.option(
    "--remote-eval",
    is_flag=True,
    help="Let the store evaluate each rule's expression (query_range at the group's step); "
    "the alert state machine stays local.",
)
@click.option(
    "--cache",
    "cache_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep fetched chunks in this directory and reuse them.",
)
@click.option("--json", "as_json", is_flag=True, help="Write the JSON report (docs/backtest.md).")
@click.option(
    "--alertmanager-config",
    "alertmanager_config",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The compiled alertmanager.yml to time pages with (default: the project's).",
)
@click.option("--evaluation-interval", default=None, help="Evaluation interval of groups without `interval:` [1m].")
@click.option("--lookback-delta", default="5m", show_default=True, help="The store's --query.lookback-delta.")
@click.option("--max-points", default=DEFAULT_MAX_POINTS, show_default=True, help="Samples per request, about.")
@click.option("--timeout", "timeout_s", default=DEFAULT_TIMEOUT_S, show_default=True, help="Seconds per request.")
@click.option("--retries", default=DEFAULT_RETRIES, show_default=True, help="Retries of a failed request.")
@click.option("--bearer-token-file", type=click.Path(dir_okay=False, path_type=Path), help="File with a token.")
@click.option("--bearer-token-env", metavar="VAR", help="Environment variable holding a bearer token.")
@click.option("--basic-auth-user", metavar="USER", help="Basic-auth user name.")
@click.option("--basic-auth-password-file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--basic-auth-password-env", metavar="VAR")
def backtest_command(
    url: str,
    from_: str,
    to: str,
    rules_source: RulesSource,
    compare_ref: str | None,
    remote_eval: bool,
    cache_dir: Path | None,
    as_json: bool,
    alertmanager_config: Path | None,
    evaluation_interval: str | None,
    lookback_delta: str,
    max_points: int,
    timeout_s: float,
    retries: int,
    bearer_token_file: Path | None,
    bearer_token_env: str | None,
    basic_auth_user: str | None,
    basic_auth_password_file: Path | None,
    basic_auth_password_env: str | None,
) -> None:
    """Replay history from a Prometheus-API store through the rules: what would have fired, when, and the pages."""
    from simulator.backtest.report import render_json, render_text

    from_ms, to_ms = _time_option("--from", from_), _time_option("--to", to)
    if to_ms <= from_ms:
        _fail(f"--to {to}: must be after --from {from_}")
    if max_points < 1 or retries < 0 or timeout_s <= 0:
        _fail("--max-points must be at least 1, --retries at least 0, --timeout more than 0")
    credentials = _credentials(
        bearer_token_file, bearer_token_env, basic_auth_user, basic_auth_password_file, basic_auth_password_env
    )
    default_interval = _duration_option("--evaluation-interval", evaluation_interval or "1m")
    lookback_ms = _duration_option("--lookback-delta", lookback_delta)
    if cache_dir is not None and ((cache_dir.exists() and not cache_dir.is_dir()) or non_directory_on_path(cache_dir)):
        raise OutputError(f"--cache {cache_dir}: not a directory")

    groups = _load_groups(rules_source)
    revisions = [Revision("working tree", groups, load_paging_config(alertmanager_config, rules_source))]
    with tempfile.TemporaryDirectory(prefix="alertkit-backtest-") as workdir:
        if compare_ref is not None:
            revisions.append(_revision_from_git(compare_ref, Path(workdir)))
        try:
            interval = group_interval_ms([g for r in revisions for g in r.groups], default_interval)
        except ValueError as error:
            _fail(str(error))
        try:
            grid = evaluation_grid(from_ms, to_ms, interval)
        except ValueError as error:
            _fail(f"--from/--to: {error}")
        api = PrometheusAPI(url, credentials, timeout_s=timeout_s, retries=retries)
        cache = ChunkCache(cache_dir, api.shown) if cache_dir is not None else None
        options = Options(remote_eval=remote_eval, max_points=max_points, lookback_ms=lookback_ms)
        now_ms = int(time.time() * 1000)
        progress = _progress_bar(sum(f.span_ms for f in plan_fetches(revisions, grid, options)))
        with progress as bar:
            result = backtest(
                api, revisions, grid, options, now_ms=now_ms, cache=cache, on_progress=_progress_callback(bar)
            )
    click.echo(render_json(result) if as_json else render_text(result), nl=False)


def _progress_bar(length: int):
    """A progress bar on stderr when it is a terminal (fetched window time; logs and pipes stay clean)."""
    if not sys.stderr.isatty():
        return _NoProgress()
    return click.progressbar(length=max(length, 1), label="fetching", file=sys.stderr)


@click.command("export-openmetrics")
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (atomically) instead of to stdout.",
)
@click.option(
    "--start",
    default="0",
    show_default=True,
    help="The Unix time of the scenario's t=0: RFC 3339 or Unix seconds (0: timestamps are scenario times).",
)
def export_openmetrics_command(scenario_path: Path, out_path: Path | None, start: str) -> None:
    """Write SCENARIO's generated series as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`."""
    from simulator.backtest.openmetrics import ExportedSeries, render_openmetrics, stale_series
    from simulator.scenarios.generators import generate_series

    origin_ms = _time_option("--start", start)
    if origin_ms < 0:
        _fail(f"--start {start}: must not be before 1970")
    if out_path is not None:
        if out_path.exists() and out_path.samefile(scenario_path):
            raise OutputError(f"--out {out_path}: is the scenario file itself; write elsewhere")
        blocker = non_directory_on_path(out_path)
        if blocker is not None:
            raise OutputError(f"--out {out_path}: cannot write: {blocker} exists and is not a directory")
        if out_path.exists() and not out_path.is_file():
            raise OutputError(f"--out {out_path}: cannot write: not a regular file")
    scenario = _load_scenarios((scenario_path,))[0]
    series = [ExportedSeries(s.labels, s.t_ms, s.values) for s in generate_series(scenario)]
    stale = stale_series(series)
    pieces = render_openmetrics(series, origin_ms)
    if out_path is None:
        for piece in pieces:
            sys.stdout.write(piece)
    else:
        _write_atomically(out_path, pieces)
    if stale:
        click.echo(
            f"warning: {len(stale)} series have stale markers, which OpenMetrics cannot carry; they were left out "
            f"(first: {stale[0]}). A store backfilled from this file shows those series for up to the lookback "
            "delta after their last sample.",
            err=True,
        )


def _write_atomically(path: Path, pieces) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for piece in pieces:
                out.write(piece)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"--out {path}: cannot write: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
