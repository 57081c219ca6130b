"""Section 6: retention purge of 1,000,000 expired WebhookEvent rows, while webhooks keep coming.

The purge is the security app's scheduled service, jobcannon.audit.retention.retention_purge
(raw body and headers of settled deliveries past the workspace's window replaced by a digest;
the row stays for the logs), run back to back in bounded sweeps until it reports complete or
BUDGET seconds pass. The rows are the million section 5 loaded (spread over the last 30 days;
the purge runs with its clock 121 days ahead so all of them are past the default 90-day window).
Intake at 64 connections is measured before (normal) and during the purge, same server."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from benchmarks import bulk, logs
from benchmarks.common import (
    PY,
    ROOT,
    TMP,
    Gunicorn,
    env,
    log,
    pg,
    profile_start,
    profile_summary,
    verdict,
    write_ashby_requests,
    wrk,
)

SCRIPT = ROOT / "benchmarks" / "intake.lua"
BUDGET = 60  # seconds (the target); past it the total is extrapolated from the rate reached
SWEEP_SECONDS = 15  # each sweep's own time budget (the scheduled task uses 30)
SLICE = 4


def section(results: dict[str, Any]) -> None:
    log(
        f"\n== 6. Retention purge of {bulk.ROWS:,} expired webhook rows, intake (wrk -c64) before and during =="
    )
    seed = results.get("_logs_seed") or logs.load(results)
    integration = {"id": seed["integration"], "public_id": seed["public_id"], "secret": seed["secret"]}
    per_slice = SLICE * 1500  # more distinct events than one slice can send
    requests_file = write_ashby_requests(
        TMP / "purge.txt", integration, per_slice * (3 + BUDGET // SLICE + 8)
    )
    slices = iter(range(10_000))

    def send(seconds: float) -> dict[str, Any]:  # each slice sends new events (no duplicates)
        return wrk(
            "/", script=SCRIPT, args=[str(requests_file), "2", str(next(slices) * per_slice)], seconds=seconds
        )

    out: dict[str, Any] = {"rows": bulk.ROWS, "budget_seconds": BUDGET}
    with Gunicorn(workers=2, label="purge"):
        send(2)
        normal = [send(SLICE) for _ in range(2)]
        e = {**env(), "LOG_LEVEL": "WARNING"}
        with (TMP / "purge.log").open("w") as err:
            purge = subprocess.Popen(
                [str(PY), "-m", "benchmarks.djside", "retention_purge_all",
                 json.dumps({"shift_days": 121, "budget": BUDGET, "sweep_seconds": SWEEP_SECONDS})],
                cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=err, text=True,
            )  # fmt: skip
            during = []
            time.sleep(2)  # Django start-up of the purge process
            spy = profile_start(purge.pid, "purge", 20)
            while purge.poll() is None:
                r = send(SLICE)
                if purge.poll() is None:  # count only slices the purge ran through entirely
                    during.append(r)
            stdout, _ = purge.communicate()
            if spy is not None:
                spy.wait(30)
    line = [x for x in stdout.splitlines() if x.startswith("@@")]
    if not line:
        raise RuntimeError(f"the purge failed; see {TMP / 'purge.log'}")
    result = json.loads(line[-1][2:])
    with pg() as conn:
        digests = conn.execute("SELECT count(*) FROM audit_webhookbodydigest").fetchone()[0]
        emptied = conn.execute(
            "SELECT count(*) FROM integrations_webhookevent WHERE body = ''::bytea"
        ).fetchone()[0]
    normal_rps = sum(r["rps"] for r in normal) / len(normal)
    during_rps = sum(r["rps"] for r in during) / len(during) if during else float("nan")
    purged = result["webhook_bodies"]
    rate = purged / result["seconds"] if result["seconds"] else 0
    sweeps = result["sweeps"]
    out.update(
        purged=purged, seconds=result["seconds"], complete=result["complete"], rows_per_second=round(rate),
        projected_seconds=round(bulk.ROWS / rate) if rate and not result["complete"] else result["seconds"],
        sweeps=[{k: s[k] for k in ("at", "seconds", "webhook_bodies")} for s in sweeps],
        digests=digests, emptied_bodies=emptied, normal_rps=round(normal_rps), during_rps=round(during_rps),
        intake_share=round(during_rps / normal_rps, 2) if normal_rps else 0, during_slices=len(during),
        during_p99_ms=max((r["p99_ms"] for r in during), default=0),
    )  # fmt: skip
    total = out["seconds"] if out["complete"] else out["projected_seconds"]
    log(
        f"  purged {purged:,} bodies in {out['seconds']} s ({out['rows_per_second']:,} rows/s), complete: "
        f"{out['complete']}; {'total' if out['complete'] else 'projected total'} {total} s "
        f"(target < 60 s: {verdict(out['complete'] and total < 60)})"
    )
    if len(sweeps) > 1:
        log(
            "  rows per sweep over time: "
            + ", ".join(f"{s['webhook_bodies']:,} in {s['seconds']} s" for s in sweeps)
        )
    log(
        f"  intake {out['normal_rps']} req/s before, {out['during_rps']} req/s during ({len(during)} slices of "
        f"{SLICE} s): {out['intake_share']:.0%} of normal (target >= 80 %: {verdict(out['intake_share'] >= 0.8)}); "
        f"p99 during {out['during_p99_ms']} ms"
    )
    log(f"  check: {digests:,} digests stored, {emptied:,} bodies emptied")
    out["candidate_query"] = result.get("plan", {})
    plan = out["candidate_query"].get("plan", [])
    if plan:
        log("  the purge's row-picking query, after the run (EXPLAIN ANALYZE):")
        for line in [p for p in plan if "actual" in p or "Filter" in p][:8]:
            log(f"      {line.strip()[:150]}")
    profile = profile_summary("purge", "retention_purge")
    if profile:
        out["profile"] = profile
        log("  py-spy (wall clock, 20 s of the purge process), share of time inclusive:")
        for share, frame in profile:
            log(f"      {share:6.1%}  {frame[:130]}")
    results["purge"] = out
