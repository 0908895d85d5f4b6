"""`station desk` from the command line: accounts, and the server starting where it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.desk import Client


@pytest.mark.slow
def test_accounts_from_the_command_line_and_the_desk_serving(station):
    station.show()
    run = station.cli("desk")
    assert run.returncode == 1 and "no desk accounts yet" in run.stderr
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "station",
            "desk",
            "add-user",
            "ali",
            "--role",
            "coordinator",
            "--presenter-name",
            "Ali Khan",
            "--password-stdin",
            "--station",
            str(station.root),
        ],
        input="a good long password\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0 and "Made the coordinator account ali (named in episodes as Ali Khan)" in made.stdout
    short = subprocess.run(
        [
            sys.executable,
            "-m",
            "station",
            "desk",
            "add-user",
            "sam",
            "--password-stdin",
            "--station",
            str(station.root),
        ],
        input="short\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    listed = station.cli("desk", "users")
    assert "ali  coordinator  named in episodes as Ali Khan" in listed.stdout and "sam" not in listed.stdout
    assert "a good long password" not in (station.root / "records" / "desk.sqlite").read_bytes().decode("latin-1")

    server = subprocess.Popen(
        [sys.executable, "-m", "station", "desk", "--station", str(station.root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1"},
    )
    try:
        line = server.stdout.readline()
        base = re.search(r"(http://127\.0\.0\.1:\d+)/", line).group(1)
        c = Client(base)
        assert c.get("/").headers["Location"].startswith("/sign-in")
        c.sign_in("ali", "a good long password")
        assert "All episodes" in c.get("/").text
    finally:
        server.terminate()
        server.wait(timeout=10)
    removed = station.cli("desk", "remove-user", "ali")
    assert removed.returncode == 1 and "last coordinator" in removed.stderr
