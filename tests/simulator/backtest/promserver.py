"""Start the real Prometheus 2.42 (Debian's /usr/bin/prometheus) on 127.0.0.1 over a TSDB backfilled with
`promtool tsdb create-blocks-from openmetrics`. Missing binaries = failure, never a skip."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import requests

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
READY_TIMEOUT_S = 30.0
# No scrape targets and no rules: the server only serves the backfilled blocks.
CONFIG = "global:\n  scrape_interval: 15s\n  evaluation_interval: 1m\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def backfill(openmetrics_file: Path, data_dir: Path) -> None:
    """promtool tsdb create-blocks-from openmetrics FILE DIR, asserting it succeeded."""
    assert Path(PROMTOOL).exists(), f"{PROMTOOL} is missing: install Debian's prometheus package (make tools)"
    done = subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(openmetrics_file), str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@contextmanager
def running_prometheus(data_dir: Path, workdir: Path):
    """Yield the URL of a real Prometheus serving data_dir; always stop it afterwards."""
    assert Path(PROMETHEUS).exists(), f"{PROMETHEUS} is missing: install Debian's prometheus package (make tools)"
    config = workdir / "prometheus.yml"
    config.write_text(CONFIG)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "prometheus.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={data_dir}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
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
