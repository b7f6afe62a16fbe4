"""Sphinx configuration of arraylr's documentation (``nox -s docs``)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent / "src"))

import arraylr  # noqa: E402

# arraylr.keras imports Keras, which needs a backend (TensorFlow is not required)
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

project = "arraylr"
author = "arraylr developers"
copyright = "2026, arraylr developers"
release = arraylr.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "arraylr_gallery",
]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
autodoc_member_order = "bysource"
# the integrations' frameworks: documented from their real modules where they are
# installed (the test suite's build), mocked where not (the light ``docs`` extra)
autodoc_mock_imports = [
    name
    for name in ("torch", "keras", "jax", "deepmd", "dargs")
    if importlib.util.find_spec(name) is None
]
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "show-inheritance": False}
nitpicky = False
suppress_warnings: list[str] = []

exclude_patterns = ["_build", "images/latency.png"]
html_theme = "pydata_sphinx_theme"
html_title = f"arraylr {release}"
html_static_path: list[str] = [str(HERE / "_static")]
html_css_files = ["arraylr.css"]  # long inline code wraps inside table cells


def _local_mathjax() -> Path | None:
    """MathJax 3 from the ``django-static-mathjax`` package (docs extra), copied
    beside the pages, so that the formulas render without a network; ``None``
    (Sphinx's default, MathJax from its CDN) where that package is missing."""
    try:
        import mathjax  # type: ignore[import-not-found]
    except ImportError:
        return None
    name = "tex-svg-full.js"  # one self-contained file: SVG output, every extension
    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / name
    if not source.is_file():
        return None
    target = HERE / "_build" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    if not (target / name).is_file():
        shutil.copyfile(source, target / name)
    return target / name


_mathjax = _local_mathjax()
if _mathjax is not None:
    html_static_path.append(str(_mathjax.parent))
    mathjax_path = _mathjax.name  # relative: served from the site's _static/
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
