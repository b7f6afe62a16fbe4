"""Sphinx configuration of arraylr's documentation (``nox -s docs``)."""

from __future__ import annotations

import os
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
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "show-inheritance": False}
nitpicky = False
suppress_warnings: list[str] = []

exclude_patterns = ["_build", "images/latency.png"]
html_theme = "pydata_sphinx_theme"
html_title = f"arraylr {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
