"""The figures table: from one or more result files (medians across runs, since this machine is
shared and noisy), as Markdown, optionally written into README.md between the markers of its
Performance section.

    python3.11 benchmarks/report.py benchmarks/results/history/*.json            # print
    python3.11 benchmarks/report.py --readme benchmarks/results/history/*.json   # and write"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- benchmarks:begin -->", "<!-- benchmarks:end -->"


def _get(result: dict[str, Any], path: str) -> Any:
    value: Any = result
    for key in path.split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]  # "ratio_95.0": a bound of an interval
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return None
    return value


def _med(results: list[dict[str, Any]], path: str) -> float | None:
    values = [v for r in results if isinstance(v := _get(r, path), int | float) and v == v]
    return median(values) if values else None


def _fmt(value: float | None, spec: str = ".0f", suffix: str = "") -> str:
    return "–" if value is None else f"{value:{spec}}{suffix}"


def table(results: list[dict[str, Any]]) -> str:
    n = len(results)
    m = lambda path: _med(results, path)  # noqa: E731
    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, value: str, baseline: str, target: str) -> None:
        rows.append((what, value, baseline, target))

    for model, label in (("sync", "2 sync workers"), ("gthread", "2 workers × 8 threads (the default)")):
        if m(f"intake.{model}.ours.rps") is None:
            continue
        row(f"1. Intake, {label}: req/s", _fmt(m(f"intake.{model}.ours.rps")),
            f"bare {_fmt(m(f'intake.{model}.bare.rps'))}, minimal {_fmt(m(f'intake.{model}.minimal.rps'))}",
            "—")  # fmt: skip
        row(f"1. Intake, {label}: ratio vs minimal / vs bare", f"{_fmt(m(f'intake.{model}.ratio_vs_minimal'), '.2f')} / "
            f"{_fmt(100 * (m(f'intake.{model}.ratio_vs_bare') or 0), '.0f', ' %')}",
            f"minimal = {_fmt(100 * (m(f'intake.{model}.minimal_vs_bare') or 0), '.0f', ' %')} of bare",
            "≥ 1.0 / ≥ 35 %")  # fmt: skip
        row(f"1. Intake, {label}: p50 / p99", f"{_fmt(m(f'intake.{model}.ours.p50_ms'))} / "
            f"{_fmt(m(f'intake.{model}.ours.p99_ms'))} ms",
            f"minimal p99 {_fmt(m(f'intake.{model}.minimal.p99_ms'))} ms", "p99 < 100 ms")  # fmt: skip
    if m("intake.statements.statements") is not None:
        row("1. Intake: SQL statements / transactions per delivery, sync / threads",
            f"{_fmt(m('intake.statements.statements'))} / {_fmt(m('intake.sync.ours.xacts_per_event'), '.2f')} / "
            f"{_fmt(m('intake.gthread.ours.xacts_per_event'), '.2f')}",
            f"minimal {_fmt(m('intake.sync.minimal.xacts_per_event'), '.2f')} transactions", "one commit")  # fmt: skip
    for broker in ("redis", "orm"):
        if m(f"processing.{broker}.events_per_second") is not None:
            row(f"2. Processing, {broker} broker: events/s", _fmt(m(f"processing.{broker}.events_per_second")),
                f"queue alone (no-op tasks) {_fmt(m(f'processing.{broker}.noop_tasks_per_second'))}/s",
                "≥ 300/s" if broker == "redis" else "—")  # fmt: skip
            row(f"2. Processing, {broker}: lost / still pending", f"{_fmt(m(f'processing.{broker}.lost'))} / "
                f"{_fmt(m(f'processing.{broker}.still_pending'))}", "", "0 lost")  # fmt: skip
    if m("writeback.p95_ms") is not None:
        row("3. Submit → write-back visible: p50 / p95", f"{_fmt(m('writeback.p50_ms'))} / {_fmt(m('writeback.p95_ms'))} ms",
            f"with scorecard note p95 {_fmt(m('writeback.both_p95_ms'))} ms", "p95 < 2 s")  # fmt: skip
    for mode, label in (
        ("direct", "Redis"),
        ("direct-sqlite", "SQLite file"),
        ("http", "over HTTP to the simulator"),
    ):
        if m(f"limiter.{mode}.mean_ratio") is not None:
            row(f"4. Limiter ({label}): mean / worst 1-s window", f"{_fmt(100 * m(f'limiter.{mode}.mean_ratio'), '.0f', ' %')} / "
                f"{_fmt(m(f'limiter.{mode}.worst_window'))}", f"N = {_fmt(m('limiter.N'))}/s",
                f"≥ 90 % / ≤ {_fmt(m('limiter.N'))}")  # fmt: skip
    pages = _get(results[-1], "logs.pages") or {}
    for name in pages:
        row(f"5. Logs, {name}: p95 / queries", f"{_fmt(m(f'logs.pages.{name}.p95_ms'))} ms / {_fmt(m(f'logs.pages.{name}.queries'))}",
            f"SQL {_fmt(m(f'logs.pages.{name}.sql_ms'))} ms", "< 150 ms, constant")  # fmt: skip
    if m("purge.purged") is not None:
        complete = all(_get(r, "purge.complete") for r in results if _get(r, "purge"))
        row("6. Retention purge of 1,000,000 rows: total", (f"{_fmt(m('purge.seconds'))} s" if complete else
            f"not done in {_fmt(m('purge.budget_seconds'))} s: {_fmt(m('purge.purged'), ',.0f')} rows; projected "
            f"{_fmt(m('purge.projected_seconds'))} s"), f"{_fmt(m('purge.rows_per_second'), ',.0f')} rows/s", "< 60 s")  # fmt: skip
        row("6. Intake during the purge", _fmt(100 * (m("purge.intake_share") or 0), ".0f", " % of normal"),
            f"normal {_fmt(m('purge.normal_rps'))} req/s", "≥ 80 %")  # fmt: skip
    cases = {name: c for r in results for name, c in (_get(r, "hintless.cases") or {}).items()}
    for kind in dict.fromkeys(c["junk"] for c in cases.values()):
        own, seed = f"hintless.cases.own {kind}", f"hintless.cases.seed {kind}"
        row(f"7. Signed deliveries (2xx/s) with {kind} junk on / off (50 req/s, {_fmt(m(f'{own}.phase_seconds'))} s phases): own URL / seed route",
            f"{_fmt(m(f'{own}.ratio'), '.2f')} / {_fmt(m(f'{seed}.ratio'), '.2f')} (95 % interval "
            f"{_fmt(m(f'{own}.ratio_95.0'), '.2f')}-{_fmt(m(f'{own}.ratio_95.1'), '.2f')} / "
            f"{_fmt(m(f'{seed}.ratio_95.0'), '.2f')}-{_fmt(m(f'{seed}.ratio_95.1'), '.2f')}; lowest on-phase "
            f"{_fmt(m(f'{own}.pair_min'), '.2f')} / {_fmt(m(f'{seed}.pair_min'), '.2f')})",
            f"off {_fmt(m(f'{own}.ok_rps_alone'))} / {_fmt(m(f'{seed}.ok_rps_alone'))} 2xx/s", "≥ 0.90")  # fmt: skip
    if cases:
        lowest = [min(min(c["fresh_share_junk"], c["fresh_share_alone"]) for c in (_get(r, "hintless.cases") or {}).values())
                  for r in results if _get(r, "hintless.cases")]  # fmt: skip
        row("7. Fresh senders (signed, a new address each, seed route), junk on and off: answered 2xx",
            f"{_fmt(100 * median(lowest), '.0f', ' %')} (lowest case)", "", "≥ 90 %")  # fmt: skip
        failed = sum(1 for r in results if _get(r, "hintless.problems"))
        row("7. Checks: junk rate, junk in every on-second and never off, expected refusals, wrk covers the phases, no 5xx, last candidate",
            "all passed" if not failed else f"failed in {failed} of {n} runs", "", "all pass")  # fmt: skip
    dates = sorted({r.get("date", "") for r in results})
    head = (f"Medians of {n} run{'s' if n != 1 else ''} of `python3.11 benchmarks/run.py` ({dates[0]}"
            f"{' – ' + dates[-1] if len(dates) > 1 else ''}) on {results[-1].get('machine', '?')}, "
            f"commit {_get(results[-1], 'git.commit')} (+{_get(results[-1], 'git.uncommitted_app_files')} "
            "files others had not committed yet).\n\n")  # fmt: skip
    lines = ["| figure | measured | same-run baseline | target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return head + "\n".join(lines) + "\n"


def write_readme(results: list[dict[str, Any]]) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"README.md has no {BEGIN} … {END} block (in its Performance section)")
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    readme.write_text(before + BEGIN + "\n" + table(results) + END + after)


def main() -> None:
    files = [a for a in sys.argv[1:] if not a.startswith("--")]
    results = [json.loads(Path(f).read_text()) for f in files] or [
        json.loads((ROOT / "benchmarks" / "results" / "latest.json").read_text())
    ]
    print(table(results))
    if "--readme" in sys.argv:
        write_readme(results)


if __name__ == "__main__":
    main()
