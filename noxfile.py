"""Development sessions: ``nox -s tests lint typecheck``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite with every backend (CPU PyTorch pinned: requirements-test.txt)."""
    session.install("-r", "requirements-test.txt")
    session.run("pytest", *session.posargs, env={"ARRAYLR_REQUIRE_ALL_BACKENDS": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting-independent checks."""
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "examples", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on src/."""
    session.install("mypy", "numpy", "array-api-compat")
    session.install("-e", ".", "--no-deps")
    session.run("mypy")
