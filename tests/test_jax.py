"""JAX natively: eager, jit, vmap, grad, and the x64 dtype rule."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from arraylr import BaseLR

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

CONFIGS: list[dict[str, Any]] = [
    {
        "type": "exp",
        "start_lr": 1e-3,
        "stop_lr": 1e-6,
        "num_steps": 2000,
        "decay_steps": 70,
        "warmup_steps": 100,
        "warmup_start_factor": 0.1,
    },
    {
        "type": "exp",
        "start_lr": 1e-3,
        "stop_lr": 1e-6,
        "num_steps": 2000,
        "decay_steps": 70,
        "smooth": True,
        "warmup_steps": 10,
    },
    {
        "type": "cosine",
        "start_lr": 1e-3,
        "stop_lr": 1e-5,
        "num_steps": 2000,
        "warmup_steps": 100,
    },
    {
        "type": "wsd",
        "start_lr": 1e-3,
        "stop_lr": 1e-5,
        "num_steps": 2000,
        "warmup_steps": 100,
        "decay_phase_ratio": 0.4,
        "decay_type": "cosine",
    },
    {
        "type": "wsd",
        "start_lr": 1e-3,
        "stop_lr": 1e-5,
        "num_steps": 2000,
        "decay_phase_ratio": 0.4,
        "decay_type": "inverse_linear",
    },
]
IDS = [
    c["type"] + ("-smooth" if c.get("smooth") else "") + str(i)
    for i, c in enumerate(CONFIGS)
]
EPS32 = 2.0**-23
EPS64 = 2.0**-52


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64(request: pytest.FixtureRequest) -> Any:
    with jax.enable_x64(request.param):
        yield request.param


def bound(lr: BaseLR, x64: bool) -> float:
    return (4 * EPS64 if x64 else 8 * EPS32) * max(lr.start_lr, lr.warmup_start_lr)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_integer_steps_dtype_without_warning(config: dict[str, Any], x64: bool) -> None:
    lr = BaseLR(**config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        steps = jnp.arange(0, 2500, 7)
        out = lr(steps)
        jitted = jax.jit(lr)(steps)
    expected_dtype = jnp.float64 if x64 else jnp.float32
    assert out.dtype == jitted.dtype == expected_dtype
    reference = np.array([lr(int(s)) for s in np.asarray(steps)])
    np.testing.assert_allclose(np.asarray(out), reference, rtol=0, atol=bound(lr, x64))
    np.testing.assert_allclose(
        np.asarray(jitted), reference, rtol=0, atol=bound(lr, x64)
    )


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_jit_compiles_once_per_shape_and_dtype(
    config: dict[str, Any], x64: bool
) -> None:
    lr = BaseLR(**config)
    traces = []

    def traced(step: Any) -> Any:
        traces.append(1)
        return lr(step)

    jitted = jax.jit(traced)
    for start in range(0, 2000, 150):
        jitted(jnp.arange(start, start + 8))
    assert len(traces) == 1
    for start in range(0, 2000, 150):
        jitted(jnp.arange(start, start + 8, dtype=jnp.float32) + 0.5)
    assert len(traces) == 2
    jitted(jnp.asarray(3))
    assert len(traces) == 3


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_vmap(config: dict[str, Any], x64: bool) -> None:
    lr = BaseLR(**config)
    steps = jnp.arange(0, 2400, 10).reshape(12, 20)
    mapped = jax.vmap(lr)(steps)
    np.testing.assert_allclose(
        np.asarray(mapped), np.asarray(lr(steps)), rtol=0, atol=bound(lr, x64)
    )
    per_row = jax.jit(jax.vmap(jax.vmap(lr)))(steps)
    np.testing.assert_allclose(
        np.asarray(per_row), np.asarray(lr(steps)), rtol=0, atol=bound(lr, x64)
    )


SMOOTH = [c for c in CONFIGS if c["type"] != "exp" or c.get("smooth")]


@pytest.mark.parametrize("config", SMOOTH, ids=[c["type"] for c in SMOOTH])
def test_grad_matches_finite_difference(config: dict[str, Any]) -> None:
    lr = BaseLR(**config)
    with jax.enable_x64(True):
        grad = jax.jit(jax.grad(lambda t: lr(t)))
        for step in [3.25, 50.5, 150.5, 700.25, 1234.5, 1850.5, 1999.5]:
            g = float(grad(jnp.asarray(step)))
            h = 1e-3
            fd = (lr(step + h) - lr(step - h)) / (2 * h)
            assert np.isfinite(g)
            assert g == pytest.approx(fd, rel=1e-5, abs=1e-14), step
        assert float(grad(jnp.asarray(2500.0))) == 0.0  # after the end


def test_scalar_and_jax_agree_in_float64() -> None:
    lr = BaseLR(**CONFIGS[2])
    with jax.enable_x64(True):
        steps = jnp.arange(0, 2001, dtype=jnp.int64)
        out = np.asarray(jax.jit(lr)(steps))
    reference = lr(np.arange(0, 2001))
    np.testing.assert_allclose(out, reference, rtol=0, atol=4 * EPS64 * 1e-3)
