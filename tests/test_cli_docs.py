"""docs/cli.md carries every command's --help as the commands print it; `station --version` names the package's."""

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _python(*args: str) -> subprocess.CompletedProcess:
    # This checkout's station, whichever copy the environment has installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_cli_docs_are_made_from_the_commands():
    done = _python("-m", "cogapp", "--check", "--diff", "docs/cli.md")
    assert done.returncode == 0, (
        "docs/cli.md no longer matches the commands' --help: run `python -m cogapp -r docs/cli.md` "
        f"and commit the result.\n{done.stdout}{done.stderr}"
    )


def test_version_is_the_installed_package_version():
    done = _python("-m", "station", "--version")
    assert (done.returncode, done.stdout) == (0, f"station {version('peerwave-station')}\n")
