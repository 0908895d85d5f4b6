"""`python -m bench all`: each benchmark in its own process, one table of every figure against its aim."""

from __future__ import annotations

import subprocess
import sys

from bench import summary
from bench.__main__ import table
from tests.conftest import REPO


def test_a_benchmark_run_through_the_harness_comes_back_as_a_row_against_its_aim(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "bench", "all", "--quick", "--only", "feeds"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "bench.feeds:" in run.stdout and ", ok" in run.stdout
    row = next(line for line in run.stdout.splitlines() if line.startswith("feeds "))
    assert "render + Apple check, 300 episodes" in row and "≤" in row and " s " in row
    assert "quick: small inputs" in run.stdout


def test_the_table_says_met_or_not_met_each_way(monkeypatch, tmp_path):
    rows = [
        {"bench": "site", "figure": "no-change rebuild", "value": 0.8, "aim": 1.0, "unit": "s", "higher": False},
        {"bench": "publish", "figure": "first publish", "value": 1.2, "aim": 1.05, "unit": "×", "higher": False},
    ]
    lines = table(rows, quick=False).splitlines()
    assert lines[1].endswith(" met") and "0.80" in lines[1]
    assert lines[2].endswith("NOT met") and "1.20×" in lines[2]
    # Outside the harness, a benchmark's record goes nowhere.
    monkeypatch.delenv(summary.ENV, raising=False)
    summary.record("x", "y", 1.0, 1.0)
    monkeypatch.setenv(summary.ENV, str(tmp_path / "figures.jsonl"))
    summary.record("x", "y", 2.0, 1.0, unit="s")
    assert '"value": 2.0' in (tmp_path / "figures.jsonl").read_text()
