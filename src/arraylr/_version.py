"""The version of arraylr: declared here only (pyproject.toml reads it)."""

__version__ = "0.2.0"
