"""The examples in docstrings and README.md run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

MODULES = [
    "arraylr",
    "arraylr.base",
    "arraylr.config",
    "arraylr.exponential",
    "arraylr.cosine",
    "arraylr.wsd",
    "arraylr.polynomial",
    "arraylr.piecewise",
    "arraylr.inverse_sqrt",
    "arraylr.cyclic",
    "arraylr.composite",
    "arraylr.testing",
]
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_readme_python_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of README.md runs, in order, in one namespace."""
    monkeypatch.chdir(README.parent)
    text = README.read_text()
    blocks = list(re.finditer(r"```python\n(.*?)```", text, flags=re.S))
    assert blocks
    namespace: dict[str, object] = {"__name__": "readme"}
    for match in blocks:
        # pad so line numbers are README's: tracebacks (and hypothesis, which
        # reads the source of a test) point at the right lines
        padding = "\n" * text.count("\n", 0, match.start(1))
        exec(compile(padding + match.group(1), str(README), "exec"), namespace)
