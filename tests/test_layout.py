"""The package's shape, read statically from the source: no import circle inside
``src/assistant`` (lazy imports inside functions count too), every module opens with a docstring
that says what it owns, and a module over 300 lines says in that docstring why it is longer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
MAX_LINES = 300
REASON = re.compile(r"Longer than 300 lines(:| because) \w+")


def modules(src: Path, package: str = "assistant") -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` under ``src``."""
    out = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of the package that ``name`` imports anywhere in its file."""
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else [])) if node.level \
                else node.module or ""
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    return {m for m in found if m in known and m != name}


def circles(src: Path) -> list[list[str]]:
    """Every import circle, as the modules on it (strongly connected components of two or more)."""
    known = modules(src)
    graph = {name: imports(name, path, known) for name, path in known.items()}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        order[v] = low[v] = len(order)
        stack.append(v)
        for w in graph[v]:
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            component = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in order:
            visit(v)
    return out


def test_no_module_imports_itself_through_others():
    assert circles(SRC) == []


def test_an_import_circle_is_found_even_through_a_lazy_import(tmp_path):
    package = tmp_path / "assistant"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from ..c import g\n")
    (package / "c.py").write_text("from . import a\n")
    (package / "d.py").write_text("from .a import x\n")

    assert circles(tmp_path) == [["assistant.a", "assistant.c", "assistant.sub.b"]]


def test_every_module_opens_with_a_docstring():
    missing = [str(p.relative_to(SRC)) for p in modules(SRC).values() if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert missing == []


def test_a_module_over_300_lines_says_why_in_its_docstring():
    long = {}
    for path in modules(SRC).values():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_LINES and not REASON.search(ast.get_docstring(ast.parse(text)) or ""):
            long[str(path.relative_to(SRC))] = lines
    assert long == {}, "say 'Longer than 300 lines: <why>' in the module docstring, or split the module"
