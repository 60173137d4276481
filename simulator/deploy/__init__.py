"""Deploying compiled rule files: into a Prometheus rules directory (install, reload, verify, roll back), and
as the manifests other rule stores read (prometheus-operator PrometheusRule, Mimir/Cortex ruler namespaces).

The pieces are pure where they can be (verify.py, targets.py); files.py and prometheus_api.py do the I/O and
are driven by the `alertkit deploy` / `alertkit export-rules` commands (simulator/commands/deploy.py).
"""
