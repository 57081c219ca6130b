"""Section 2: events per second from intake to processed, 2 django-q2 workers
(`manage.py qcluster`, Q_WORKERS=2), with the Redis broker and, in a separate run, the ORM broker
on the same PostgreSQL (REDIS_URL unset). A fixed number of signed Ashby deliveries is sent at
16 connections while the cluster runs; the clock stops when the last one is processed. Nothing
may be lost: every acknowledged delivery must end as a processed row, counted by status."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import (
    ROOT,
    TMP,
    Gunicorn,
    QCluster,
    django_call,
    env,
    fresh_database,
    log,
    pg,
    profile_start,
    profile_summary,
    rows_since,
    status_counts,
    verdict,
    write_ashby_requests,
    wrk_until,
)

SCRIPT = ROOT / "benchmarks" / "intake.lua"
EVENTS = 800
# The sender stops once EVENTS rows are stored; the clock runs until the last is processed.
PENDING = {"received", "verified", "processing", "failed"}
DRAIN_TIMEOUT = 60


def run_broker(broker: str) -> dict[str, Any]:
    fresh_database()
    e = env(broker=broker)
    integration = django_call("seed_intake", env_=e)
    requests_file = write_ashby_requests(TMP / f"processing-{broker}.txt", integration, EVENTS * 3)
    with Gunicorn(workers=2, env_=e, label=f"processing-{broker}"), QCluster(env_=e, label=broker) as cluster:
        # Same-run baseline: the queue alone (no-op tasks), same broker, same 2 workers.
        noop = django_call("queue_throughput", env_=e, n=EVENTS // 2)
        t0 = time.time()
        spy = (
            profile_start(cluster.proc.pid, f"processing-{broker}", 20, subprocesses=True)
            if broker == "redis"
            else None
        )
        sent = wrk_until(lambda: rows_since(t0 - 1) >= EVENTS, "/", script=SCRIPT, args=[str(requests_file)],
                         connections=16)  # fmt: skip
        intake_done = time.time()
        counts: dict[str, int] = {}
        while time.time() - intake_done < DRAIN_TIMEOUT:
            counts = status_counts(since=t0 - 1)
            if not PENDING & {s for s, n in counts.items() if n}:
                break
            time.sleep(0.25)
        timed_out = time.time() - intake_done >= DRAIN_TIMEOUT
        if spy is not None:
            spy.wait(40)
    with pg() as conn:
        n, first, last_in, last = conn.execute(
            "SELECT count(*), extract(epoch FROM min(received_at)), extract(epoch FROM max(received_at)), "
            "extract(epoch FROM max(processed_at)) FROM integrations_webhookevent WHERE received_at >= to_timestamp(%s)",
            [t0 - 1],
        ).fetchone()
        failed_tasks = conn.execute("SELECT count(*) FROM django_q_task WHERE NOT success").fetchone()[0]
        calls = conn.execute("SELECT count(*) FROM integrations_outboundcall").fetchone()[0]
    first, last_in, last = float(first or 0), float(last_in or 0), float(last or 0)
    acked = sent["requests"] - sent["non_2xx"]
    processed = counts.get("processed", 0) + counts.get("ignored", 0) + counts.get("unsupported", 0)
    pipeline = last - first if last else 0.0
    drain = last - last_in if last else 0.0
    with pg() as conn:
        after_intake = conn.execute(
            "SELECT count(*) FROM integrations_webhookevent WHERE processed_at > to_timestamp(%s)", [last_in]
        ).fetchone()[0]
    return {
        "acked": acked,
        "intake_rps": round(n / (last_in - first), 1) if last_in > first else 0,
        "rows": n,
        "by_status": counts,
        # Acknowledged (2xx) but not stored would be lost; stored rows all end processed in time.
        "lost": max(0, acked - n),
        "still_pending": sum(v for k, v in counts.items() if k in PENDING),
        "failed_tasks": failed_tasks,
        "outbound_calls_per_event": round(calls / max(1, n), 2),
        "pipeline_seconds": round(pipeline, 2),
        "events_per_second": round(processed / pipeline, 1) if pipeline > 0 else 0,
        "drain_events_per_second": round(after_intake / drain, 1) if drain > 0 else 0,
        "noop_tasks_per_second": noop["tasks_per_second"],
        "timed_out": timed_out,
    }


def section(results: dict[str, Any]) -> None:
    log(f"\n== 2. Processing: {EVENTS} signed Ashby deliveries (applicationSubmit, handled) at 16 connections, "
        "gunicorn 2 workers x 8 threads (the repo's default) + qcluster Q_WORKERS=2 ==")  # fmt: skip
    out: dict[str, Any] = {}
    for broker in ("redis", "orm"):
        r = out[broker] = run_broker(broker)
        target = (
            f"(target >= 300: {verdict(r['events_per_second'] >= 300)})"
            if broker == "redis"
            else "(no target)"
        )
        log(
            f"  [{broker} broker] {r['events_per_second']:6.0f} events/s intake->processed {target}; "
            f"after intake ended {r['drain_events_per_second']:.0f}/s; same-run queue ceiling (no-op tasks) "
            f"{r['noop_tasks_per_second']:.0f}/s; intake ran at {r['intake_rps']:.0f} req/s; "
            f"outbound calls/event {r['outbound_calls_per_event']}"
        )
        log(
            f"      acked {r['acked']}, rows {r['rows']} by status {r['by_status']}; lost {r['lost']}, "
            f"still pending after {DRAIN_TIMEOUT} s {r['still_pending']}, failed tasks {r['failed_tasks']} "
            f"({verdict(r['lost'] == 0 and r['still_pending'] == 0)})"
        )
    profile = profile_summary("processing-redis", "django_q/worker.py")
    if profile:
        out["profile"] = profile
        log(
            "  py-spy (wall clock, 20 s of the Redis run's worker processes), share of worker time inclusive:"
        )
        for share, frame in profile:
            log(f"      {share:6.1%}  {frame[:130]}")
    out["redis_vs_orm"] = round(
        out["redis"]["events_per_second"] / max(1, out["orm"]["events_per_second"]), 2
    )
    results["processing"] = out
