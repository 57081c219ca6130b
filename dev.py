#!/usr/bin/env python3
"""The two set-up commands, for a fresh machine that has only Python 3.11:

    python3.11 dev.py run    # install, migrate, demo data, serve the app + a django-q2 worker
    python3.11 dev.py test   # install (incl. Chromium), the full suite on SQLite and, when
                             # PostgreSQL and Redis answer, on them too; then ruff, mypy and
                             # lint-imports (the import layers)

Each installs what it needs into ./.venv (pinned by requirements.lock) and is safe to re-run."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
LOCK = ROOT / "requirements.lock"
CHROMIUM = "/usr/bin/chromium"
PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def sh(*cmd: str | Path, env: dict[str, str] | None = None, check: bool = True) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, check=check).returncode


def install(dev: bool) -> None:
    if sys.version_info[:2] != (3, 11):
        print(f"warning: JobCannon targets Python 3.11; this is {sys.version.split()[0]}", file=sys.stderr)
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / (".stamp-dev" if dev else ".stamp-run")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        sh(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip")
        target = ".[dev]" if dev else "."
        sh(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-c", LOCK, "-e", target)
        stamp.write_text(digest)


def install_chromium() -> None:
    """Browser tests drive Debian's Chromium (never a downloaded browser)."""
    if Path(CHROMIUM).exists():
        return
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if (
        sh(*prefix, "apt-get", "install", "-y", "-q", "chromium", "chromium-driver", env=env, check=False)
        != 0
    ):
        sh(*prefix, "apt-get", "update", "-q", env=env)
        sh(*prefix, "apt-get", "install", "-y", "-q", "chromium", "chromium-driver", env=env)


def answers(addr: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(addr, timeout=1):
            return True
    except OSError:
        return False


def manage(*args: str, env: dict[str, str]) -> None:
    sh(PY, "manage.py", *args, env=env)


def run() -> None:
    install(dev=False)
    port = os.environ.get("PORT", "8000")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "jobcannon.settings.local"),
    }
    env.setdefault("JOBCANNON_BASE_URL", f"http://127.0.0.1:{port}")
    manage("migrate", "--noinput", env=env)
    manage("setup_schedules", env=env)
    manage("demo_seed", env=env)
    procs = [
        subprocess.Popen(
            # runserver with a listen backlog of 1024, not 10 (jobcannon/core/management/commands/serve.py)
            [str(PY), "manage.py", "serve", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        ),
        subprocess.Popen([str(PY), "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True),
    ]
    print(
        f"\n  JobCannon is running at {env['JOBCANNON_BASE_URL']}/\n"
        "  Sign in as demo@example.com / jobcannon-demo  (Ctrl-C stops the server and the worker)\n",
        flush=True,
    )
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test(extra: list[str]) -> None:
    install(dev=True)
    install_chromium()
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "jobcannon.settings.test"}
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    workers = os.environ.get("PYTEST_WORKERS", "auto")
    pytest = [PY, "-m", "pytest", "-q", "-n", workers, "--dist", "loadfile", *extra]
    print("\n== suite on SQLite + ORM broker ==", flush=True)
    sh(*pytest, env=base)
    if answers(PG) and answers(REDIS):
        print("\n== suite on PostgreSQL + Redis ==", flush=True)
        env = {
            **base,
            "DATABASE_URL": os.environ.get(
                "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jobcannon"
            ),
            "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
            # The pages' HTML does not depend on the database: the accessibility crawl
            # (tests/jobcannon/a11y/) runs in the SQLite pass only.
            "JOBCANNON_A11Y_CRAWL": "0",
        }
        sh(*pytest, env=env)
    else:
        print("\n(PostgreSQL or Redis not answering on 127.0.0.1: skipped the production-shape run)")
    if not extra:
        print("\n== ruff ==", flush=True)
        sh(PY, "-m", "ruff", "check", ".")
        sh(PY, "-m", "ruff", "format", "--check", ".")
        print("\n== mypy ==", flush=True)
        sh(PY, "-m", "mypy", "jobcannon", "integrations", "assessments")
        print("\n== import layers (lint-imports; contracts in pyproject.toml) ==", flush=True)
        sh(VENV / "bin" / "lint-imports", "--no-cache")
        print("\n== check --deploy (production settings) ==", flush=True)
        sh(
            PY,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            env={
                **base,
                "DJANGO_SETTINGS_MODULE": "jobcannon.settings.production",
                "DJANGO_SECRET_KEY": "ci-" + "x7Gq2" * 12,
                "FIELD_ENCRYPTION_KEYS": "z7Jm4yYc3o3mH2Cw2bXoE9fQ1vQ0bqv2Gm3xkzv0n7U=",
                "DJANGO_ALLOWED_HOSTS": "jobcannon.example.com",
            },
        )


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        sys.exit(2)
    try:
        run() if sys.argv[1] == "run" else test(sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode or 1)


if __name__ == "__main__":
    main()
