"""The package's layers (ARCHITECTURE.md): every import of arraylr's own modules
points down, so there is no circle and a step's route goes down the layers and
back up once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "arraylr"

LAYERS: list[tuple[str, list[str]]] = [
    (
        "ground",
        ["_version", "_validation", "_scalar", "_exact"]
        + ["_numpy_namespace", "_torch_namespace"],
    ),
    ("arrays", ["_backend"]),
    ("parameters", ["_parameters"]),
    ("contract", ["_phases", "_roles", "base"]),
    # every module of the package, none importing another; then the package
    ("families", ["families.*", "families"]),
    ("composition", ["composite", "population"]),
    (
        "integrations",
        ["config", "torch", "keras", "deepmd", "_deepmd_plugin", "_deepmd_schema"]
        + ["testing._backends", "testing", "testing.strategies"],
    ),
    ("cli", ["cli", "__main__"]),
]
"""Bottom to top.  A module may import the modules listed before it (lower
layers, and earlier modules of its own layer), never one listed after it.
``package.*`` is every module of a package, at one rank: a new module there
needs no entry, and none of them imports another."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


FOUND = sorted(_module_name(p) for p in SRC.rglob("*.py") if _module_name(p))


def _ranks() -> dict[str, tuple[str, int]]:
    ranks: dict[str, tuple[str, int]] = {}
    for rank, (layer, entry) in enumerate(
        (layer, entry) for layer, entries in LAYERS for entry in entries
    ):
        if entry.endswith(".*"):
            package = entry[:-2] + "."
            for module in FOUND:
                if module.startswith(package) and "." not in module[len(package) :]:
                    ranks[module] = (layer, rank)
        else:
            ranks[entry] = (layer, rank)
    return ranks


RANK = _ranks()


def _arraylr_imports(source: str, module: str, package: bool) -> list[tuple[int, str]]:
    """``(line, module)`` for every import of an arraylr module in ``source`` (the
    text of ``module``, a package's ``__init__`` when ``package``): at the top,
    inside functions and under ``TYPE_CHECKING`` alike."""
    parts = module.split(".") if module else []
    here = parts if package else parts[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            named = node.module.split(".") if node.module else []
            if node.level:
                target = [*here[: len(here) - (node.level - 1)], *named]
            elif named and named[0] == "arraylr":
                target = named[1:]
            else:
                continue
            for alias in node.names:
                # ``from . import name``/``from .pkg import name``: the submodule
                # where one of that name exists, else the module (or package)
                sub = ".".join([*target, alias.name])
                whole = ".".join(target)
                found.append((node.lineno, sub if sub in RANK or not whole else whole))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "arraylr":
                    found.append((node.lineno, ".".join(alias.name.split(".")[1:])))
    return found


def _upward(module: str, imports: list[tuple[int, str]]) -> list[str]:
    """The imports of ``module`` that do not point below it."""
    rank = RANK[module][1]
    wrong = []
    for line, target in imports:
        if target not in RANK:  # ``from . import __version__``: the package's name
            target = target.rsplit(".", 1)[0] if "." in target else ""
        if target not in RANK:
            wrong.append(f"line {line}: the package itself (import a module instead)")
        elif RANK[target][1] >= rank:
            wrong.append(f"line {line}: {target} ({RANK[target][0]})")
    return wrong


MODULES = sorted(p for p in SRC.rglob("*.py") if _module_name(p))


def test_every_module_has_a_layer() -> None:
    names = {_module_name(p) for p in MODULES}
    assert names == set(RANK), (
        f"modules without a layer: {sorted(names - set(RANK))}; "
        f"layers naming no module: {sorted(set(RANK) - names)}"
    )


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_imports_point_down(path: Path) -> None:
    here = _module_name(path)
    imports = _arraylr_imports(path.read_text(), here, path.name == "__init__.py")
    wrong = _upward(here, imports)
    assert not wrong, f"{here} ({RANK[here][0]}) imports upwards: " + "; ".join(wrong)


def test_an_upward_import_is_caught() -> None:
    # the checker itself, on the circle this layering removed (and on the other
    # spellings of an import)
    source = (SRC / "_backend.py").read_text()
    assert _upward("_backend", _arraylr_imports(source, "_backend", False)) == []
    for extra, named in [
        ("if TYPE_CHECKING:\n    from .base import BaseLR\n", "base"),
        ("def f():\n    from . import composite\n", "composite"),
        ("import arraylr.config\n", "config"),
        ("from arraylr.testing import strategies\n", "testing.strategies"),
    ]:
        text = source + "\n" + extra
        wrong = _upward("_backend", _arraylr_imports(text, "_backend", False))
        assert len(wrong) == 1 and named in wrong[0], (extra, wrong)
    imports = _arraylr_imports("from ..testing import strategies\n", "testing", True)
    assert imports == [(1, "testing.strategies")]
    wrong = _upward(
        "cli", _arraylr_imports("from . import __version__\n", "cli", False)
    )
    assert wrong == ["line 1: the package itself (import a module instead)"]
    # a family importing another family (one rank: neither may)
    sibling = _arraylr_imports("from .cosine import X\n", "families.cyclic", False)
    assert sibling == [(1, "families.cosine")]
    assert _upward("families.cyclic", sibling) == ["line 1: families.cosine (families)"]
    # a new module of the package has its layer without an entry in LAYERS
    assert RANK["families.cosine"] == RANK["families.wsd"]


def test_backend_calls_no_schedule() -> None:
    # the arrays layer prepares steps and assembles results: no schedule method
    # or class is named in its code (docstrings aside)
    tree = ast.parse((SRC / "_backend.py").read_text())
    named = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    named |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    schedule_names = {"_compose", "_decay", "_decay_value", "value", "BaseLR"}
    assert not named & schedule_names
