"""Section 7: junk on the webhook routes must not take the server from real deliveries (issue 21:
"50 req/s of 1 MiB bodies with 50 integrations leaves signed deliveries to a known integration at
>= 90 % of their normal rate").

50 Ashby integrations, the candidates of the seeds' hint-less route /ashby/webhooks; the measured
one was created last, so it is the last candidate a scan tries. Signed Ashby deliveries to it (wrk
-c64, fresh events, counted by status: only 2xx answers count as deliveries) on its own URL, then
on the seed route (no hint: identified by their signature; wrk's 127.0.0.1 is proven in a warm-up
run, it is the known sender), each measured alone and while a separate process
(benchmarks/junk.py) sends junk at JUNK_RATE requests/s, each junk request from a random client
address (the server trusts one proxy, TRUSTED_PROXY_COUNT=1, so X-Forwarded-For makes every
request another client: per-address budgets never bite). The kinds of junk are listed in JUNK.

During every run, alone or with junk, a "fresh sender" (junk.py's signed mode, its own process)
sends FRESH_RATE signed deliveries a second for the measured integration to the seed route, each
from an address never used before: the share answered 2xx says whether a real ATS sending from a
new address gets through (it must not be locked out by junk).

Each junk run is bracketed by two alone runs on the same route (alone, junk 1, alone, junk 2, ...,
alone; junk order rotated per round) and compared with their mean; the figure is the median of
these ratios over ROUNDS rounds (min and max printed too). A junk run starts the junk (and the fresh
sender), waits for the junk's first answers, then runs wrk; the junk lasts SECONDS + 2. Checks, each failing the section:
junk achieved >= 0.9 x JUNK_RATE, its answers were the refusals expected for its kind (never
5xx), its window covered wrk's, no 5xx to wrk or the fresh senders, the measured integration was
the last candidate. Targets: bracketed ratio >= 0.90 for every case, fresh senders >= 90 % 2xx.

    .venv/bin/python -m benchmarks.hintless     # this section alone; exit status 1 when a target
                                                # or a check is missed
    BENCH_HINTLESS_ROUNDS=1 BENCH_HINTLESS_SECONDS=1 ... # a smoke run (see README.md section 7)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
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
    git_state,
    log,
    status_counts,
    write_ashby_requests,
    wrk,
    wrk_counted,
)


def _number(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


SCRIPT = ROOT / "benchmarks" / "hintless.lua"
# Overridable for a smoke run; the published figures use the defaults (~10 minutes on 2 cores).
SECONDS = int(_number("BENCH_HINTLESS_SECONDS", 4))  # wrk takes whole seconds
ROUNDS = int(_number("BENCH_HINTLESS_ROUNDS", 3))
JUNK_RATE = _number("BENCH_HINTLESS_JUNK_RATE", 50)
FRESH_RATE = _number("BENCH_HINTLESS_FRESH_RATE", 5)
INTEGRATIONS = int(_number("BENCH_HINTLESS_INTEGRATIONS", 50))
TARGET = 0.9
JUNK_OVERRUN = 2.0  # the junk lasts SECONDS + this: it covers wrk's window
SEED_ROUTE = "/ashby/webhooks"


@dataclass(frozen=True)
class Junk:
    size: int
    fill: str  # junk.py's fill: "random" bytes, "brackets" `[]` pairs, "json" records
    path: str  # {uuid}: a random integration id per request; {ashby} / {knit}: the seeded integrations
    unread: bool  # refused from Content-Length before the body is read (413, or the connection cut)
    signature: str = "ashby"  # junk.py's header: a random Ashby-Signature or X-Knit-Signature

    def expected(self) -> set[str]:
        """The answers this junk must get: 413 when refused unread (or the connection cut while it
        was still sending), else 401 (read, verified or scanned, refused) or 429 (a budget spent)."""
        return {"413", "cut"} if self.unread else {"401", "429"}


# "64KiB": just under WEBHOOK_HINTLESS_MAX_BODY_BYTES (jobcannon/settings/base.py): read and
# scanned. The last two go to a real integration's own URL, just under what it takes
# (WEBHOOK_MAX_BODY_BYTES, 256 KiB; 1 MiB until 2026-12-04, when 1 MiB of junk there took 15-22 %
# of the deliveries' rate): read and verified, and refused (Knit parses only small bodies to try
# the form its Node example signs).
JUNK: dict[str, Junk] = {
    "1MiB": Junk(1024 * 1024, "random", SEED_ROUTE, unread=True),
    "256KiB": Junk(256 * 1024 - 64, "random", SEED_ROUTE, unread=True),
    "64KiB": Junk(64 * 1024 - 64, "random", SEED_ROUTE, unread=False),
    "64KiB[]": Junk(64 * 1024 - 64, "brackets", SEED_ROUTE, unread=False),
    "1MiB[]@uuid": Junk(1024 * 1024, "brackets", "/webhooks/ashby/{uuid}/", unread=True),
    "256KiB@ashby": Junk(256 * 1024 - 64, "random", "/webhooks/ashby/{ashby}/", unread=False),
    "256KiBjson@knit": Junk(
        256 * 1024 - 64, "json", "/webhooks/knit/{knit}/", unread=False, signature="knit"
    ),
}
KINDS = [k for k in (os.environ.get("BENCH_HINTLESS_KINDS") or "").split(",") if k in JUNK] or list(JUNK)
ROUTES = {"own": "own URL", "seed": "seed route"}


class _Sender:
    """benchmarks/junk.py in its own process (junk or a fresh sender)."""

    def __init__(self, **args: Any):
        self.proc = subprocess.Popen(
            [str(PY), "-m", "benchmarks.junk", json.dumps(args)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )

    def first(self) -> dict[str, float]:
        """Blocks until the sender's first answer (its `@@first` line)."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@first "):
                return json.loads(line.split(" ", 1)[1])
        raise RuntimeError("benchmarks.junk exited before its first answer")

    def result(self) -> dict[str, Any]:
        out, _ = self.proc.communicate(timeout=60)
        lines = [line for line in out.splitlines() if line.startswith("@@{")]
        if not lines:
            raise RuntimeError(f"benchmarks.junk exited {self.proc.returncode} without a result")
        return json.loads(lines[-1][2:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _share_2xx(statuses: dict[str, int]) -> tuple[int, int]:
    return sum(n for s, n in statuses.items() if s.startswith("2")), sum(statuses.values())


def _add(total: dict[str, int], statuses: dict[str, int]) -> None:
    for status, n in statuses.items():
        total[status] = total.get(status, 0) + n


def section(results: dict[str, Any]) -> None:  # noqa: C901, PLR0915
    log(
        f"\n== 7. Junk vs signed deliveries: Ashby deliveries to the last of {INTEGRATIONS} candidates (own URL, "
        f"then the seed route; wrk -c64, 2xx counted) alone and under {JUNK_RATE:g} req/s of junk ({', '.join(KINDS)}), "
        f"fresh senders at {FRESH_RATE:g}/s on the seed route throughout; {ROUNDS} rounds of {SECONDS:g} s =="
    )
    fresh_database()
    seeded = django_call("seed_hintless", n=INTEGRATIONS)
    per_run = int(SECONDS * 1500)  # lines per run; intake measures ~600 req/s on 2 cores
    problems: list[str] = []
    if seeded["candidate_position"] != INTEGRATIONS:
        problems.append(
            f"the measured integration is candidate {seeded['candidate_position']} of {seeded['candidates']}, "
            f"not the last ({INTEGRATIONS})"
        )
    ids = {"ashby": seeded["public_id"], "knit": seeded["knit_public_id"]}
    counter = iter(range(10**6))
    # Per route and round: alone, junk 1, alone, junk 2, ..., alone. Each junk run is compared with
    # the mean of the two alone runs that bracket it (seconds apart): on a shared machine the load
    # drifts more between runs a minute apart than between neighbours, and a bracket cancels a
    # linear drift. The junk order rotates from round to round.
    alone: dict[str, list[float]] = {r: [] for r in ROUTES}
    during: dict[tuple[str, str], list[float]] = {(r, k): [] for r in ROUTES for k in KINDS}
    paired: dict[tuple[str, str], list[float]] = {key: [] for key in during}
    junk_rates: dict[tuple[str, str], list[float]] = {key: [] for key in during}
    junk_statuses: dict[tuple[str, str], dict[str, int]] = {key: {} for key in during}
    fresh: dict[tuple[str, str], dict[str, int]] = {(r, k): {} for r in ROUTES for k in ["alone", *KINDS]}
    wrk_statuses: dict[str, dict[str, int]] = {r: {} for r in ROUTES}

    def deliveries(route: str, seconds: float = SECONDS, path: Path | None = None) -> dict[str, Any]:
        # Fresh events for every run (a repeated event is deduplicated, not measured), written
        # before the run (before its junk starts) and removed after it.
        path = path or requests_for(route)
        try:
            return wrk_counted("/", script=SCRIPT, args=[str(path), "2", "0"], seconds=seconds)
        finally:
            path.unlink(missing_ok=True)

    def requests_for(route: str) -> Path:
        return write_ashby_requests(
            TMP / f"hintless-{next(counter)}.txt", seeded, per_run, url=SEED_ROUTE if route == "seed" else ""
        )

    def run(route: str, kind: str | None, label: str) -> dict[str, Any]:
        """One measurement: the junk (if any) flowing, then the fresh sender, then wrk."""
        senders: list[_Sender] = []
        junk: _Sender | None = None
        path = requests_for(route)
        try:
            # The junk and the fresh sender start together (each a Python process: started one
            # after the other, the second's start-up would eat into the junk's window). With junk,
            # wrk starts at the junk's first answer; alone, at the fresh sender's.
            seconds = SECONDS + (JUNK_OVERRUN if kind is not None else 1.0)
            if kind is not None:
                spec = JUNK[kind]
                junk = _Sender(url=BASE + spec.path.format(uuid="{uuid}", **ids), rate=JUNK_RATE, bytes=spec.size,
                               fill=spec.fill, signature=spec.signature, seconds=seconds,
                               threads=64)  # fmt: skip  # open loop: a slow answer does not slow it down
                senders.append(junk)
            fresh_sender = _Sender(url=BASE + SEED_ROUTE, rate=FRESH_RATE, fill="signed", secret=seeded["secret"],
                                   address_base=1000 * next(counter), seconds=seconds - 0.1, threads=2)  # fmt: skip
            senders.append(fresh_sender)
            (junk or fresh_sender).first()
            measured = deliveries(route, path=path)
            got = {"wrk": measured, "fresh": fresh_sender.result()}
            if junk is not None:
                got["junk"] = junk.result()
        finally:
            path.unlink(missing_ok=True)
            for sender in senders:
                sender.stop()
        _add(wrk_statuses[route], measured["statuses"])
        _add(fresh[route, kind or "alone"], got["fresh"]["statuses"])
        if not measured["statuses"] and measured["requests"]:
            problems.append(f"{label}: wrk's answers were not counted by status (hintless.lua)")
        for who, statuses in (("signed deliveries (wrk)", measured["statuses"]), ("fresh senders", got["fresh"]["statuses"])):  # fmt: skip
            if any(s.startswith("5") for s in statuses):
                problems.append(f"{label}: {who} got 5xx: {statuses}")
        if kind is not None:
            j = got["junk"]
            if j["rate"] < TARGET * JUNK_RATE:
                problems.append(f"{label}: junk sent at {j['rate']:.1f} req/s, under {TARGET * JUNK_RATE:g}")
            unexpected = {s: n for s, n in j["statuses"].items() if s not in JUNK[kind].expected()}
            if unexpected:
                problems.append(
                    f"{label}: junk answered {unexpected}, expected only {sorted(JUNK[kind].expected())}"
                )
            if not (j["first_answer"] <= measured["started"] and j["last_send"] >= measured["ended"]):
                problems.append(
                    f"{label}: the junk ({j['first_answer']:.2f}-{j['last_send']:.2f}) did not cover wrk's window "
                    f"({measured['started']:.2f}-{measured['ended']:.2f})"
                )
        return got

    since = time.time()
    with Gunicorn(workers=2, env_=env(TRUSTED_PROXY_COUNT=1), label="hintless"):
        wrk("/bench/bare", seconds=2)
        for route in ROUTES:  # warm-up: caches; wrk's 127.0.0.1 proves itself on the seed route
            deliveries(route, seconds=1)
        for n in range(ROUNDS):
            shift = n % len(KINDS)
            order = KINDS[shift:] + KINDS[:shift]
            for route in list(ROUTES) if n % 2 == 0 else list(ROUTES)[::-1]:
                before = run(route, None, f"round {n + 1} {route} alone")["wrk"]["ok_rps"]
                alone[route].append(before)
                for kind in order:
                    time.sleep(0.5)
                    got = run(route, kind, f"round {n + 1} {route} {kind}")
                    junk_rates[route, kind].append(got["junk"]["rate"])
                    _add(junk_statuses[route, kind], got["junk"]["statuses"])
                    time.sleep(0.5)
                    after = run(route, None, f"round {n + 1} {route} alone")["wrk"]["ok_rps"]
                    alone[route].append(after)
                    during[route, kind].append(got["wrk"]["ok_rps"])
                    bracket = (before + after) / 2
                    if bracket:
                        paired[route, kind].append(got["wrk"]["ok_rps"] / bracket)
                    before = after

    out: dict[str, Any] = {"integrations": INTEGRATIONS, "junk_rate": JUNK_RATE, "fresh_rate": FRESH_RATE,
                           "rounds": ROUNDS, "seconds": SECONDS, "candidate_position": seeded["candidate_position"],
                           "alone": {}, "cases": {}, "wrk_statuses": wrk_statuses}  # fmt: skip
    missed: list[str] = []
    log(
        f"  measured integration: candidate {seeded['candidate_position']} of {seeded['candidates']} (oldest first)"
    )
    log(
        f"  {'case':<30} {'ratio':>5} {'(min-max)':>11} {'2xx/s':>6} {'junk/s':>6} {'fresh 2xx':>13}  junk answered"
    )
    for route, where in ROUTES.items():
        ok, sent = _share_2xx(fresh[route, "alone"])
        share = ok / sent if sent else 0.0
        base = median(alone[route]) if alone[route] else 0.0
        out["alone"][route] = {"ok_rps": base, "runs": alone[route], "fresh_share": round(share, 3),
                               "fresh_statuses": fresh[route, "alone"]}  # fmt: skip
        if share < TARGET:
            missed.append(f"{route} alone: fresh senders {share:.0%} 2xx")
        log(f"  {where + ' alone':<30} {'':>5} {'':>11} {base:6.0f} {'':>6} {ok:>4}/{sent:<4} {share:4.0%}  "
            f"(runs {min(alone[route], default=0):.0f}-{max(alone[route], default=0):.0f} 2xx/s)")  # fmt: skip
        for kind in KINDS:
            key = (route, kind)
            ratios = paired[key]
            ratio = round(median(ratios), 3) if ratios else 0.0
            ok, sent = _share_2xx(fresh[key])
            share = ok / sent if sent else 0.0
            rate = median(junk_rates[key]) if junk_rates[key] else 0.0
            name = f"{route} {kind}"
            out["cases"][name] = {
                "route": route, "junk": kind, "ratio": ratio, "ratio_min": round(min(ratios, default=0), 3),
                "ratio_max": round(max(ratios, default=0), 3), "paired": [round(x, 3) for x in ratios],
                "ok_rps": median(during[key]) if during[key] else 0.0, "junk_rate": rate,
                "junk_rate_min": min(junk_rates[key], default=0), "junk_statuses": junk_statuses[key],
                "fresh_share": round(share, 3), "fresh_statuses": fresh[key],
            }  # fmt: skip
            if ratio < TARGET:
                missed.append(f"{name}: ratio {ratio:.2f}")
            if share < TARGET:
                missed.append(f"{name}: fresh senders {share:.0%} 2xx")
            c = out["cases"][name]
            log(f"  {where + ' + ' + kind:<30} {ratio:5.2f} ({c['ratio_min']:.2f}-{c['ratio_max']:.2f}) "
                f"{c['ok_rps']:6.0f} {rate:6.1f} {ok:>4}/{sent:<4} {share:4.0%}  {junk_statuses[key]}")  # fmt: skip
    counts = status_counts(since)
    out["rows_by_status"] = counts
    out["missed"], out["problems"] = missed, problems
    log(f"  rows stored by status: {counts}")
    log(f"  signed deliveries (wrk) answered: {wrk_statuses}")
    log(f"  targets (ratio >= {TARGET:.2f}, fresh senders >= {TARGET:.0%} 2xx): "
        + (f"MISSED {len(missed)}: " + "; ".join(missed) if missed else "all met"))  # fmt: skip
    log("  checks (junk rate, junk answers, junk window, no 5xx, last candidate): "
        + (f"FAILED {len(problems)}:\n    " + "\n    ".join(problems) if problems else "all passed"))  # fmt: skip
    results["hintless"] = out


def main() -> None:
    """This section alone (as `run.py hintless` does, without the other sections): exit status 1
    when a target is missed or a check failed."""
    from benchmarks import run

    run.ensure_tools()
    TMP.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": run.machine(),
        "git": git_state(),
    }
    log(f"JobCannon benchmarks, section 7 only, on {results['machine']}")
    started = time.monotonic()
    build_template()
    try:
        section(results)
    finally:
        drop_databases()
    out = results["hintless"]
    # Not latest.json (run.py's, all sections): this section's figures, for report.py.
    (TMP / "hintless.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"  section 7 took {time.monotonic() - started:.0f} s; figures in {TMP / 'hintless.json'}")
    sys.exit(1 if out["missed"] or out["problems"] else 0)


if __name__ == "__main__":
    main()
