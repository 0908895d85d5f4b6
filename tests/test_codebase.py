"""bench/codebase.py, the measure of the code's shape: it finds a cycle hidden in a function, and only real ones."""

from bench import codebase


def _package(root, files: dict[str, str]):
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_cycles_through_function_level_and_relative_imports_and_not_type_checking_ones(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "a.py": "from pkg import b\nimport pkg.c\n",
            "b.py": "def later():\n    from . import a\n",
            "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import thing\n",
            "d.py": "import os\nimport pkg.e.deep\n",
            "e.py": "import pkg.d\n",
        },
    )
    graph = codebase.edges(codebase.read(pkg))
    assert graph["pkg.c"] == {}
    assert graph["pkg.b"] == {"pkg.a": "pkg/b.py:2"}
    assert codebase.cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"], ["pkg.d", "pkg.e", "pkg.d"]]


def test_the_report_names_the_longest_function_and_class(tmp_path):
    pkg = _package(
        tmp_path / "pkg",
        {
            "__init__.py": "",
            "m.py": "class Big:\n    def long(self):\n        x = 1\n        return x\n\n\ndef short():\n    pass\n",
        },
    )
    text = codebase.report(pkg)
    assert "2 modules, 8 lines" in text
    assert "Longest function: pkg.m:Big.long, 3 lines" in text
    assert "Longest class: pkg.m:Big, 4 lines" in text
    assert "Import cycles (imports inside functions included): none" in text
