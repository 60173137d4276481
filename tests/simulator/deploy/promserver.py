"""Start the real Prometheus 2.42 (Debian's /usr/bin/prometheus) on 127.0.0.1 with a rules directory and the
lifecycle API, for the deploy tests. A missing binary is a failure, never a skip."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import requests

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_prometheus(rules_dir: Path, workdir: Path, *, lifecycle: bool = True, glob: str = "*.yml"):
    """Yield the URL of a real Prometheus whose rule_files is rules_dir/<glob>; always stop it afterwards."""
    assert Path(PROMETHEUS).exists(), f"{PROMETHEUS} is missing: install Debian's prometheus package (make tools)"
    config = workdir / "prometheus.yml"
    config.write_text(f"global:\n  evaluation_interval: 1m\nrule_files:\n  - {rules_dir / glob}\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "prometheus.log"
    arguments = [
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    if lifecycle:
        arguments.append("--web.enable-lifecycle")
    with log_path.open("w") as log:
        process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    if requests.get(url + "/-/ready", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "Prometheus did not become ready: " + log_path.read_text()
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def served_rules(url: str) -> dict[str, list[tuple[str, str]]]:
    """Group name -> [(rule name, query)] as Prometheus serves them."""
    payload = requests.get(url + "/api/v1/rules", timeout=10).json()
    return {g["name"]: [(r["name"], r["query"]) for r in g["rules"]] for g in payload["data"]["groups"]}
