"""Every benchmark from one command, and one table of every figure against its aim.

    .venv/bin/python -m bench all            # the full runs, as bench/README.md records them (about 15 minutes)
    .venv/bin/python -m bench all --quick    # small inputs, about 2 minutes: a regression shows, noise does not fail
    .venv/bin/python -m bench all --only site publish

Each benchmark runs in its own process (`python -m bench.NAME ...`), so one's memory and state do not
carry into the next; what it prints goes to bench/out/all-NAME.log, and the figures it records
(bench/summary.py) come back for the table. Quick figures are for seeing a regression, not for
bench/README.md: small inputs weigh fixed costs more. Run it under the shared lock:

    flock /tmp/peerwave-cpu.lock .venv/bin/python -m bench all --quick

It prints and never fails on a missed aim (a shared 2-core VM varies by ±20 %); it exits 1 only when a
benchmark itself failed to run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import summary

OUT = Path(__file__).resolve().parent / "out"

# name: (full arguments, quick arguments). The stream and desk benchmarks are run on their own (a night in real
# time; uploads of hundreds of MB): see bench/README.md.
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    "site": ([], ["--episodes", "150", "--resources", "30", "--repeat", "1", "--quick"]),
    "loudness": ([], ["--minutes", "3", "--repeat", "1", "--quick"]),
    "publish": ([], ["--mp3s", "10", "--long", "1", "--long-mb", "70", "--repeat", "1", "--no-memory"]),
    "feeds": ([], ["--episodes", "300", "--repeat", "1", "--no-memory"]),
    "transcribe": ([], ["--minutes", "0.5", "--repeat", "1", "--no-memory"]),
    "scale": ([], ["--quick"]),
}


def run(name: str, args: list[str], records: Path) -> tuple[float, int]:
    log = OUT / f"all-{name}.log"
    t = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        rc = subprocess.call(
            [sys.executable, "-m", f"bench.{name}", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, summary.ENV: str(records)},
        )
    return time.perf_counter() - t, rc


def table(rows: list[dict], quick: bool) -> str:
    lines = [f"{'bench':<11} {'figure':<62} {'value':>10} {'aim':>10}  "]
    for r in rows:
        unit = r["unit"]
        met = r["value"] >= r["aim"] if r["higher"] else r["value"] <= r["aim"]
        sign = "≥" if r["higher"] else "≤"
        lines.append(
            f"{r['bench']:<11} {r['figure'][:62]:<62} {r['value']:>9.2f}{unit[:1] if unit == '×' else ''} "
            f"{sign}{r['aim']:>8g}{'' if unit == '×' else ' ' + unit:<4} {'met' if met else 'NOT met'}"
        )
    if quick:
        lines.append("(quick: small inputs, for seeing a regression; bench/README.md records the full runs)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["all"], help="all: every benchmark, then the summary table")
    parser.add_argument("--quick", action="store_true", help="small inputs, about 2 minutes in all")
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), help="just these benchmarks")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "figures.jsonl"
        records.touch()
        for name in args.only or BENCHES:
            full, quick = BENCHES[name]
            seconds, rc = run(name, quick if args.quick else full, records)
            state = "ok" if rc == 0 else f"FAILED (exit {rc}; see bench/out/all-{name}.log)"
            print(f"bench.{name}: {seconds:.0f} s, {state}", flush=True)
            if rc:
                failed.append(name)
        rows = [json.loads(line) for line in records.read_text(encoding="utf-8").splitlines() if line]
    print()
    print(table(rows, args.quick))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
