"""Fixtures for the reliability proofs: the fault-injecting fake ATS on a real socket, the
test-only provider wired to it, helpers for real concurrency (threads with their own database
connections, worker subprocesses) and for signing webhooks."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from integrations.base import hmac_sha256_hex
from tests.factories import IntegrationFactory
from tests.integrations.reliability import faultsim
from tests.integrations.reliability.fakeats import FakeATS

ROOT = Path(__file__).resolve().parents[3]
SECRET = "whsec_reliability_0001"


@pytest.fixture
def fake_ats() -> Iterator[FakeATS]:
    ats = FakeATS().start()
    yield ats
    ats.stop()


@pytest.fixture
def faultsim_provider(settings, tmp_path, monkeypatch):
    """Registers the test provider; a private limiter namespace and file per test."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake ATS speaks plain HTTP
    settings.ATS_PROVIDERS = [*settings.ATS_PROVIDERS, faultsim.PATH]
    settings.RATE_LIMIT_NAMESPACE = f"t-{uuid.uuid4().hex[:12]}"
    settings.RATE_LIMIT_SQLITE_PATH = str(tmp_path / "ratelimit.sqlite3")
    settings.OUTBOUND_TIMEOUT_SECONDS = (2, 5)
    return settings


@pytest.fixture
def make_faultsim(faultsim_provider, fake_ats) -> Callable[..., Any]:
    def make(**kwargs: Any):
        provider_settings = {"base_url": fake_ats.url, **kwargs.pop("provider_settings", {})}
        defaults: dict[str, Any] = {
            "provider": "faultsim",
            "provider_settings": provider_settings,
            "webhook_secrets": [{"secret": SECRET, "created_at": "2026-01-01T00:00:00+00:00"}],
        }
        defaults.update(kwargs)
        return IntegrationFactory(**defaults)

    return make


def signed_headers(body: bytes) -> dict[str, str]:
    return {faultsim.SIGNATURE_HEADER: "sha256=" + hmac_sha256_hex(SECRET, body)}


def run_in_threads(
    n: int, target: Callable[[int], Any], timeout: float = 60
) -> tuple[list[Any], list[BaseException]]:
    """Run target(i) in n threads released together; each thread has its own DB connection."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, errors


@pytest.fixture
def spawn(settings) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `python -m tests.integrations.reliability.procs <args>` against this test's database."""
    procs: list[subprocess.Popen] = []

    def start(*args: Any, lease_seconds: float | None = None) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "jobcannon.settings.test",
            "RELIABILITY_DB_NAME": str(connection.settings_dict["NAME"]),
            "RATE_LIMIT_SQLITE_PATH": settings.RATE_LIMIT_SQLITE_PATH,
            "RELIABILITY_RL_NAMESPACE": getattr(settings, "RATE_LIMIT_NAMESPACE", ""),
        }
        if lease_seconds is not None:
            env["RELIABILITY_LEASE_SECONDS"] = str(lease_seconds)
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integrations.reliability.procs", *map(str, args)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.stdin:
            proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):  # stdin closed above
            if stream:
                stream.close()


def wait_ready(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Block until the subprocess printed "ready" (Django set up, warmed up)."""
    import select

    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if line.strip() != "ready":
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"worker did not start: {line!r} {err[-3000:]}")
