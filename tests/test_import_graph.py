"""The four floors (DESIGN.md): agreement <- net <- nodes <- scenarios. No module imports a higher
floor, the import graph has no cycle, and a function-level import is allowed only for a heavy
optional dependency. The graph is built from the source with ``ast`` (module-level and
function-level imports alike), so a hidden cycle cannot pass."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = {"agreement": 0, "net": 1, "nodes": 2, "scenarios": 3}
HEAVY = ("numba", "matplotlib", "dask", "distributed", "sklearn", "scipy", "mlxtend",
         "agreement.rules.select_kernels")
"""What may be imported inside a function: third-party packages that cost seconds to import or are
optional, and the numba kernels (compiled on first use)."""
PURE_FORBIDDEN = ("trio", "socket", "asyncio", "time", "datetime", "importlib", "pathlib", "io", "shutil", "tempfile",
                  "subprocess", "threading", "multiprocessing", "concurrent")
"""``agreement/`` is pure: no trio, no I/O, no clocks, no import machinery (reading environment
switches is the use of ``os``) and no file access (:func:`test_agreement_touches_no_file`): the numba
kernels' generated sources are written to the user's cache by :mod:`scenarios.kernel_cache`, installed
into :mod:`agreement.rules.select_kernels` as a hook."""

FILE_IO_ALLOWED: set[str] = set()
FILE_IO_CALLS = {"makedirs", "mkdir", "replace", "rename", "remove", "unlink", "rmdir", "listdir", "scandir", "walk"}
"""``os.<name>(...)`` calls that touch the file system (and the builtin ``open``)."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    out = {}
    for top in FLOORS:
        for p in sorted((ROOT / top).rglob("*.py")):
            out[module_name(p)] = p
    return out


def imports_of(path: Path, modules: dict[str, Path]):
    """Yield (target module, line, inside a function, raw imported name) for each import of a jungle
    module. ``from package import name`` counts as importing ``package.name`` when that is a module."""
    tree = ast.parse(path.read_text(), str(path))
    me = module_name(path)
    is_pkg = path.name == "__init__.py"
    parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}

    def in_function(node) -> bool:
        a = parents.get(node)
        while a is not None:
            if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return True
            a = parents.get(a)
        return False

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno, in_function(node), a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".") if is_pkg else me.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for a in node.names:
                sub = f"{mod}.{a.name}"
                yield (sub if sub in modules else mod), node.lineno, in_function(node), sub


def graph():
    modules = sources()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    late = []
    impure = []
    for m, p in modules.items():
        for target, line, in_func, raw in imports_of(p, modules):
            heavy = any(raw == h or raw.startswith(h + ".") or target == h or target.startswith(h + ".") for h in HEAVY)
            if in_func and not heavy:
                late.append(f"{p.relative_to(ROOT)}:{line} imports {raw} inside a function")
            if m.split(".")[0] == "agreement" and target.split(".")[0] in PURE_FORBIDDEN:
                impure.append(f"{p.relative_to(ROOT)}:{line} imports {target}")
            if target.split(".")[0] in FLOORS and target in modules:
                edges[m].add(target)
    return modules, edges, late, impure


MODULES, EDGES, LATE, IMPURE = graph()


def test_the_graph_is_not_empty():
    assert len(MODULES) > 50 and sum(map(len, EDGES.values())) > 100


def test_no_upward_import():
    bad = [f"{m} ({m.split('.')[0]}) imports {t} ({t.split('.')[0]})" for m, ts in EDGES.items() for t in ts
           if FLOORS[t.split(".")[0]] > FLOORS[m.split(".")[0]]]
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycle():
    """Tarjan's strongly connected components: any component of two or more modules (or a self-loop,
    other than a package importing its own submodules) is a cycle."""
    index, low, on, stack, comps = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in EDGES[v]:
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
            comps.append(comp)

    import sys
    sys.setrecursionlimit(10_000)
    for v in EDGES:
        if v not in index:
            visit(v)
    cycles = [sorted(c) for c in comps if len(c) > 1]
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_function_level_imports_only_for_heavy_dependencies():
    assert not LATE, "\n".join(LATE)


def test_agreement_is_pure():
    assert not IMPURE, "\n".join(IMPURE)


def test_agreement_touches_no_file():
    """No module of agreement/ opens, writes or lists files."""
    bad = []
    for m, p in MODULES.items():
        if m.split(".")[0] != "agreement" or m in FILE_IO_ALLOWED:
            continue
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, ast.Call):
                fn = node.func
                opens = isinstance(fn, ast.Name) and fn.id == "open"
                os_call = (isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id == "os"
                           and fn.attr in FILE_IO_CALLS)
                name = "open" if opens else f"os.{fn.attr}" if os_call else None
                if name:
                    bad.append(f"{p.relative_to(ROOT)}:{node.lineno} calls {name}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("edge", [("agreement.rules", "scenarios.cli.main"), ("net.wire", "nodes.honest")])
def test_the_checker_catches_an_upward_edge(edge, monkeypatch):
    """The check itself can fail: add an upward edge and it is reported."""
    src, dst = edge
    monkeypatch.setitem(EDGES, src, EDGES[src] | {dst})
    with pytest.raises(AssertionError):
        test_no_upward_import()


def test_the_checker_catches_a_cycle(monkeypatch):
    monkeypatch.setitem(EDGES, "agreement.diameters", EDGES["agreement.diameters"] | {"agreement.rules"})
    monkeypatch.setitem(EDGES, "agreement.rules", EDGES["agreement.rules"] | {"agreement.diameters"})
    with pytest.raises(AssertionError):
        test_no_import_cycle()


def test_the_checker_catches_file_io(monkeypatch):

    bad = ROOT / "agreement" / "_probe_file_io.py"
    monkeypatch.setitem(MODULES, "agreement._probe_file_io", bad)
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: "open('x', 'w')\n" if self == bad else _read(self))
    with pytest.raises(AssertionError):
        test_agreement_touches_no_file()


_read = Path.read_text
