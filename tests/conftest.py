"""Backend fixtures, in the manner of array-api-extra's ``xp``/``library``.

``xp`` is parametrised over :class:`Backend`; a backend whose library is not
installed is skipped locally (CI installs them all, and sets
``ARRAYLR_REQUIRE_ALL_BACKENDS=1`` so that a missing one fails instead).
"""

from __future__ import annotations

import copy
import enum
import importlib
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import array_api_compat
import pytest
from hypothesis import HealthCheck, Phase, settings

from arraylr import BaseLR
from arraylr._backend import torch_operations

os.environ.setdefault("JAX_PLATFORMS", "cpu")


TYPES: list[str] = sorted(BaseLR.registered_types())
"""Every registered schedule type when the suite starts (arraylr's own): the
tests that run on every type iterate it, so a new type is tested without an
edit here (tests/test_registry.py shows it); a few tests register more types
of their own later, which this list leaves out."""


def type_class(name: str) -> type[BaseLR]:
    """The class registered as ``name``."""
    return BaseLR.registered_types()[name]


def example(name: str, **changes: Any) -> dict[str, Any]:
    """The example config the type ``name`` declares (``_example``), with
    ``changes``: "a config of this type" for every test that needs one."""
    config = type_class(name)._example_config()
    assert config is not None, f"{name} declares no _example"
    return {**config, **changes}


def examples(overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A config per type in :data:`TYPES`: the test's own where it pushes a type
    harder (``overrides``, without ``type``), else the type's example."""
    out = {}
    for name in TYPES:
        given = (overrides or {}).get(name)
        out[name] = {"type": name, **copy.deepcopy(given)} if given else example(name)
    return out


def per_type(total: int, least: int = 3) -> int:
    """``max_examples`` for a test run once per type: about ``total`` in all,
    at least ``least`` each."""
    return max(least, -(-total // len(TYPES)))


class Backend(enum.Enum):
    """An array library the tests run on: ``(pytest id, module to import)``."""

    NUMPY = "numpy", "numpy"
    ARRAY_API_STRICT = "array_api_strict", "array_api_strict"
    TORCH = "torch", "torch"
    TORCH_HOST = "torch_host", "torch"
    JAX = "jax", "jax.numpy"
    JAX_X64 = "jax_x64", "jax.numpy"
    DASK = "dask", "dask.array"

    def __str__(self) -> str:
        return self.value[0]

    @property
    def modname(self) -> str:
        return self.value[1]

    def load(self) -> ModuleType:
        try:
            return importlib.import_module(self.modname)
        except ImportError:
            if os.environ.get("ARRAYLR_REQUIRE_ALL_BACKENDS"):
                raise
            pytest.skip(f"{self.modname} is not installed")


@pytest.fixture(params=list(Backend), ids=str)
def library(request: pytest.FixtureRequest) -> Backend:
    """The backend under test."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def xp(library: Backend) -> Iterator[ModuleType]:
    """The array-API namespace of the backend under test (through array-api-compat
    for the libraries that need it, as array-api-extra's ``xp`` fixture does).
    ``JAX_X64`` runs the test with ``jax_enable_x64`` switched on; ``TORCH`` with
    PyTorch's own operations for every tensor, and ``TORCH_HOST`` as a user
    calls it (small CPU tensors are evaluated by NumPy in place)."""
    module = library.load()
    namespace = array_api_compat.array_namespace(module.empty(0))
    if library is Backend.JAX_X64:
        import jax

        with jax.enable_x64(True):
            yield namespace
    elif library is Backend.TORCH:
        with torch_operations():
            yield namespace
    else:
        yield namespace


# The backend fixtures only hand out a module: sharing them across examples is safe.
_shared = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture],
}
# default: derandomized, the same examples on every run (a fresh clone's suite
# passes or fails as CI's does); thorough: new random examples every run, ten
# times as many, the search for new failures (CONTRIBUTING.md)
settings.register_profile("default", derandomize=True, **_shared)  # type: ignore[arg-type]
settings.register_profile("thorough", max_examples=2000, **_shared)  # type: ignore[arg-type]
# noshrink: the default's examples, a failure reported as found (test_registry's
# run of a broken type, where only the failing matters)
settings.register_profile(
    "noshrink",
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    **_shared,  # type: ignore[arg-type]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``HYPOTHESIS_PROFILE=thorough``, ten times the examples of every
    test that sets its own ``max_examples`` (a test's settings override the
    profile's, which covers only the tests that set none)."""
    if os.environ.get("HYPOTHESIS_PROFILE") != "thorough":
        return
    done: set[int] = set()
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is None or id(test) in done:
            continue
        done.add(id(test))
        more = settings(own, max_examples=min(10 * own.max_examples, 2000))
        test._hypothesis_internal_use_settings = more  # type: ignore[union-attr]
