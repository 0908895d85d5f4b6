"""The long hunt: every property test of the station's boundaries under Hypothesis's "long" profile.

CI runs the same tests with the bounded "ci" profile (40 derandomised examples
each, tests/conftest.py); this runs 2,000 fresh random examples each, to find
what a bounded run cannot. It prints each file's time and the peak memory of
the run, and exits non-zero when a property fails (Hypothesis prints the
smallest failing example, ready to add to a hostile corpus).

    python -m bench.properties            # all property files
    python -m bench.properties desk       # only the files whose name has "desk"
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ["tests/test_text_boundaries.py", "tests/test_schedule_properties.py", "tests/test_desk_properties.py"]


def main(argv: list[str]) -> int:
    wanted = [f for f in FILES if not argv or any(a in f for a in argv)]
    env = {**os.environ, "HYPOTHESIS_PROFILE": "long"}
    failed = 0
    for path in wanted:
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path], cwd=ROOT, env=env)
        print(f"{path}: {'passed' if run.returncode == 0 else 'FAILED'} in {time.perf_counter() - started:.0f} s")
        failed += run.returncode != 0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of one run: {peak:.0f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
