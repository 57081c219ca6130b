#!/usr/bin/env python3
"""JobCannon benchmarks: one command, real servers, same-run baselines, ratios.

    python3.11 benchmarks/run.py                 # everything (< 10 minutes on 2 cores)
    python3.11 benchmarks/run.py intake limiter  # some sections

Uses the production settings (benchmarks/settings.py adds two baseline views), the repo's
gunicorn.conf.py, PostgreSQL (127.0.0.1:5432, database jobcannon_bench, recreated) and Redis
(127.0.0.1:6379 db 14, flushed). Sends traffic only to 127.0.0.1. Prints each figure next to
its baselines and writes benchmarks/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
RESULTS = ROOT / "benchmarks" / "results"
DB_NAME = "jobcannon_bench"
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "PYTHONPATH": str(ROOT),
}
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def log(msg: str) -> None:
    print(msg, flush=True)


def sh(*cmd, env=None, capture=False, check=True) -> str:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env or ENV, check=check,
                            capture_output=capture, text=True)
    return result.stdout if capture else ""


def ensure_tools() -> None:
    if not PY.exists():
        sh(sys.executable, "dev.py", "install-only", check=False)
    if shutil.which("wrk") is None:
        prefix = [] if os.geteuid() == 0 else ["sudo"]
        sh(*prefix, "apt-get", "install", "-y", "-q", "wrk", env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def django(code: str) -> str:
    """Run Python inside the benchmark's Django environment; returns stdout."""
    return sh(PY, "-c", "import django; django.setup()\n" + code, capture=True)


def reset_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    sh(PY, "manage.py", "migrate", "-v0", "--noinput")
    sh(PY, "manage.py", "createcachetable")
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}", autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_minimal (id bigserial PRIMARY KEY, body bytea NOT NULL, "
                     "received_at timestamptz NOT NULL DEFAULT now())")
    import redis

    redis.Redis.from_url(ENV["REDIS_URL"]).flushdb()


def seed_integration() -> dict:
    out = django("""
import json
from django.contrib.auth import get_user_model
from integrations.registry import get_providers
from integrations.services.integrations import integration_create
from jobcannon.workspaces.services import workspace_create
user = get_user_model().objects.create_user(username="bench", email="bench@example.com", password="bench-password-1")
ws = workspace_create(owner=user, name="Bench Co")
key = "ashby" if "ashby" in get_providers() else sorted(get_providers())[0]
p = get_providers()[key]
i = integration_create(workspace=ws, provider=key, environment="production", auth_kind=p.auth_kinds[0], region=(p.regions or ("",))[0])
i.status = "connected"; i.save()
print(json.dumps({"provider": key, "public_id": str(i.public_id), "id": i.pk, "workspace": ws.pk,
                  "secret": i.secrets_for_verification()[0]}))
""")
    return json.loads(out.strip().splitlines()[-1])


def signed_event(integration: dict, i: int) -> tuple[str, str, str]:
    """(header, signature, body) of a distinct event, signed as the provider's ATS signs it."""
    import hashlib
    import hmac
    import uuid

    if integration["provider"] == "ashby":  # Ashby-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>
        header = "Ashby-Signature"
        body = json.dumps({"webhookActionId": str(uuid.uuid4()), "action": "candidateStageChange",
                           "data": {"application": {"id": f"app-{i}", "status": "Active"}}}, separators=(",", ":"))
    else:
        header = "X-Fake-Signature"
        body = json.dumps({"id": str(uuid.uuid4()), "type": "candidate.created", "data": {"candidate_id": f"c{i}"}},
                          separators=(",", ":"))
    sig = "sha256=" + hmac.new(integration["secret"].encode(), body.encode(), hashlib.sha256).hexdigest()
    return header, sig, body


def write_ashby_requests(path: Path, integration: dict, n: int) -> None:
    with path.open("w") as f:
        for i in range(n):
            header, sig, body = signed_event(integration, i)
            f.write(f"/webhooks/{integration['provider']}/{integration['public_id']}/\t{header}\t{sig}\t{body}\n")


def write_minimal_requests(path: Path, n: int) -> None:
    import hashlib
    import hmac
    import uuid

    with path.open("w") as f:
        for _ in range(n):
            body = json.dumps({"webhookActionId": str(uuid.uuid4()), "action": "candidateStageChange"}, separators=(",", ":"))
            sig = "sha256=" + hmac.new(b"bench-minimal-secret", body.encode(), hashlib.sha256).hexdigest()
            f.write(f"/bench/minimal\tAshby-Signature\t{sig}\t{body}\n")


