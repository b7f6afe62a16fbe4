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
    paths = ["src", "tests", "examples", "benchmarks", "docs", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on src/."""
    # mypy checks src/ against the libraries it imports (torch, jax, hypothesis,
    # yaml, matplotlib): install them as the tests do, and pin mypy so that a new
    # release does not turn a clean tree red
    session.install("mypy==2.4.1", "-r", "requirements-test.txt")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark runner against every installed peer (``-- --quick``: short)."""
    session.install("-r", "requirements-test.txt", "optax")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (Sphinx, warnings as errors) into docs/_build/html:
    the docs extra only (PyTorch, JAX, Keras and DeePMD-kit are mocked)."""
    session.install("-e", ".[docs]")
    session.run(
        "python",
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
    )
