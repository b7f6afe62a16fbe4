"""Array steps on every backend: namespace, device, shape and the SPEC dtype rule."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np
import pytest

from arraylr import BaseLR

from conftest import Backend

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)

CONFIGS: list[dict[str, Any]] = [
    {
        "type": "exp",
        "start_lr": 1e-3,
        "stop_lr": 1e-6,
        "num_steps": 5000,
        "decay_steps": 300,
        "warmup_steps": 100,
        "warmup_start_factor": 0.1,
    },
    {
        "type": "exp",
        "start_lr": 1e-2,
        "stop_lr_ratio": 1e-3,
        "num_steps": 5000,
        "decay_steps": 70,
        "smooth": True,
    },
    {
        "type": "cosine",
        "start_lr": 1e-3,
        "stop_lr": 1e-5,
        "num_steps": 5000,
        "warmup_ratio": 0.05,
    },
    {"type": "cosine", "start_lr": 0.1, "stop_lr": 0.0, "num_steps": 4000},
    {
        "type": "wsd",
        "start_lr": 1e-3,
        "stop_lr": 1e-5,
        "num_steps": 5000,
        "warmup_steps": 200,
        "decay_phase_ratio": 0.3,
        "decay_type": "cosine",
    },
    {
        "type": "wsd",
        "start_lr": 1e-3,
        "stop_lr": 1e-4,
        "num_steps": 5000,
        "decay_type": "inverse_linear",
    },
    {
        "type": "wsd",
        "start_lr": 1e-3,
        "stop_lr": 1e-4,
        "num_steps": 5000,
        "decay_phase_ratio": 0.5,
        "decay_type": "linear",
    },
]
IDS = [f"{c['type']}{i}" for i, c in enumerate(CONFIGS)]
STEPS = [
    0,
    1,
    50,
    99,
    100,
    101,
    250,
    299,
    300,
    301,
    1499,
    1500,
    2500,
    3500,
    4749,
    4750,
    4999,
    5000,
    5001,
    12345,
]


def float64_available(xp: ModuleType) -> bool:
    info = xp.__array_namespace_info__()
    return "float64" in info.dtypes(kind="real floating")


def to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu()
    return np.asarray(x)


def scale(lr: BaseLR) -> float:
    return max(lr.start_lr, lr.warmup_start_lr)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_integer_steps(xp: ModuleType, config: dict[str, Any]) -> None:
    lr = BaseLR(**config)
    steps = xp.asarray(STEPS)
    out = lr(steps)
    assert array_api_compat.array_namespace(out) is array_api_compat.array_namespace(
        steps
    )
    assert out.shape == steps.shape
    assert array_api_compat.device(out) == array_api_compat.device(steps)
    expected_dtype = xp.float64 if float64_available(xp) else xp.float32
    assert out.dtype == expected_dtype
    eps = EPS64 if expected_dtype == xp.float64 else 8 * EPS32
    reference = np.array([lr(s) for s in STEPS])
    bound = (4 * eps if eps == EPS64 else eps) * scale(lr)
    np.testing.assert_allclose(to_numpy(out), reference, rtol=0, atol=bound)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_floating_steps_keep_dtype(xp: ModuleType, config: dict[str, Any]) -> None:
    lr = BaseLR(**config)
    names = ["float32", "float64"] if float64_available(xp) else ["float32"]
    for name in names:
        dtype = getattr(xp, name)
        steps = xp.asarray([float(s) for s in STEPS] + [0.5, 99.75], dtype=dtype)
        out = lr(steps)
        assert out.dtype == dtype
        reference = np.array([lr(float(s)) for s in to_numpy(steps)])
        bound = (4 * EPS64 if name == "float64" else 8 * EPS32) * scale(lr)
        np.testing.assert_allclose(to_numpy(out), reference, rtol=0, atol=bound)


def test_shapes_and_zero_d(xp: ModuleType) -> None:
    lr = BaseLR(
        type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=110, warmup_steps=10
    )
    grid = xp.reshape(xp.arange(0, 120), (2, 3, 20))
    out = lr(grid)
    assert out.shape == (2, 3, 20)
    flat = to_numpy(out).ravel()
    assert flat[5] == pytest.approx(0.5, abs=1e-6)
    zero_d = lr(xp.asarray(60))
    assert zero_d.shape == ()
    assert float(zero_d) == pytest.approx(0.5, abs=1e-6)
    empty = lr(xp.asarray([], dtype=xp.float32))
    assert empty.shape == (0,)


def test_negative_and_nan_steps(xp: ModuleType) -> None:
    lr = BaseLR(
        type="exp",
        start_lr=1.0,
        stop_lr=0.01,
        num_steps=100,
        warmup_steps=10,
        warmup_start_factor=0.5,
        decay_steps=10,
    )
    ints = to_numpy(lr(xp.asarray([-100, -1, 0])))
    assert list(ints) == [0.5, 0.5, 0.5]
    floats = to_numpy(lr(xp.asarray([-2.5, math.nan, 0.0], dtype=xp.float32)))
    assert floats[0] == floats[2] == 0.5
    assert math.isnan(floats[1])


@pytest.mark.parametrize("name", ["exp", "cosine", "wsd"])
def test_nan_propagates_in_every_phase(xp: ModuleType, name: str) -> None:
    lr = BaseLR(type=name, start_lr=1.0, stop_lr=0.1, num_steps=100, warmup_steps=10)
    out = to_numpy(lr(xp.asarray([math.nan, 5.0, 50.0, math.nan])))
    assert np.isnan(out[[0, 3]]).all()
    assert np.isfinite(out[[1, 2]]).all()


def test_dtype_override(xp: ModuleType) -> None:
    lr = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=100)
    out = lr(xp.asarray([0, 50, 100]), dtype=xp.float32)
    assert out.dtype == xp.float32
    np.testing.assert_allclose(to_numpy(out), [1.0, 0.5, 0.0], atol=1e-7)


@pytest.mark.parametrize(
    "library",
    [b for b in Backend if b not in (Backend.ARRAY_API_STRICT, Backend.DASK)],
    indirect=True,
)
def test_half_precision_computed_in_float32(xp: ModuleType) -> None:
    # array-api-strict and array-api-compat's dask namespace have no float16
    lr = BaseLR(
        type="exp",
        start_lr=1.0,
        stop_lr=1e-3,
        num_steps=3000,
        decay_steps=1,
        smooth=True,
    )
    steps = xp.asarray([0.0, 1000.0, 2048.0, 3000.0], dtype=xp.float16)
    out = lr(steps)
    assert out.dtype == xp.float16
    expected = np.array([lr(float(s)) for s in to_numpy(steps)], dtype=np.float16)
    np.testing.assert_array_equal(to_numpy(out).astype(np.float16), expected)


def test_bool_steps(xp: ModuleType) -> None:
    lr = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=2)
    out = lr(xp.asarray([False, True]))
    assert xp.isdtype(out.dtype, "real floating")
    np.testing.assert_allclose(to_numpy(out), [1.0, 0.5], atol=1e-7)


def test_unsigned_and_narrow_integers(xp: ModuleType) -> None:
    lr = BaseLR(
        type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=400, warmup_steps=300
    )
    out = lr(xp.asarray([0, 150, 255], dtype=xp.uint8))
    np.testing.assert_allclose(to_numpy(out), [0.0, 0.5, 0.85], atol=1e-7)
    out8 = lr(xp.asarray([-5, 100], dtype=xp.int8))
    np.testing.assert_allclose(to_numpy(out8), [0.0, 1 / 3], atol=1e-7)


class TestNumpyInputs:
    lr = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=100)

    def test_python_scalars_return_float(self) -> None:
        assert type(self.lr(50)) is float
        assert type(self.lr(50.0)) is float
        assert type(self.lr(True)) is float
        assert self.lr(True) == self.lr(1)

    def test_numpy_scalars_count_as_arrays(self) -> None:
        out = self.lr(np.int64(50))
        assert isinstance(out, np.float64)
        out32 = self.lr(np.float32(50))
        assert isinstance(out32, np.float32)
        assert self.lr(np.asarray(50)).shape == ()
        assert isinstance(self.lr(np.asarray(50)), np.ndarray)

    def test_lists_and_tuples(self) -> None:
        out = self.lr([0, 50, 100])
        assert isinstance(out, np.ndarray)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out, [1.0, 0.5, 0.0], atol=1e-15)
        np.testing.assert_array_equal(
            self.lr((0.0, 50.0)), self.lr(np.array([0.0, 50.0]))
        )

    def test_python_scalar_with_dtype(self) -> None:
        out = self.lr(50, dtype=np.float32)
        assert out.dtype == np.float32
        assert out.shape == ()

    def test_value_is_call(self) -> None:
        assert self.lr.value(25) == self.lr(25)


def test_numpy_alone_needs_no_optional_library() -> None:
    """With torch, JAX, Dask, PyYAML, matplotlib, hypothesis and DeePMD-kit made
    unimportable, every built-in type evaluates NumPy steps of every size and
    kind, and `arraylr show` runs: the package's runtime needs only NumPy and
    array-api-compat (the `pip install .` of README's first command)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from conftest import examples

    code = f"""
import json, sys
for name in ("torch", "jax", "dask", "yaml", "matplotlib", "hypothesis", "deepmd"):
    sys.modules[name] = None  # import raises ImportError
import numpy as np
from arraylr import BaseLR
from arraylr.cli import main
for name, config in json.loads({json.dumps(json.dumps(examples()))}).items():
    lr = BaseLR(**config)
    for steps in (np.int64(7), np.asarray(7), np.asarray([7]), np.arange(10),
                  np.arange(-3, 20000), np.arange(50.0).reshape(5, 10),
                  np.arange(10, dtype=np.uint8), [1, 2, 3]):
        out = lr(steps)
        assert np.shape(out) == np.shape(steps), (name, steps)
        assert np.all(np.isfinite(out)), name
    assert lr(7) == float(lr(np.asarray([7]))[0])
assert main(["show", "examples/deepmd_input.json"]) == 0
assert not any(m in sys.modules and sys.modules[m] is not None
               for m in ("torch", "jax", "dask"))
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
