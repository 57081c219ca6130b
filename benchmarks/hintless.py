"""Section 7: junk on the seeds' hint-less route must not take the server from real deliveries.

50 Ashby integrations (the hint-less route's candidates). Signed Ashby deliveries to one of them
(its own URL, wrk -c64 as in section 1) are measured alone (the baseline) and while a separate
process sends junk to /ashby/webhooks at JUNK_RATE requests/s: random bodies with random
signatures, each from a random client address (the server trusts one proxy, TRUSTED_PROXY_COUNT=1,
so X-Forwarded-For makes every junk request another client: per-address budgets never bite, only
the per-request and per-process bounds do). Five kinds of junk: 1 MiB bodies (the reported load)
and 256 KiB ones (the route's limit until it was cut to 64 KiB), both over the route's size limit
and refused from Content-Length; bodies just under that limit (WEBHOOK_HINTLESS_MAX_BODY_BYTES),
each of which is read and scanned against the candidates until the unproven scan pool is spent,
as random bytes and as `[]` pairs (the costliest input for a JSON depth scan, which used to run on
every body); and 1 MiB of `[]` pairs to /webhooks/ashby/<random uuid>/ (a made-up integration
id used to buy the full 1 MiB limit, read and depth-scanned: now refused from Content-Length).
Then the same on the seed route itself: signed deliveries to /ashby/webhooks (no integration hint:
identified by their signature, remembered for the sending address), alone and under the same
junk. Rounds interleaved (order rotated), each junk round paired with its route's alone round of
the same rotation, medians of the paired ratios. Target: deliveries >= 90 % of alone.

    .venv/bin/python -m benchmarks.hintless     # this section alone: prints each ratio, exit
                                                # status 1 when one is under 0.90"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from statistics import median
from typing import Any

from benchmarks.common import (
    BASE,
    PY,
    ROOT,
    TMP,
    Gunicorn,
    build_template,
    django_call,
    drop_databases,
    env,
    fresh_database,
    log,
    status_counts,
    verdict,
    write_ashby_requests,
    wrk,
)

SCRIPT = ROOT / "benchmarks" / "intake.lua"
SECONDS = 5
ROUNDS = 4
JUNK_RATE = 50
INTEGRATIONS = 50
TARGET = 0.9
SEED_ROUTE = "/ashby/webhooks"
# name -> (body size, "random" bytes or "brackets" `[]` pairs, URL path; {uuid}: a fresh random
# integration id per request). "64KiB": just under WEBHOOK_HINTLESS_MAX_BODY_BYTES
# (jobcannon/settings/base.py): read and scanned.
JUNK: dict[str, tuple[int, str, str]] = {
    "1MiB": (1024 * 1024, "random", SEED_ROUTE),
    "256KiB": (256 * 1024 - 64, "random", SEED_ROUTE),
    "64KiB": (64 * 1024 - 64, "random", SEED_ROUTE),
    "64KiB[]": (64 * 1024 - 64, "brackets", SEED_ROUTE),
    "1MiB[]@uuid": (1024 * 1024, "brackets", "/webhooks/ashby/{uuid}/"),
}
# kind -> (route of the signed deliveries, JUNK name or None)
KINDS: dict[str, tuple[str, str | None]] = {
    "alone": ("own", None),
    **{k: ("own", k) for k in JUNK},
    "seed alone": ("seed", None),
    **{f"seed {k}": ("seed", k) for k in JUNK},
}


def _junk(name: str, seconds: float) -> subprocess.Popen:
    size, fill, path = JUNK[name]
    # Open loop: enough connections that a slow answer does not slow the junk down.
    args = {
        "url": f"{BASE}{path}",
        "rate": JUNK_RATE,
        "bytes": size,
        "fill": fill,
        "seconds": seconds,
        "threads": 64,
    }
    return subprocess.Popen(
        [str(PY), "-m", "benchmarks.junk", json.dumps(args)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def _junk_result(proc: subprocess.Popen) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=60)
    lines = [line for line in out.splitlines() if line.startswith("@@")]
    return json.loads(lines[-1][2:]) if lines else {"sent": 0, "statuses": {}, "rate": 0}


def section(results: dict[str, Any]) -> None:
    log(
        f"\n== 7. Hint-less junk: signed Ashby deliveries (own URL, then the seed route; wrk -c64) alone and "
        f"under {JUNK_RATE} req/s of junk ({', '.join(JUNK)}; {INTEGRATIONS} integrations), {ROUNDS} "
        f"interleaved rounds of {SECONDS} s =="
    )
    fresh_database()
    integration = django_call("seed_hintless", n=INTEGRATIONS)
    per_round = SECONDS * 1500  # lines per run; intake measures ~600 req/s on 2 cores
    kinds = list(KINDS)
    # One file per wrk run: wrk loads its whole file at every start (one file per route, 150,000
    # lines, took most of a 15-minute run on a busy machine before the measurements).
    files = {
        (kind, n): write_ashby_requests(
            TMP / f"hintless-{kinds.index(kind)}-{n}.txt",
            integration,
            per_round,
            url=SEED_ROUTE if KINDS[kind][0] == "seed" else "",
        )
        for kind in kinds
        for n in range(ROUNDS)
    }
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    junk: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds if KINDS[k][1]}
    since = time.time()
    with Gunicorn(workers=2, env_=env(TRUSTED_PROXY_COUNT=1), label="hintless"):
        wrk("/bench/bare", seconds=2)
        for n in range(ROUNDS):
            shift = n % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                junk_name = KINDS[kind][1]
                sender = _junk(junk_name, SECONDS + 1) if junk_name else None
                if sender is not None:
                    time.sleep(0.5)  # the junk is flowing before the measurement starts
                runs[kind].append(
                    wrk("/", script=SCRIPT, args=[str(files[kind, n]), "2", "0"], seconds=SECONDS)
                )
                if sender is not None:
                    junk[kind].append(_junk_result(sender))
                time.sleep(0.5)
    out: dict[str, Any] = {"integrations": INTEGRATIONS, "junk_rate": JUNK_RATE}
    for kind in kinds:
        route, junk_name = KINDS[kind]
        rps = median(r["rps"] for r in runs[kind])
        entry: dict[str, Any] = {"route": route, "rps": rps, "rounds": [r["rps"] for r in runs[kind]],
                                 "non_2xx": sum(r["non_2xx"] for r in runs[kind])}  # fmt: skip
        out[kind] = entry
        where = "own URL" if route == "own" else "seed route"
        if not junk_name:
            log(f"  signed deliveries ({where}) alone  {rps:7.0f} req/s  (rounds {entry['rounds']}, "
                f"non-2xx {entry['non_2xx']})")  # fmt: skip
            continue
        base = runs["alone" if route == "own" else "seed alone"]
        statuses: dict[str, int] = {}
        for j in junk[kind]:
            for status, count in j["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        sent_rate = median(j["rate"] for j in junk[kind]) if junk[kind] else 0
        # Each junk round against the alone round of the same rotation (minutes apart at most):
        # on a shared machine the load drifts more between rounds than within one.
        paired = [j["rps"] / a["rps"] for j, a in zip(runs[kind], base, strict=True) if a["rps"]]
        ratio = round(median(paired), 3) if paired else 0
        alone = median(r["rps"] for r in base)
        entry.update(ratio=ratio, ratio_of_medians=round(rps / alone, 3) if alone else 0,
                     junk_rate=sent_rate, junk_statuses=statuses)  # fmt: skip
        log(
            f"  ({where}) with {junk_name:>11} junk at {sent_rate:4.0f} req/s  {rps:7.0f} req/s  ratio "
            f"{ratio:.2f} (median of per-round ratios; of medians {entry['ratio_of_medians']:.2f}) "
            f"(target >= {TARGET:.2f}: {verdict(ratio >= TARGET)})  non-2xx {entry['non_2xx']}, junk answered "
            f"{statuses}"
        )
    counts = status_counts(since)
    out["rows_by_status"] = counts
    log(f"  rows stored by status: {counts} (junk rejected rows are truncated, and none past the budgets)")
    ratios = {kind: out[kind]["ratio"] for kind in kinds if KINDS[kind][1]}
    out["missed"] = [kind for kind, ratio in ratios.items() if ratio < TARGET]
    log("  ratios: " + ", ".join(f"{kind} {ratio:.2f}" for kind, ratio in ratios.items())
        + (f"; under {TARGET:.2f}: {', '.join(out['missed'])}" if out["missed"] else f"; all >= {TARGET:.2f}"))  # fmt: skip
    for path in files.values():
        path.unlink(missing_ok=True)
    results["hintless"] = out


def main() -> None:
    """This section alone (as `run.py hintless` does, without the other sections): exit status 1
    when a junk load took signed deliveries under TARGET of their rate alone."""
    from benchmarks import run

    run.ensure_tools()
    TMP.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    log(f"JobCannon benchmarks, section 7 only, on {run.machine()}")
    build_template()
    try:
        section(results)
    finally:
        drop_databases()
    sys.exit(1 if results["hintless"]["missed"] else 0)


if __name__ == "__main__":
    main()
