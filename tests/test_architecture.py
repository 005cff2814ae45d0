"""The layering rules of docs/authoring.md, checked on the source: no import circles, one event loop, one owner of
published times, no private names across modules, and models that never import plots or widgets."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "course_lib"
MODULES = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
           for p in LIB.rglob("*.py")}
PRESENTATION = ("course_lib.plots", "course_lib.experiments", "course_lib.widgets", "course_lib.checks")


def _imports(name: str) -> list[tuple[str, list[str]]]:
    """Return (module, imported names) for every import in module *name*, function-level imports included."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for m in MODULES:
        for target, names in _imports(m):
            for candidate in [target, *(f"{target}.{n}" for n in names)]:
                if candidate in MODULES and candidate != m and not m.startswith(candidate + "."):
                    graph[m].add(candidate)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circles():
    """No two course_lib modules import each other, directly or round a loop (late imports included)."""
    assert _cycles(_graph()) == []


def test_models_never_import_presentation():
    """Models import neither plots, widgets, experiments nor checks."""
    bad = [(m, t) for m, targets in _graph().items() if not m.startswith(PRESENTATION)
           for t in targets if t.startswith(PRESENTATION)]
    assert bad == []


def test_no_private_names_across_modules():
    """No module imports another module's private (_underscore) names."""
    bad = [(m, target, n) for m in MODULES for target, names in _imports(m)
           for n in names if n.startswith("_") and n != "__future__" and target != "__future__"]
    assert bad == []


def test_one_event_loop():
    """Only course_lib/events.py keeps an event heap."""
    users = sorted(m for m, p in MODULES.items() if re.search(r"\bheapq\b", p.read_text(encoding="utf-8")))
    assert users == ["course_lib.events"]


CLOCK = re.compile(r"""["'](?:[01]\d|2[0-3]):[0-5]\d["']""")
# Clock-time literals allowed outside the timeline: Chapter 0's exercise probes the night's clock on purpose.
ALLOWED_CLOCKS = {"course_lib.timeline", "course_lib.checks.ch00"}


def test_published_times_live_in_the_timeline():
    """No module but timeline types a clock time such as "05:28" (docstrings and comments aside)."""
    bad = {}
    for m, p in MODULES.items():
        if m in ALLOWED_CLOCKS:
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        hits = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                and id(n) not in docs and CLOCK.fullmatch(repr(n.value))]
        if hits:
            bad[m] = hits
    assert bad == {}
