"""Shared machinery of the benchmark sections: paths and environments, the bench database (a
fresh clone of a migrated template for every section), the server processes (the repo's
gunicorn.conf.py, the django-q2 cluster), wrk, calls into Django, and small statistics.

Everything talks to 127.0.0.1 only: PostgreSQL :5432, Redis :6379 db 14, gunicorn :8765."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
RESULTS = ROOT / "benchmarks" / "results"
TMP = RESULTS / "tmp"
# BENCH_DB_NAME / BENCH_REDIS_DB / BENCH_PORT: run beside another benchmark on one machine.
DB_NAME = os.environ.get("BENCH_DB_NAME", "jobcannon_bench")
TEMPLATE_DB = DB_NAME + "_template"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '14')}"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
# Variables of the caller's shell that would change what is measured.
_DROP = ("REDIS_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_BIND", "PORT", "PROMETHEUS_MULTIPROC_DIR",
         "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "Q_WORKERS", "LOG_LEVEL", "LOG_FORMAT")  # fmt: skip


def log(msg: str = "") -> None:
    print(msg, flush=True)


def env(*, broker: str = "redis", simulators: bool = True, **extra: Any) -> dict[str, str]:
    """The environment of every server and Django process: production settings (plus the two
    baseline views), the bench database, Redis db 14 or the ORM broker."""
    e = {k: v for k, v in os.environ.items() if k not in _DROP}
    e.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        PYTHONPATH=str(ROOT),
        JOBCANNON_BASE_URL=BASE,
        ATS_SIMULATORS_ENABLED="true" if simulators else "false",
        RATE_LIMIT_SQLITE_PATH=str(TMP / "ratelimit.sqlite3"),
        Q_WORKERS="2",
        LOG_LEVEL="INFO",  # production: one JSON line per request (to a file here)
        LOG_FORMAT="json",
        # Outbound HTTP of the app (requests honours these) can only reach 127.0.0.1: anything
        # else goes to a closed local port and fails at once. Belt and braces: the benchmark's
        # integrations are sandboxes wired to the built-in simulator on this server.
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        ALL_PROXY="http://127.0.0.1:9",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    if broker == "redis":
        e["REDIS_URL"] = REDIS_URL
    e.update({k: str(v) for k, v in extra.items()})
    return e


def sh(*cmd: Any, env_: dict[str, str] | None = None, capture: bool = False, check: bool = True) -> str:
    result = subprocess.run(
        [str(c) for c in cmd], cwd=ROOT, env=env_ or env(), check=check, capture_output=capture, text=True
    )
    return result.stdout if capture else ""


# What `python -m benchmarks.djside` does, for a function of any benchmarks module (a section's
# own seeding lives beside the section).
_DJANGO_CALL = (
    "import importlib, json, sys, django; django.setup(); "
    "f = getattr(importlib.import_module(sys.argv[1]), sys.argv[2]); "
    "print('@@' + json.dumps(f(**json.loads(sys.argv[3])), default=str), flush=True)"
)


def django_call(
    func: str, *, env_: dict[str, str] | None = None, module: str = "benchmarks.djside", **kwargs: Any
) -> Any:
    """Run <module>.<func>(**kwargs) (benchmarks.djside by default) in a fresh Django process;
    returns its JSON result."""
    e = {**(env_ or env()), "LOG_LEVEL": "WARNING"}
    with (TMP / "django.log").open("a") as err:
        out = subprocess.run(
            [str(PY), "-c", _DJANGO_CALL, module, func, json.dumps(kwargs)],
            cwd=ROOT, env=e, check=False, stdout=subprocess.PIPE, stderr=err, text=True,
        )  # fmt: skip
    lines = [line for line in out.stdout.splitlines() if line.startswith("@@")]
    if out.returncode or not lines:
        raise RuntimeError(f"djside {func} failed (exit {out.returncode}); see {TMP / 'django.log'}")
    return json.loads(lines[-1][2:])


# --- database ------------------------------------------------------------------------------------


def pg(dsn: str = PG_BENCH):
    import psycopg

    return psycopg.connect(dsn, autocommit=True)


def build_template() -> float:
    """Migrate once into the template database (schema, cache table, schedules, the baseline's
    table); each section then starts from a copy of it. Returns seconds taken."""
    started = time.monotonic()
    with pg(PG_ADMIN) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    e = {**env(), "LOG_LEVEL": "WARNING"}
    with (TMP / "django.log").open("a") as err:
        for cmd, cmd_env in ((["migrate", "-v0", "--noinput"], e), (["createcachetable"], {**env(broker="orm"), "LOG_LEVEL": "WARNING"}),
                             (["setup_schedules"], e)):  # fmt: skip
            subprocess.run(
                [str(PY), "manage.py", *cmd], cwd=ROOT, env=cmd_env, check=True, stdout=err, stderr=err
            )
    with pg() as conn:
        conn.execute(
            "CREATE TABLE bench_minimal (id bigserial PRIMARY KEY, body bytea NOT NULL, "
            "received_at timestamptz NOT NULL DEFAULT now())"
        )
    with pg(PG_ADMIN) as conn:  # a template must have no sessions (close any left over)
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
        conn.execute(f"ALTER DATABASE {DB_NAME} RENAME TO {TEMPLATE_DB}")
    return time.monotonic() - started


def fresh_database() -> None:
    import redis

    with pg(PG_ADMIN) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME} TEMPLATE {TEMPLATE_DB}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    for leftover in TMP.glob("ratelimit.sqlite3*"):
        leftover.unlink()


def drop_databases() -> None:
    with pg(PG_ADMIN) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")


def xact_commits() -> int:
    with pg(PG_ADMIN) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [DB_NAME]
        ).fetchone()
        return int(row[0]) if row else 0


def rows_since(since: float) -> int:
    with pg() as conn:
        row = conn.execute(
            "SELECT count(*) FROM integrations_webhookevent WHERE received_at >= to_timestamp(%s)", [since]
        ).fetchone()
        return int(row[0]) if row else 0


def status_counts(since: float | None = None) -> dict[str, int]:
    sql = "SELECT status, count(*) FROM integrations_webhookevent"
    params: list[Any] = []
    if since is not None:
        sql += " WHERE received_at >= to_timestamp(%s)"
        params.append(since)
    with pg() as conn:
        return {s: int(n) for s, n in conn.execute(sql + " GROUP BY status", params).fetchall()}


# --- processes -----------------------------------------------------------------------------------


def _port_free() -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", PORT)) != 0


def _stop(proc: subprocess.Popen | None, grace: float = 10) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    # The process group (started with start_new_session): children that outlive their parent
    # (a django-q2 worker draining its prefetched tasks) must not run on after the section.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait(5)


class Gunicorn:
    """The repo's gunicorn.conf.py with `--workers N`; its default threads per worker (production's
    serving model) unless `threads` is given (1 = sync workers)."""

    def __init__(
        self, *, workers: int = 2, threads: int | None = None, env_: dict[str, str] | None = None,
        label: str = "web",
    ):  # fmt: skip
        self.workers, self.threads, self.env, self.label = workers, threads, env_ or env(), label
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        if not _port_free():
            raise RuntimeError(f"127.0.0.1:{PORT} is in use: another benchmark or server is running there.")
        e = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{PORT}", "PORT": str(PORT)}
        if self.threads is not None:
            e["GUNICORN_THREADS"] = str(self.threads)
        self.logfile = (TMP / f"gunicorn-{self.label}.log").open("w")
        self.proc = subprocess.Popen(
            [str(VENV / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(self.workers)],
            cwd=ROOT, env=e, start_new_session=True, stdout=self.logfile, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.logfile.name}")
            try:
                with urllib.request.urlopen(BASE + "/bench/bare", timeout=2) as r:  # noqa: S310 - 127.0.0.1
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.logfile.name}")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def __exit__(self, *exc: Any) -> None:
        _stop(self.proc)
        self.logfile.close()


class QCluster:
    """`manage.py qcluster` (the worker of the process model) with Q_WORKERS=2."""

    def __init__(self, *, env_: dict[str, str], label: str = "worker"):
        self.env, self.label = env_, label
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> QCluster:
        metrics_dir = TMP / f"prometheus-{self.label}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        self.logfile = (TMP / f"qcluster-{self.label}.log").open("w")
        self.proc = subprocess.Popen(
            [str(PY), "manage.py", "qcluster"],
            cwd=ROOT, env={**self.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
            start_new_session=True, stdout=self.logfile, stderr=subprocess.STDOUT,
        )  # fmt: skip
        # Ready when a task put on the queue now comes back done.
        try:
            django_call("queue_roundtrip", env_=self.env, timeout=60)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        _stop(self.proc, grace=15)
        self.logfile.close()


# --- wrk -----------------------------------------------------------------------------------------


def _wrk_cmd(path: str, script: Path | None, args: list[str] | None, seconds: float, connections: int,
             threads: int, timeout: int) -> list[str]:  # fmt: skip
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(BASE + path)
    if args:
        cmd += ["--", *args]
    return cmd


def wrk(path: str, *, script: Path | None = None, args: list[str] | None = None, seconds: float = 8,
        connections: int = 64, threads: int = 2, timeout: int = 10) -> dict[str, Any]:  # fmt: skip
    cmd = _wrk_cmd(path, script, args, seconds, connections, threads, timeout)
    return parse_wrk(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def wrk_until(done: Any, path: str, *, script: Path | None = None, args: list[str] | None = None,
              max_seconds: float = 120, connections: int = 64, threads: int = 2) -> dict[str, Any]:  # fmt: skip
    """Run wrk until done() is true (polled every 0.1 s), then stop it with SIGINT, on which wrk
    prints its summary over the time it actually ran."""
    cmd = _wrk_cmd(path, script, args, max_seconds, connections, threads, 10)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while proc.poll() is None and not done():
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, Any]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)

    def pct(label: str) -> float:
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)

    return {
        "rps": round(rps, 1),
        "requests": total,
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


_WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def wrk_seconds(out: str) -> float:
    """The time wrk actually ran, from its summary ("2424 requests in 4.00s, ...")."""
    m = re.search(r"\d+ requests in ([\d.]+)(us|ms|s|m|h),", out)
    return float(m.group(1)) * _WRK_UNITS[m.group(2)] if m else float("nan")


def wrk_counted(path: str, *, script: Path, args: list[str] | None = None, seconds: float = 8,
                connections: int = 64, threads: int = 2, timeout: int = 10) -> dict[str, Any]:  # fmt: skip
    """wrk() counting only what succeeded: parse_wrk's figures plus `seconds` (how long wrk ran),
    `ok` (2xx and 3xx answers: requests - non_2xx), `ok_rps` (ok / seconds), `statuses` (answers
    by status, from a script that prints `@@statuses {json}` in its done(), as hintless.lua does)
    , `started` / `ended` (epoch seconds around the wrk process: its window lies inside) and
    `ok_by_second` ({epoch second: 2xx answers}, from a script that prints `@@seconds {json}`)."""
    cmd = _wrk_cmd(path, script, args, seconds, connections, threads, timeout)
    started = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    ended = time.time()
    result = parse_wrk(out)
    ran = wrk_seconds(out)
    line = next((x for x in out.splitlines() if x.startswith("@@statuses ")), None)
    per_second = next((x for x in out.splitlines() if x.startswith("@@seconds ")), None)
    ok = result["requests"] - result["non_2xx"]
    result.update(seconds=ran, ok=ok, ok_rps=round(ok / ran, 1) if ran > 0 else 0.0, started=started,
                  ended=ended, statuses=json.loads(line.split(" ", 1)[1]) if line else {},
                  ok_by_second={int(k): v for k, v in json.loads(per_second.split(" ", 1)[1]).items()}
                  if per_second else {})  # fmt: skip
    return result


# --- signed Ashby deliveries -------------------------------------------------------------------

# Ashby's applicationSubmit as the vendor sends it (tests/fixtures/ashby/webhooks/), with ids made
# unique per delivery: a handled event (the handler writes an activity line).
_FIXTURE = ROOT / "tests" / "fixtures" / "ashby" / "webhooks" / "applicationSubmit.json"


def write_ashby_requests(path: Path, integration: dict[str, Any], n: int, url: str = "") -> Path:
    """One line per request for intake.lua: path, header, signature, body (each a new event,
    signed as Ashby signs: Ashby-Signature: sha256=<hex HMAC-SHA256(secret token, raw body)>).
    To the integration's own URL unless `url` says another (the seeds' /ashby/webhooks)."""
    import hashlib
    import hmac

    url = url or f"/webhooks/ashby/{integration['public_id']}/"
    secret = integration["secret"].encode()
    template = json.loads(_FIXTURE.read_text())
    with path.open("w") as f:
        for i in range(n):
            body = _unique(template, i)
            sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            f.write(f"{url}\tAshby-Signature\t{sig}\t{body.decode()}\n")
    return path


def _unique(template: dict[str, Any], i: int) -> bytes:
    import uuid

    payload = json.loads(json.dumps(template))
    payload["webhookActionId"] = str(uuid.uuid4())
    payload["data"]["application"]["id"] = str(uuid.uuid4())
    payload["data"]["application"]["candidate"]["id"] = f"bench-candidate-{i}"
    return json.dumps(payload, separators=(",", ":")).encode()


def write_minimal_requests(path: Path, n: int) -> Path:
    """The same bodies for the verify-and-INSERT baseline (its own secret, same header)."""
    import hashlib
    import hmac

    template = json.loads(_FIXTURE.read_text())
    with path.open("w") as f:
        for i in range(n):
            body = _unique(template, i)
            sig = "sha256=" + hmac.new(b"bench-minimal-secret", body, hashlib.sha256).hexdigest()
            f.write(f"/bench/minimal\tAshby-Signature\t{sig}\t{body.decode()}\n")
    return path


# --- statistics ----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def worst_window(timestamps: list[float], width: float = 1.0) -> int:
    """The most events in any window [t, t + width) (sliding, starting at each event)."""
    ts = sorted(timestamps)
    worst, j = 0, 0
    for i, t in enumerate(ts):
        while ts[j] <= t - width:
            j += 1
        worst = max(worst, i - j + 1)
    return worst


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def git_state() -> dict[str, Any]:
    """The commit measured, and which application files differ from it (others work in this tree)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "integrations", "jobcannon", "assessments",
                                          "gunicorn.conf.py").splitlines()]  # fmt: skip
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_app_files": len(dirty),
            "uncommitted": dirty[:40]}  # fmt: skip


