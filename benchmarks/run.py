#!/usr/bin/env python3
"""JobCannon benchmarks: one command, real servers, same-run baselines, ratios.

    python3.11 benchmarks/run.py                      # every section (< 10 minutes on 2 cores)
    python3.11 benchmarks/run.py intake limiter       # some sections
    python3.11 benchmarks/run.py --readme             # ... and write the figures to README.md
    python3.11 benchmarks/run.py processing --profile # ... with py-spy on the busy processes

Sections: intake, processing, writeback, limiter, logs, purge, hintless (purge reuses the million rows
the logs section loaded when both run). Uses the production settings (benchmarks/settings.py
adds two baseline views), the repo's gunicorn.conf.py, PostgreSQL (127.0.0.1:5432, databases
jobcannon_bench and jobcannon_bench_template, recreated) and Redis (127.0.0.1:6379 db 14,
flushed). Sends traffic only to 127.0.0.1. Prints each figure next to its baseline or target
and writes benchmarks/results/latest.json (plus a dated copy in results/history/)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"

if Path(sys.prefix).resolve() != VENV.resolve():  # run with the project's virtualenv
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "dev.py", "install-only"], cwd=ROOT, check=False)
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), __file__, *sys.argv[1:]])

sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402
from benchmarks.common import RESULTS, TMP, build_template, drop_databases, log  # noqa: E402


def ensure_tools() -> None:
    if shutil.which("wrk") is None:
        prefix = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*prefix, "apt-get", "install", "-y", "-q", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # fmt: skip


def sections() -> dict:
    from benchmarks import hintless, intake, limiter, logs, processing, purge, writeback

    return {"intake": intake.section, "processing": processing.section, "writeback": writeback.section,
            "limiter": limiter.section, "logs": logs.section, "purge": purge.section,
            "hintless": hintless.section}  # fmt: skip


def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))  # fmt: skip
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores {platform.machine()} {cpu}, load {load:.1f} at start".strip()


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    available = sections()
    wanted = args or list(available)
    unknown = [w for w in wanted if w not in available]
    if unknown:
        raise SystemExit(f"unknown section(s) {unknown}; choose from {list(available)}")
    ensure_tools()
    if "--profile" in flags:
        os.environ["BENCH_PROFILE"] = "1"  # sections 2 and 6 attach py-spy to the busy processes
    TMP.mkdir(parents=True, exist_ok=True)
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
                     "git": common.git_state(), "sections": wanted}  # fmt: skip
    started = time.monotonic()
    log(f"JobCannon benchmarks {results['date']} on {results['machine']}")
    results["template_seconds"] = round(build_template(), 1)
    try:
        for name in wanted:
            t0 = time.monotonic()
            available[name](results)
            results.setdefault("seconds", {})[name] = round(time.monotonic() - t0)
    finally:
        results["total_seconds"] = round(time.monotonic() - started)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "history").mkdir(exist_ok=True)
        results.pop("_logs_seed", None)  # session keys of the bench users: not for the results file
        text = json.dumps(results, indent=2, default=str)
        (RESULTS / "latest.json").write_text(text)
        (RESULTS / "history" / time.strftime("%Y%m%d-%H%M%S.json", time.gmtime())).write_text(text)
        if "--keep-db" not in flags:
            drop_databases()
    log(f"\nTotal {results['total_seconds']} s (sections: {results.get('seconds')}). "
        "Figures in benchmarks/results/latest.json")  # fmt: skip
    if "--readme" in flags:
        from benchmarks import report

        report.write_readme([results])


if __name__ == "__main__":
    main()
