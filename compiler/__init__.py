"""alertkit's compiler: YAML alert definitions (alerts/*.yaml) -> Prometheus rule files, rendered runbooks and
an Alertmanager configuration.

Public entry points (see docs/compiler.md):
    compiler.pipeline.compile_project(alerts_dir, runbooks_dir, runbook_base_url, alertmanager=None)
        -> CompileResult(files: dict[relative path, bytes], problems: list[Problem])   # pure: writes nothing
    compiler.config.load_config(path, required) -> (ConfigV1, problems)   # alertkit.yaml; .alertmanager settings
    compiler.alertmanager.alertmanager_config(teams, settings) -> dict    # the Alertmanager config as data
    compiler.output.write_build(out_dir, files)   # atomic replace of out_dir/prometheus, /runbooks, /alertmanager
    common.problems.render_problem(problem) -> "file:line:col: alert NAME: field: message"
    compiler.kinds.KINDS                                     # kind name -> Kind(name, params model, build)
    compiler.chisquare.chi_square_critical_value(p_value, degrees_of_freedom) -> float
The click command (`alertkit compile`) is compiler.commands.compile_command.
"""
