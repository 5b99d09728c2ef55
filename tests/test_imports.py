"""The layering rules, read from the source: which module may import which.

* The numerical core (activations, costs, the engine and its fast path, the
  training loop, networks, groups, the neuron, histories, checks) imports only
  the standard library, NumPy, SciPy, threadpoolctl and itself: no files,
  plots, CLI, web, data loading, saving, SymPy.
* No costlab module imports another that imports it back, directly or around
  a circle.
* The web layer does not import the command line.

Every ``import`` statement counts, also those inside functions (where costlab
imports heavy libraries lazily).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import costlab

SRC = Path(costlab.__file__).parent
CORE = {
    "costlab._kernels", "costlab._kernel_codes", "costlab.activations", "costlab.hooks", "costlab.checks", "costlab.costs", "costlab.engine", "costlab.fast",
    "costlab.group", "costlab.history", "costlab.network", "costlab.neuron", "costlab.training",
}
#: The one arrow out of the core: a result's ``.plot(ax=None)`` (History, NeuronRun) hands the
#: drawing to the view layer, imported inside that method only; costlab.display imports no core
#: module back, so no cycle forms.
CORE_PLOT_VIEW = "costlab.display"
CORE_MAY_IMPORT = {"numpy", "scipy", "threadpoolctl", "ctypes"}  # ctypes: the compiled kernel (C, built with the package)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """Every module ``name`` imports, anywhere in its source; costlab modules resolved to files."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:  # from costlab import engine: the submodule, not the package
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
    return found


def costlab_imports(name: str) -> set[str]:
    out = set()
    for target in imports_of(name):
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != name:
            out.add(target)
    return out


def plot_only_imports(name: str, target: str) -> bool:
    """Whether every import of ``target`` in module ``name`` sits inside a function named plot."""
    tree = ast.parse(MODULES[name].read_text())
    inside = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.name == "plot":
            inside.update(id(node) for node in ast.walk(fn))
    return all(id(node) in inside for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == target)


def test_the_modules_are_found():
    assert {"costlab", "costlab.engine", "costlab.fast", "costlab.training", "costlab.cli"} <= set(MODULES)


@pytest.mark.parametrize("name", sorted(CORE & set(MODULES)))
def test_the_core_imports_only_numerics_and_itself(name):
    for target in imports_of(name):
        top = target.split(".")[0]
        if top == "costlab":
            resolved = target
            while resolved not in MODULES:
                resolved = resolved.rpartition(".")[0]
            if resolved == CORE_PLOT_VIEW:
                assert plot_only_imports(name, resolved), f"{name} imports {resolved} outside a plot method"
                continue
            assert resolved in CORE, f"{name} imports {target}, outside the numerical core"
        else:
            assert top in sys.stdlib_module_names or top in CORE_MAY_IMPORT or top == "__future__", \
                f"{name} imports {target}"


def test_no_import_cycles():
    graph = {name: costlab_imports(name) - {"costlab"} for name in MODULES}
    # the package's own __init__ only names its public parts (loaded on first use)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_the_web_layer_does_not_import_the_command_line():
    for name in MODULES:
        if name.startswith("costlab.web"):
            assert not any(t.startswith("costlab.cli") for t in costlab_imports(name)), name


def test_the_rules_see_imports_inside_functions(tmp_path, monkeypatch):
    # the reader must not miss a lazy import: a core module importing the saving layer in a method
    fake = tmp_path / "costlab"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "saving.py").write_text("")
    (fake / "network.py").write_text("def save(self):\n    from costlab.saving import save\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    monkeypatch.setattr(sys.modules[__name__], "MODULES", {module_name(p): p for p in fake.rglob("*.py")})
    assert "costlab.saving" in costlab_imports("costlab.network")


def test_only_the_torch_bridge_imports_torch():
    # torch is optional (pip install "costlab[torch]"): the core and every other layer run without it
    for name in MODULES:
        if name == "costlab.torch" or name.startswith("costlab.torch."):
            continue
        assert not any(t == "torch" or t.startswith("torch.") for t in imports_of(name)), name
    assert "torch" in imports_of("costlab.torch")


def test_the_torch_bridge_imports_the_core_not_the_other_way():
    bridge = {name for name in MODULES if name.startswith("costlab.torch")}
    for name in CORE & set(MODULES):
        assert not costlab_imports(name) & bridge, name


def test_costlab_help_does_not_load_torch():
    import subprocess

    code = ("import sys\nfrom costlab.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules, 'costlab.torch' in sys.modules, file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stderr.strip().splitlines()[-1] == "False False", p.stderr
