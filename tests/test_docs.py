"""The examples in docstrings and README.md run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import textwrap
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
    "arraylr.cosine_restarts",
    "arraylr.onecycle",
    "arraylr.cyclic",
    "arraylr.composite",
    "arraylr.population",
    "arraylr.testing",
    "arraylr._backend",
    "arraylr._parameters",
]
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


GUIDE = README.parent / "docs" / "guide.rst"


def _blocks(path: Path) -> list[tuple[Path, int, str]]:
    """``(file, first line, code)`` of each Python block: README's fenced
    blocks, an .rst page's indented ``.. code-block:: python`` blocks."""
    text = path.read_text()
    if path.suffix == ".md":
        found = [
            (m.start(1), m.group(1))
            for m in re.finditer(r"```python\n(.*?)```", text, flags=re.S)
        ]
    else:
        found = [
            (m.start(1), textwrap.dedent(m.group(1)))
            for m in re.finditer(
                r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text
            )
        ]
    return [(path, text.count("\n", 0, start), code) for start, code in found]


BLOCKS = _blocks(README) + _blocks(GUIDE)


@pytest.mark.parametrize(
    "block", BLOCKS, ids=[f"{path.stem}-line{line + 1}" for path, line, _ in BLOCKS]
)
def test_python_block_runs_alone(block: tuple[Path, int, str]) -> None:
    """Each Python block of README.md and of the site's user guide runs on its
    own, pasted into a fresh interpreter in the repository root, without this
    suite's settings (no conftest: hypothesis keeps its default deadline)."""
    path, line, code = block
    # pad so line numbers are the file's: tracebacks point at the right lines
    code = "\n" * line + code
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
    assert done.returncode == 0, f"{path.name}:{line + 1}\n" + done.stderr[-3000:]


def test_every_guide_block_is_found() -> None:
    """The block pattern above sees every code block of the guide."""
    text = GUIDE.read_text()
    assert len(_blocks(GUIDE)) == text.count(".. code-block:: python") >= 7


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
    # the formulas render without a network: MathJax is served from the site
    if importlib.util.find_spec("mathjax") is not None:
        assert (tmp_path / "html" / "_static" / "tex-svg-full.js").stat().st_size > 1e6
        assert "_static/tex-svg-full.js" in gallery
    # a LaTeX cases row ends in a double backslash that reaches MathJax intact
    rows = re.findall(r"&amp; d &lt; T \\\\", gallery)
    assert rows, "the cosine formula lost its row separator"
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
        "torch_operations",
        "configs",
    ):
        assert name in api, name
