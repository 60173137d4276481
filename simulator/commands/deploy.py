"""`alertkit deploy` and `alertkit export-rules`: thin click commands over simulator.deploy (docs/deploy.md).

Exit status: 0 deployed and verified (or exported); 1 refused (the build has errors, is stale, or a scenario
check fails), Prometheus unreachable, or the deploy was rolled back; 3 an internal error.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import click

from common.errors import InputError, OutputError
from compiler.memory_build import GENERATED_HEADER_PREFIX
from simulator.scenarios.errors import ScenarioError

from .rules_source import RulesSource, RulesUnavailable, rules_options
from .simulate import _load_groups, _load_scenarios

DEFAULT_SCENARIO_GLOB = "scenarios/*.yaml"
DEFAULT_EXPORT_DIR = {"prometheusrule": "build/prometheusrule", "mimir": "build/mimir"}


@click.command("deploy")
@click.option(
    "--rules-dir",
    "target_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The directory Prometheus's rule_files reads (e.g. /etc/prometheus/rules.d).",
)
@click.option(
    "--reload",
    "url",
    required=True,
    help="Prometheus's URL (e.g. http://127.0.0.1:9090); it must run with --web.enable-lifecycle.",
)
@click.option(
    "--scenario",
    "scenario_paths",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Scenario that must pass before deploying (repeatable) [default: every {DEFAULT_SCENARIO_GLOB}].",
)
@rules_options
def deploy_command(target_dir: Path, url: str, scenario_paths: tuple[Path, ...], rules_source: RulesSource) -> None:
    """Install the compiled rule files into Prometheus, reload it and verify it loaded them; roll back on failure.

    A build with errors, a stale --rules build, or a failing scenario check is refused before anything changes.
    """
    from simulator.deploy.prometheus_api import base_url
    from simulator.deploy.run import deploy_rule_files
    from simulator.simulate import rule_groups_from_texts

    server = base_url(url)
    if not target_dir.is_dir():
        raise OutputError(f"--rules-dir {target_dir}: no such directory")
    files = _deployed_files(rules_source)
    groups = _load_groups(rules_source)
    _check_scenarios(scenario_paths, groups)
    deployed_groups = rule_groups_from_texts(files)  # named by the deployed file, as Prometheus reports them
    result = deploy_rule_files(files, deployed_groups, target_dir, server, _is_alertkit_file, _log)
    click.echo(
        f"deployed {len(result.written)} rule file(s) to {target_dir}/; Prometheus at {server} loaded "
        f"{result.groups} group(s), {result.rules} rule(s), all verified"
    )


def _deployed_files(rules_source: RulesSource) -> dict[str, str]:
    """Deployed file name -> text (a build's files by their base names)."""
    try:
        texts = rules_source.rule_texts()
    except RulesUnavailable as error:
        raise InputError(f"{error}\ndeploy refused: nothing was changed") from None
    files: dict[str, str] = {}
    for path, text in texts.items():
        name = PurePosixPath(path).name
        if name in files:
            raise InputError(f"{path}: two rule files named {name}; deploy refused")
        files[name] = text
    return files


def _check_scenarios(paths: tuple[Path, ...], groups) -> None:
    """Every scenario must pass with these rules, else the deploy is refused."""
    from simulator.simulate import simulate

    paths = paths or tuple(sorted(Path().glob(DEFAULT_SCENARIO_GLOB)))
    missing = [f"{path}: no such scenario file" for path in paths if not path.is_file()]
    if missing:
        raise InputError("\n".join(missing) + "\ndeploy refused: nothing was changed")
    failed = []
    for scenario in _load_scenarios(paths):
        try:
            result = simulate(scenario, groups)
        except ScenarioError as error:
            raise InputError(f"{error}\ndeploy refused: nothing was changed") from None
        if not result.passed:
            failed.append(
                f"{scenario.source}: scenario {scenario.name!r} fails (see `alertkit simulate {scenario.source}`)"
            )
    if failed:
        raise InputError("\n".join(failed) + "\ndeploy refused: a scenario check fails; nothing was changed")
    _log(f"{len(paths)} scenario check(s) pass")


def _is_alertkit_file(path: Path) -> bool:
    """A rule file an earlier deploy installed (it carries the compiler's header): removed when gone from the build."""
    try:
        with path.open("rb") as stream:
            return stream.readline().decode("utf-8", errors="replace").startswith(GENERATED_HEADER_PREFIX)
    except OSError:
        return False


def _log(message: str) -> None:
    click.echo(message, err=True)


@click.command("export-rules")
@click.option("--format", "output_format", required=True, type=click.Choice(["prometheusrule", "mimir"]))
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write into [default: build/prometheusrule or build/mimir].",
)
@click.option(
    "--namespace",
    default=None,
    help="prometheusrule: the objects' Kubernetes namespace; mimir: one namespace holding every group "
    "[default: one namespace per rule file, named after it].",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    help="prometheusrule: KEY=VALUE label on each object (what the operator's ruleSelector matches); repeatable.",
)
@click.option(
    "--name-prefix",
    default="alertkit-",
    show_default=True,
    help="prometheusrule: prefix of the object names (the rule file's stem follows).",
)
@rules_options
def export_rules_command(
    output_format: str,
    out_dir: Path | None,
    namespace: str | None,
    labels: tuple[str, ...],
    name_prefix: str,
    rules_source: RulesSource,
) -> None:
    """Write the rule files as prometheus-operator PrometheusRule manifests or Mimir/Cortex ruler namespace files."""
    from simulator.deploy.files import write_atomically
    from simulator.deploy.targets import mimir_namespaces, prometheus_rules

    label_map = {}
    for label in labels:
        key, equals, value = label.partition("=")
        if not equals or not key:
            raise InputError(f"--label {label!r}: expected KEY=VALUE")
        label_map[key] = value
    if output_format == "mimir" and (labels or name_prefix != "alertkit-"):
        raise InputError("--label and --name-prefix apply to --format prometheusrule only")
    groups = _load_groups(rules_source)
    if output_format == "prometheusrule":
        documents = prometheus_rules(groups, namespace, label_map, name_prefix)
    else:
        documents = mimir_namespaces(groups, namespace)
    target = out_dir or Path(DEFAULT_EXPORT_DIR[output_format])
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in documents.items():
            write_atomically(target / name, text.encode("utf-8"))
    except OSError as error:
        raise OutputError(f"--out {target}: cannot write: {error.strerror or error}") from None
    click.echo(f"wrote {len(documents)} {output_format} file(s) into {target}/", err=True)