class Gunicorn:
    def __init__(self, workers: int = 2):
        self.workers = workers
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        config = ["-c", "gunicorn.conf.py"] if (ROOT / "gunicorn.conf.py").exists() else []
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), *config, "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{PORT}", "--access-logfile", "-" if False else "/dev/null", "jobcannon.wsgi"],
            cwd=ROOT, env=ENV, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=0.5):
                    time.sleep(0.5)
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: " + (self.proc.stderr.read() if self.proc.stderr else ""))

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def xact_commits() -> int:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [DB_NAME]).fetchone()[0]


def wrk(path_or_url: str, *, script: Path | None = None, data: Path | None = None, seconds: int = 10,
        connections: int = 64) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(BASE + path_or_url)
    if data:
        cmd += ["--", str(data)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)

    def pct(label: str) -> float:
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {"rps": rps, "requests": total, "p50_ms": pct("50"), "p99_ms": pct("99"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(0) if errors else ""}


def statements_per_intake(integration: dict) -> dict:
    """SQL statements and transactions for one signed delivery, counted in-process on the same DB."""
    out = django(f"""
import json, sys
sys.path.insert(0, "benchmarks")
from run import signed_event
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
integration = {integration!r}
c = Client()
url = "/webhooks/{integration['provider']}/{integration['public_id']}/"
h, sig, body = signed_event(integration, 1)
c.post(url, data=body, content_type="application/json", headers={{h: sig}})  # warm up
h, sig, body = signed_event(integration, 2)
with CaptureQueriesContext(connection) as ctx:
    r = c.post(url, data=body, content_type="application/json", headers={{h: sig}})
sqls = [q["sql"] for q in ctx.captured_queries]
print(json.dumps({{"status": r.status_code, "statements": len(sqls), "sql": [s[:90] for s in sqls]}}))
""")
    return json.loads(out.strip().splitlines()[-1])


def section_intake(results: dict) -> None:
    log("\n== 1. Webhook intake (gunicorn 2 sync workers, wrk -t2 -c64 -d10s) ==")
    integration = seed_integration()
    tmp = RESULTS / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    ours_file, minimal_file = tmp / "ashby.txt", tmp / "minimal.txt"
    write_ashby_requests(ours_file, integration, 60000)
    write_minimal_requests(minimal_file, 60000)
    script = ROOT / "benchmarks" / "intake.lua"
    with Gunicorn(workers=2):
        wrk("/bench/bare", seconds=3)  # warm up every worker
        bare = wrk("/bench/bare")
        c0 = xact_commits()
        minimal = wrk("/", script=script, data=minimal_file)
        time.sleep(1.0)
        c1 = xact_commits()
        ours = wrk("/", script=script, data=ours_file)
        time.sleep(1.0)
        c2 = xact_commits()
    minimal["commits_per_request"] = round((c1 - c0) / max(1, minimal["requests"]), 2)
    ours["commits_per_request"] = round((c2 - c1) / max(1, ours["requests"]), 2)
    ours.update(statements_per_intake(integration))
    results["intake"] = {"bare": bare, "minimal": minimal, "ours": ours,
                         "ratio_vs_minimal": round(ours["rps"] / minimal["rps"], 2),
                         "ratio_vs_bare": round(ours["rps"] / bare["rps"], 2)}
    log(f"  bare Django JSON view         {bare['rps']:8.0f} req/s   p50 {bare['p50_ms']:.1f} ms  p99 {bare['p99_ms']:.1f} ms")
    log(f"  minimal verify + 1 INSERT     {minimal['rps']:8.0f} req/s   p50 {minimal['p50_ms']:.1f} ms  p99 {minimal['p99_ms']:.1f} ms"
        f"  commits/req {minimal['commits_per_request']}  non-2xx {minimal['non_2xx']}")
    log(f"  JobCannon intake ({integration['provider']:6})      {ours['rps']:8.0f} req/s   p50 {ours['p50_ms']:.1f} ms  p99 {ours['p99_ms']:.1f} ms"
        f"  commits/req {ours['commits_per_request']}  SQL statements/req {ours['statements']}  non-2xx {ours['non_2xx']}")
    log(f"  ratio vs minimal {results['intake']['ratio_vs_minimal']:.2f} (target >= 1.0)   "
        f"vs bare {results['intake']['ratio_vs_bare']:.0%} (target >= 35 %)   p99 target < 100 ms")


SECTIONS = {"intake": section_intake}


def main() -> None:
    wanted = sys.argv[1:] or list(SECTIONS)
    ensure_tools()
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}"}
    started = time.monotonic()
    for name in wanted:
        reset_database()
        SECTIONS[name](results)
    results["total_seconds"] = round(time.monotonic() - started)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    log(f"\nTotal {results['total_seconds']} s. Figures in benchmarks/results/latest.json")


if __name__ == "__main__":
    main()
