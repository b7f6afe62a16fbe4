"""PyTorch natively: every dtype, the meta device (no host sync), torch.compile."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from arraylr import BaseLR

torch = pytest.importorskip("torch")

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
]
IDS = [c["type"] + ("-smooth" if c.get("smooth") else "") for c in CONFIGS]

INT_DTYPES = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
]
FLOAT_DTYPES = ["float16", "bfloat16", "float32", "float64"]


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype_name", INT_DTYPES + FLOAT_DTYPES)
def test_every_dtype(config: dict[str, Any], dtype_name: str) -> None:
    lr = BaseLR(**config)
    dtype = getattr(torch, dtype_name)
    top = {"int8": 127, "uint8": 255, "bool": 1}.get(dtype_name, 2500)
    values = list(range(0, top + 1, max(1, top // 60)))
    steps = torch.tensor(values).to(dtype).reshape(-1, 1)
    out = lr(steps)
    assert out.shape == steps.shape
    assert out.device == steps.device
    floating = dtype_name in FLOAT_DTYPES
    assert out.dtype == (dtype if floating else torch.float64)
    exact_steps = steps.to(torch.float64).flatten().tolist()
    expected = np.array([lr(s) for s in exact_steps])
    scale = max(lr.start_lr, lr.warmup_start_lr)
    if dtype_name in ("float16", "bfloat16"):
        # computed in float32, then rounded once to the half dtype
        half = torch.tensor(expected, dtype=torch.float32).to(dtype).to(torch.float64)
        np.testing.assert_allclose(
            out.double().flatten().numpy(),
            half.numpy(),
            rtol=2**-7,
            atol=8 * 2.0**-23 * scale,
        )
    else:
        eps = 8 * 2.0**-23 if dtype_name == "float32" else 4 * 2.0**-52
        np.testing.assert_allclose(
            out.double().flatten().numpy(), expected, rtol=0, atol=eps * scale
        )


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype_name", ["int64", "int32", "float32", "float64"])
def test_meta_device(config: dict[str, Any], dtype_name: str) -> None:
    """The meta device has no data: any .item(), host sync or Python branch on
    values would raise."""
    lr = BaseLR(**config)
    steps = torch.empty((3, 5), dtype=getattr(torch, dtype_name), device="meta")
    out = lr(steps)
    assert out.device.type == "meta"
    assert out.shape == (3, 5)
    assert out.dtype == (
        steps.dtype if steps.dtype.is_floating_point else torch.float64
    )
    assert lr(steps, dtype=torch.float32).dtype == torch.float32


@pytest.fixture
def compile_counter() -> Any:
    torch._dynamo.reset()
    from torch._dynamo.testing import CompileCounter

    return CompileCounter()


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype_name", ["int64", "float32"])
def test_compile_fullgraph_once(
    config: dict[str, Any], dtype_name: str, compile_counter: Any
) -> None:
    lr = BaseLR(**config)
    dtype = getattr(torch, dtype_name)
    compiled = torch.compile(lr.value, fullgraph=True, backend=compile_counter)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings(
            "ignore", category=DeprecationWarning
        )  # torch internals
        for start in range(0, 2000, 97):
            steps = torch.arange(start, start + 16).to(dtype)
            out = compiled(steps)
            torch.testing.assert_close(out, lr(steps), rtol=0, atol=0)
    assert compile_counter.frame_count == 1


def test_compile_inductor(compile_counter: Any) -> None:
    lr = BaseLR(**CONFIGS[2])
    compiled = torch.compile(lr, fullgraph=True)
    steps = torch.arange(0, 2000, 13)
    torch.testing.assert_close(compiled(steps), lr(steps), rtol=0, atol=4e-16 * 1e-3)
