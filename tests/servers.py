"""A real production server for smoke tests: gunicorn with the repo's gunicorn.conf.py on a free
local port, started in its own session so the whole process group stops with the test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn_serving(env: Mapping[str, str], log_path: Path, *, timeout: float = 30) -> Iterator[str]:
    """Yields the server's base URL once /healthz answers 200 (the test fails with the log's tail
    if it does not come up within `timeout` seconds). `env` is the whole environment; the bind
    address is added. Stopped with SIGTERM, then SIGKILL after 15 s."""
    port = free_port()
    full_env = {**env, "PORT": str(port), "GUNICORN_BIND": f"127.0.0.1:{port}"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("gunicorn did not come up:\n" + log_path.read_text()[-3000:])
                time.sleep(0.1)
            yield base
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
