"""The shape of the code: the longest functions and classes, and the import cycles (issue 16's measure).

Read with `ast` alone, so it measures any checkout without importing it (the tree before a move as well
as after). Lines run from a `def` or `class` line to its last line, decorators left out. Every import
counts, those inside functions too (a cycle hidden in a function still ties two modules together),
except those under `if TYPE_CHECKING:`, which never run.

    python -m bench.codebase                         # this checkout's station/
    python -m bench.codebase --root ../other/station
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

TOP = 5
MOST_CYCLES = 50  # listed at most: a badly tangled tree has more cycles than anyone reads


@dataclass(frozen=True)
class Span:
    name: str  # module:Qualified.name
    lines: int
    where: str  # file:line, from the folder above the root


@dataclass(frozen=True)
class Edge:
    target: str
    where: str


@dataclass
class Module:
    name: str
    path: Path
    lines: int
    functions: list[Span] = field(default_factory=list)
    classes: list[Span] = field(default_factory=list)
    imports: list[Edge] = field(default_factory=list)


def module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read(root: Path) -> dict[str, Module]:
    modules = {}
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        name = module_name(root, path)
        module = Module(name, path, len(text.splitlines()))
        _walk(ast.parse(text, str(path)), module, root.parent, [], package=_package(name, path))
        modules[name] = module
    return modules


def _package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _walk(node: ast.AST, module: Module, base: Path, scope: list[str], package: str) -> None:
    where = module.path.relative_to(base)
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:  # the `else:` of TYPE_CHECKING does run
                _walk(other, module, base, scope, package)
            continue
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qualified = [*scope, child.name]
            span = Span(
                f"{module.name}:{'.'.join(qualified)}",
                (child.end_lineno or child.lineno) - child.lineno + 1,
                f"{where}:{child.lineno}",
            )
            (module.classes if isinstance(child, ast.ClassDef) else module.functions).append(span)
            _walk(child, module, base, qualified, package)
            continue
        if isinstance(child, ast.Import):
            module.imports += [Edge(alias.name, f"{where}:{child.lineno}") for alias in child.names]
        elif isinstance(child, ast.ImportFrom):
            source = _absolute(child, package)
            # `from a import b` reaches the module a.b when there is one, else a itself: resolved in edges().
            module.imports += [Edge(f"{source}\0{alias.name}", f"{where}:{child.lineno}") for alias in child.names]
        _walk(child, module, base, scope, package)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def edges(modules: dict[str, Module]) -> dict[str, dict[str, str]]:
    """module → {module it imports: where the first such import is}, for modules of this tree only."""
    graph: dict[str, dict[str, str]] = {name: {} for name in modules}
    for name, module in modules.items():
        for edge in module.imports:
            source, _, member = edge.target.partition("\0")
            target = f"{source}.{member}" if member and f"{source}.{member}" in modules else source
            while target and target not in modules:  # `import a.b.c` of a name inside a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].setdefault(target, edge.where)
    return graph


def cycles(graph: dict[str, dict[str, str]], most: int = MOST_CYCLES) -> list[list[str]]:
    """Every elementary import cycle, each once (from its smallest module name), at most `most` of them."""
    found: list[list[str]] = []
    for component in _components(graph):
        if len(component) < 2:
            continue
        members = set(component)
        for start in component:
            # Only through modules named after `start`, so a cycle is found once, from its first member.
            allowed = {m for m in members if m > start}
            stack = [(start, [start])]
            while stack and len(found) < most:
                node, path = stack.pop()
                for target in sorted(graph[node], reverse=True):
                    if target == start:
                        found.append([*path, start])
                    elif target in allowed and target not in path:
                        stack.append((target, [*path, target]))
    return sorted(found[:most], key=lambda c: (len(c), c))


def _components(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, without recursion (a long chain of imports cannot overflow)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(sorted(component))
    return out


def report(root: Path) -> str:
    modules = read(root)
    functions = sorted((s for m in modules.values() for s in m.functions), key=lambda s: (-s.lines, s.name))
    classes = sorted((s for m in modules.values() for s in m.classes), key=lambda s: (-s.lines, s.name))
    graph = edges(modules)
    found = cycles(graph)
    tangles = [c for c in _components(graph) if len(c) > 1]
    out = [
        f"{root}: {len(modules)} modules, {sum(m.lines for m in modules.values()):,} lines",
        "",
        f"Longest function: {functions[0].name}, {functions[0].lines} lines" if functions else "No functions",
        f"Longest class: {classes[0].name}, {classes[0].lines} lines" if classes else "No classes",
        "",
        f"The {TOP} longest functions (lines):",
        *(f"  {s.lines:5}  {s.name}  ({s.where})" for s in functions[:TOP]),
        f"The {TOP} longest classes (lines):",
        *(f"  {s.lines:5}  {s.name}  ({s.where})" for s in classes[:TOP]),
        "",
        f"Import cycles (imports inside functions included): {len(found) or 'none'}",
        *("  " + " → ".join(cycle) for cycle in found),
    ]
    if len(found) == MOST_CYCLES:
        out.append(f"  (the first {MOST_CYCLES} listed; there may be more)")
    for tangle in tangles:  # where to cut: every import between the modules of one tangle
        out.append(f"  the imports among {', '.join(tangle)}:")
        out += [f"    {a} → {b} at {graph[a][b]}" for a in tangle for b in sorted(graph[a]) if b in tangle]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "station",
        help="the package folder to measure (default: this checkout's station/)",
    )
    args = parser.parse_args(argv)
    if not (args.root / "__init__.py").is_file():
        parser.error(f"{args.root} is not a Python package folder (it has no __init__.py)")
    print(report(args.root.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