def rows_inserted() -> int:
    """Rows inserted into the bench database's tables so far (pg_stat_user_tables)."""
    with pg() as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables").fetchone()
        return int(row[0]) if row else 0


# --- profiles (run.py --profile) -----------------------------------------------------------------


def profiling() -> bool:
    return os.environ.get("BENCH_PROFILE") == "1"


def profile_start(
    pid: int, name: str, seconds: float, subprocesses: bool = False, idle: bool = True
) -> subprocess.Popen | None:
    """py-spy (wall clock, idle included: waiting on PostgreSQL or HTTP is where time goes) on a
    running process for `seconds`, raw collapsed stacks into results/tmp/profile-<name>.txt."""
    spy = VENV / "bin" / "py-spy"
    if not profiling() or not spy.exists():
        return None
    (TMP / f"profile-{name}.txt").unlink(missing_ok=True)
    cmd = [str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--format", "raw",
           "--output", str(TMP / f"profile-{name}.txt")]  # fmt: skip
    if idle:
        cmd.append("--idle")
    if subprocesses:
        cmd.append("--subprocesses")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile_summary(name: str, focus: str, top: int = 12) -> list[tuple[float, str]]:
    """Share of the samples under `focus` (a frame substring) spent in each of our own frames
    (and the database / HTTP calls they make), inclusive."""
    path = TMP / f"profile-{name}.txt"
    if not profiling() or not path.exists():  # a file from an earlier --profile run is not this run's
        return []
    total, inclusive = 0, {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any(focus in f for f in frames):
            continue
        n = int(count)
        total += n
        for frame in dict.fromkeys(frames):
            if any(s in frame for s in ("integrations/", "jobcannon/", "assessments/", "psycopg/cursor.py",
                                        "requests/sessions.py:", "hashlib", "django_q/", "logging/__init__",
                                        "prometheus_client/", "django/db/models/base.py", "redis/")):  # fmt: skip
                inclusive[frame] = inclusive.get(frame, 0) + n
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    return [(round(n / total, 3), frame) for frame, n in ranked] if total else []
