"""One line a figure: what a benchmark measured, against its aim, for `python -m bench all` to gather.

A benchmark calls `record(...)` where it prints a ratio. Run on its own, nothing is written; under
`python -m bench all` the harness names a file in PEERWAVE_BENCH_SUMMARY and each record is a JSON line there.
"""

from __future__ import annotations

import json
import os

ENV = "PEERWAVE_BENCH_SUMMARY"


def record(bench: str, figure: str, value: float, aim: float, unit: str = "×", higher_is_better: bool = False) -> None:
    """`value` against `aim` (a ceiling, or a floor with `higher_is_better`); `unit` is how both are read."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = {"bench": bench, "figure": figure, "value": value, "aim": aim, "unit": unit, "higher": higher_is_better}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
