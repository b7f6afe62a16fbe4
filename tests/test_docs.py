"""The examples in docstrings and README.md run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUILT_IN_TYPES

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


README_BLOCKS = [
    m for m in re.finditer(r"```python\n(.*?)```", README.read_text(), flags=re.S)
]


@pytest.mark.parametrize(
    "block",
    README_BLOCKS,
    ids=[
        f"line{README.read_text().count(chr(10), 0, m.start()) + 1}"
        for m in README_BLOCKS
    ],
)
def test_readme_python_block_runs_alone(block: re.Match[str]) -> None:
    """Each ```python block of README.md runs on its own, pasted into a fresh
    interpreter in the repository root, without this suite's settings (no
    conftest: hypothesis keeps its default deadline)."""
    text = README.read_text()
    # pad so line numbers are README's: tracebacks point at the right lines
    code = "\n" * text.count("\n", 0, block.start(1)) + block.group(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOTHESIS")}
    env.setdefault("JAX_PLATFORMS", "cpu")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=README.parent,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_readme_picture_is_current() -> None:
    """docs/images/schedules.png shows what the library computes now (the image
    carries a hash of its configs and rates; rerun docs/make_images.py)."""
    pytest.importorskip("PIL")
    done = subprocess.run(
        [sys.executable, str(README.parent / "docs" / "make_images.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_sphinx_site_builds_without_warnings(tmp_path: Path) -> None:
    """The documentation site (docs/, as ``nox -s docs`` builds it), with warnings
    as errors: a broken docstring, page or gallery plot fails here."""
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    pytest.importorskip("pydata_sphinx_theme")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(README.parent / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    gallery = (tmp_path / "html" / "generated" / "gallery.html").read_text()
    for name in BUILT_IN_TYPES:
        assert f"_images/{name}.png" in gallery, name
    semantics = (tmp_path / "html" / "semantics.html").read_text()
    assert "Agreement bounds" in semantics
    for page in ("deepmd", "optax", "torch", "transformers", "keras"):
        assert (tmp_path / "html" / "migration" / f"{page}.html").exists()
    api = (tmp_path / "html" / "api.html").read_text()
    for name in (
        "LearningRateCyclic",
        "ScheduleLR",
        "KerasSchedule",
        "assert_backends_agree",
        "configs",
    ):
        assert name in api, name
