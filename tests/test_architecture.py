"""The package's shape, kept: no import cycles, and outside programs and libraries reached only through tools/.

Read from the source with `ast`, so nothing is imported and the checks take
a fraction of a second. Imports inside functions count as much as those at
the top (they are how a cycle hides); those under `if TYPE_CHECKING:` do not,
as they never run.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "station"

# Each outside library, and the one module of tools/ that may import it (its docstring says so): swapping
# the library is then a change to that module alone.
OWNERS = {
    "subprocess": "station.tools.ffmpeg",  # every outside program the station runs is ffmpeg
    "imageio_ffmpeg": "station.tools.ffmpeg",  # where the ffmpeg binary is
    "pydub": "station.tools.ffmpeg",  # pointed at that same binary, were short clips edited in memory
    "faster_whisper": "station.tools.whisper",
    "ctranslate2": "station.tools.whisper",
    "mutagen": "station.tools.id3",
    "ruamel": "station.tools.yaml_edit",
    "boto3": "station.tools.s3",
    "botocore": "station.tools.s3",
    "fpdf": "station.tools.pdf",
    "dask": "station.tools.dask",
    "distributed": "station.tools.dask",
    "PIL": "station.tools.images",  # Pillow: the website's image sizes
    "babel": "station.tools.locale",  # catalogues and dates in the station's language
}
# Ways of starting another program that do not go through `import subprocess`.
LAUNCHERS = {
    ("os", name)
    for name in (
        "system",
        "popen",
        "posix_spawn",
        "posix_spawnp",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "spawnv",
        "spawnve",
        "spawnvp",
        "spawnvpe",
        "spawnl",
        "spawnle",
        "spawnlp",
        "spawnlpe",
        "fork",
        "forkpty",
    )
} | {("asyncio", "create_subprocess_exec"), ("asyncio", "create_subprocess_shell"), ("pty", "spawn")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import that can run: at the top or in a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
    return found


def _graph() -> dict[str, dict[str, int]]:
    """station module → {station module it imports: the line of the first such import}."""
    graph: dict[str, dict[str, int]] = {}
    for name, path in MODULES.items():
        edges: dict[str, int] = {}
        for module, names, line in _imports(path):
            if module.split(".")[0] != "station":
                continue
            # `from station.desk import gate` imports the module station.desk.gate; `from station.config import
            # Config` imports station.config.
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES] or [module]
            for target in targets:
                while target not in MODULES and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target != name and target in MODULES:
                    edges.setdefault(target, line)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) through each strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm; the package is far too shallow for recursion to matter
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for group in groups:
        start = min(group)
        # Breadth-first within the group, for the shortest way back to the start.
        paths = {start: [start]}
        queue = [start]
        while queue:
            v = queue.pop(0)
            for w in sorted(graph[v]):
                if w == start:
                    cycles.append(paths[v] + [start])
                    queue = []
                    break
                if w in group and w not in paths:
                    paths[w] = paths[v] + [w]
                    queue.append(w)
    return cycles


def test_the_cycle_finder_finds_a_cycle_and_says_where():
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 8}, "d": {"a": 1}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b": 1}, "b": {}}) == []


def test_imports_inside_functions_count_and_those_for_type_checkers_do_not(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import station.config\n"
        "if TYPE_CHECKING:\n"
        "    from station.cli import app\n"
        "def later():\n"
        "    from station.desk import gate, pages\n",
        encoding="utf-8",
    )
    assert _imports(source) == [
        ("typing", ["TYPE_CHECKING"], 1),
        ("station.config", [], 2),
        ("station.desk", ["gate", "pages"], 6),
    ]


def test_no_station_module_imports_itself_round_a_circle():
    graph = _graph()
    said = [
        " → ".join(f"{a} (line {graph[a][b]})" for a, b in itertools.pairwise(cycle)) + f" → {cycle[-1]}"
        for cycle in _cycles(graph)
    ]
    assert said == [], "import cycles:\n" + "\n".join(said)


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_an_outside_library_is_imported_only_by_its_tools_module(library):
    importers = sorted(
        f"{name} line {line}"
        for name, path in MODULES.items()
        for module, _, line in _imports(path)
        if module.split(".")[0] == library and name != OWNERS[library]
    )
    assert importers == [], f"{library} is {OWNERS[library]}'s to import; also imported by: {', '.join(importers)}"


def test_each_owner_says_in_its_docstring_that_it_is_the_only_one():
    for owner in sorted(set(OWNERS.values())):
        doc = ast.get_docstring(ast.parse(MODULES[owner].read_text(encoding="utf-8"))) or ""
        assert "The only module that" in doc, f"{owner}'s docstring should say what it alone imports or runs"


def test_no_module_outside_tools_starts_another_program():
    found = []
    for name, path in MODULES.items():
        if name.startswith("station.tools."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (node.value.id, node.attr) in LAUNCHERS
            ):
                found.append(f"{name} line {node.lineno}: {node.value.id}.{node.attr}")
        for module, names, line in _imports(path):
            found += [f"{name} line {line}: from {module} import {n}" for n in names if (module, n) in LAUNCHERS]
    assert found == []
