"""Section 1: webhook intake at 64 connections against two same-run baselines, for each serving
model (the issue's reference point, 2 sync workers; and gthread, 2 workers x 8 threads, the
repo's default since the intake's group commit). Bare view, minimal verify + one committed INSERT, and our intake run on
the same gunicorn each time, so the ratios compare designs."""

from __future__ import annotations

import time
from statistics import median
from typing import Any

from benchmarks.common import (
    ROOT,
    TMP,
    Gunicorn,
    django_call,
    fresh_database,
    log,
    profile_start,
    profile_summary,
    rows_inserted,
    status_counts,
    verdict,
    write_ashby_requests,
    write_minimal_requests,
    wrk,
    xact_commits,
)

SCRIPT = ROOT / "benchmarks" / "intake.lua"
SECONDS = 4
ROUNDS = 3
# (label, gunicorn threads per worker). 2 workers each: the reference machine.
SERVING_MODELS = [("sync", 1), ("gthread", 8)]


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of the interleaved rounds, figure by figure; request and error counts summed."""
    out: dict[str, Any] = {k: round(median(r[k] for r in runs), 2) for k in ("rps", "p50_ms", "p99_ms")}
    out.update(requests=sum(r["requests"] for r in runs), non_2xx=sum(r["non_2xx"] for r in runs),
               rounds=[r["rps"] for r in runs], socket_errors=[r["socket_errors"] for r in runs if r["socket_errors"]])  # fmt: skip
    return out


def measure(integration: dict[str, Any], *, label: str, threads: int) -> dict[str, Any]:
    """ROUNDS rounds of (bare, minimal, ours), SECONDS each, the order rotated every round: on a
    machine shared with other work, load drifts over a minute; interleaving spreads the drift
    over all three instead of penalising whichever ran last."""
    per_round = int(SECONDS * 2500)  # more distinct events than one run can send
    ours_file = write_ashby_requests(TMP / f"ashby-{label}.txt", integration, per_round * ROUNDS)
    minimal_file = write_minimal_requests(TMP / f"minimal-{label}.txt", per_round * ROUNDS)
    kinds = {
        "bare": ("/bench/bare", None, None),
        "minimal": ("/", SCRIPT, str(minimal_file)),
        "ours": ("/", SCRIPT, str(ours_file)),
    }
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    commits: dict[str, int] = dict.fromkeys(kinds, 0)
    inserted: dict[str, int] = dict.fromkeys(kinds, 0)
    with Gunicorn(workers=2, threads=threads, label=f"intake-{label}") as gunicorn:
        wrk("/bench/bare", seconds=2)  # every worker warm
        order = list(kinds)
        for n in range(ROUNDS):
            for kind in order[n % 3 :] + order[: n % 3]:
                path, script, data = kinds[kind]
                args = [data, "2", str(n * per_round)] if data else None  # each round sends new events
                before, rows_before = xact_commits(), rows_inserted()
                spy = None
                if kind == "ours" and n == ROUNDS - 1 and gunicorn.proc is not None:  # run.py --profile
                    spy = profile_start(
                        gunicorn.proc.pid, f"intake-{label}", SECONDS, subprocesses=True, idle=False
                    )
                runs[kind].append(wrk(path, script=script, args=args, seconds=SECONDS))
                if spy is not None:
                    spy.wait(SECONDS + 20)
                time.sleep(1.0)  # pg_stat_database is flushed at most once a second
                commits[kind] += xact_commits() - before
                inserted[kind] += rows_inserted() - rows_before
    r = {k: _median_run(v) for k, v in runs.items()}
    for kind in ("minimal", "ours"):
        # Per stored event, not per wrk response: when wrk stops, requests it had sent are still
        # answered (and stored) by the server without being counted by wrk.
        r[kind]["xacts_per_event"] = round(commits[kind] / max(1, inserted[kind]), 2)
        r[kind]["stored"] = inserted[kind]
    bare, minimal, ours = r["bare"], r["minimal"], r["ours"]
    return {
        "threads": threads,
        **r,
        "ratio_vs_minimal": round(ours["rps"] / minimal["rps"], 2),
        "ratio_vs_bare": round(ours["rps"] / bare["rps"], 2),
        "minimal_vs_bare": round(minimal["rps"] / bare["rps"], 2),
    }


def section(results: dict[str, Any]) -> None:
    log(
        f"\n== 1. Webhook intake: signed Ashby applicationSubmit, wrk -t2 -c64, "
        f"{ROUNDS} interleaved rounds of {SECONDS} s, medians; gunicorn 2 workers =="
    )
    fresh_database()
    integration = django_call("seed_intake")
    out: dict[str, Any] = {"provider": integration["provider"], "signature": "Ashby-Signature: sha256=<hex>"}
    for label, threads in SERVING_MODELS:
        r = out[label] = measure(integration, label=label, threads=threads)
        model = "sync" if threads == 1 else f"gthread x{threads} threads"
        log(f"  [{model}]")
        b, m, o = r["bare"], r["minimal"], r["ours"]
        log(
            f"    bare Django JSON view        {b['rps']:7.0f} req/s  p50 {b['p50_ms']:6.1f} ms  p99 {b['p99_ms']:6.1f} ms"
        )
        log(
            f"    minimal verify + 1 INSERT    {m['rps']:7.0f} req/s  p50 {m['p50_ms']:6.1f} ms  p99 {m['p99_ms']:6.1f} ms"
            f"  transactions per stored event {m['xacts_per_event']}  ({r['minimal_vs_bare']:.0%} of bare)"
        )
        log(
            f"    JobCannon intake (Ashby)     {o['rps']:7.0f} req/s  p50 {o['p50_ms']:6.1f} ms  p99 {o['p99_ms']:6.1f} ms"
            f"  transactions per stored event {o['xacts_per_event']}  non-2xx {o['non_2xx']}"
        )
        log(
            f"    ratio vs minimal {r['ratio_vs_minimal']:.2f} (target >= 1.0: {verdict(r['ratio_vs_minimal'] >= 1.0)})"
            f"   vs bare {r['ratio_vs_bare']:.0%} (target >= 35 %: {verdict(r['ratio_vs_bare'] >= 0.35)})"
            f"   p99 {o['p99_ms']:.0f} ms (target < 100 ms: {verdict(o['p99_ms'] < 100)})"
        )
    for label, _ in SERVING_MODELS:
        profile = profile_summary(f"intake-{label}", "WSGIHandler.__call__", top=16)
        if profile:
            out[label]["profile"] = profile
            log(f"  py-spy, CPU of the gunicorn workers during our intake ({label}), share inclusive:")
            for share, frame in profile:
                log(f"      {share:6.1%}  {frame[:130]}")
    out["statements"] = django_call("intake_statements", integration=integration)
    counts = status_counts()
    out["rows_by_status"] = counts
    log(
        f"  SQL statements per delivery: {out['statements']['statements']} "
        f"({'; '.join(s[:60] for s in out['statements']['sql'])})"
    )
    log(f"  stored rows by status: {counts} (duplicates must be 0: every request is a new event)")
    results["intake"] = out
