"""PyTorch natively: every dtype, the meta device (no host sync), torch.compile."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import numpy as np
import pytest

from arraylr import BaseLR
from arraylr._backend import HOST_LIMIT, torch_operations

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


@pytest.mark.parametrize("route", ["torch_ops", "default"])
@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype_name", INT_DTYPES + FLOAT_DTYPES)
def test_every_dtype(config: dict[str, Any], dtype_name: str, route: str) -> None:
    """Both routes: PyTorch's own operations, and the default one, where a small
    CPU tensor is evaluated by NumPy on its memory (bfloat16 stays on PyTorch)."""
    lr = BaseLR(**config)
    dtype = getattr(torch, dtype_name)
    top = {"int8": 127, "uint8": 255, "bool": 1}.get(dtype_name, 2500)
    values = list(range(0, top + 1, max(1, top // 60)))
    steps = torch.tensor(values).to(dtype).reshape(-1, 1)
    with torch_operations() if route == "torch_ops" else contextlib.nullcontext():
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
            with torch_operations():  # the same PyTorch expression, run eagerly
                eager = lr(steps)
            torch.testing.assert_close(out, eager, rtol=0, atol=0)
    assert compile_counter.frame_count == 1


def test_compile_inductor(compile_counter: Any) -> None:
    lr = BaseLR(**CONFIGS[2])
    compiled = torch.compile(lr, fullgraph=True)
    steps = torch.arange(0, 2000, 13)
    torch.testing.assert_close(compiled(steps), lr(steps), rtol=0, atol=4e-16 * 1e-3)


# --------------------------------------------- small CPU tensors through NumPy


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize(
    "shape", [(), (1,), (7,), (3, 4), (HOST_LIMIT,)], ids=lambda s: f"shape{s}"
)
@pytest.mark.parametrize("dtype_name", ["int64", "int32", "uint32", "float32"])
def test_small_cpu_tensors_are_numpys_numbers(
    config: dict[str, Any], shape: tuple[int, ...], dtype_name: str
) -> None:
    """A small CPU tensor (the step counter, a logging batch) is evaluated by
    NumPy on the tensor's memory: NumPy's numbers exactly, as a fresh CPU tensor
    of the dtype and shape the PyTorch route gives, within the agreement bound
    of PyTorch's own operations."""
    lr = BaseLR(**config)
    count = int(np.prod(shape))
    steps = torch.arange(0, 2200 * count, 2200).reshape(shape).div(count)
    steps = steps.to(getattr(torch, dtype_name))
    before = steps.clone()
    out = lr(steps)
    with torch_operations():
        ops = lr(steps)
    assert type(out) is torch.Tensor and out.device.type == "cpu"
    want = torch.float32 if dtype_name == "float32" else torch.float64
    assert (out.shape, out.dtype) == (ops.shape, ops.dtype) == (steps.shape, want)
    expected = lr(steps.numpy())
    np.testing.assert_array_equal(out.numpy(), expected)
    eps = 8 * 2.0**-23 if dtype_name == "float32" else 4 * 2.0**-52
    torch.testing.assert_close(out, ops, rtol=0, atol=eps * lr.scale)
    assert torch.equal(steps, before)  # the step is read, never written
    if count:
        out.add_(1.0)  # the result is its own memory: writable, not the step's
        assert torch.equal(steps, before)


def test_numpy_route_keeps_dtype_argument_and_half_precision() -> None:
    lr = BaseLR(**CONFIGS[2])
    steps = torch.arange(0, 2000, 100)
    assert lr(steps, dtype=torch.float32).dtype == torch.float32
    np.testing.assert_array_equal(
        lr(steps, dtype=torch.float32).numpy(), lr(steps.numpy(), dtype=np.float32)
    )
    assert lr(steps.half()).dtype == torch.float16
    assert lr(steps.bfloat16()).dtype == torch.bfloat16  # NumPy has none: PyTorch
    with pytest.raises(TypeError, match="dtype must be a real floating dtype"):
        lr(steps, dtype=torch.int64)


def test_what_stays_on_pytorch_operations() -> None:
    """Autograd, vmap, grad and large tensors get PyTorch's expression; each
    result is that of PyTorch's own operations (checked by its gradient, its
    batching, or equality with the torch_operations() result)."""
    lr = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=2000)
    t = torch.tensor([500.0, 1000.0], dtype=torch.float64, requires_grad=True)
    out = lr(t)
    assert out.requires_grad
    (grad,) = torch.autograd.grad(out.sum(), t)
    at = np.array([500.0, 1000.0])
    expected = -1e-3 * 0.5 * (1 - 1e-2) * np.pi / 2000 * np.sin(np.pi * at / 2000)
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-12)
    batched = torch.func.vmap(lr)(torch.arange(0, 2000, 250))
    np.testing.assert_allclose(
        batched.numpy(), lr(np.arange(0, 2000, 250)), rtol=0, atol=4e-16 * 1e-3
    )
    scalar_grad = torch.func.grad(lr)(torch.tensor(500.0, dtype=torch.float64))
    np.testing.assert_allclose(scalar_grad.item(), expected[0], rtol=1e-12)
    large = torch.arange(HOST_LIMIT + 1)
    with torch_operations():
        ops = lr(large)
    assert torch.equal(lr(large), ops)
    import torch.autograd.forward_ad as fwad

    with fwad.dual_level():  # forward-mode AD: the tangent is carried through
        dual = fwad.make_dual(t.detach(), torch.ones(2, dtype=torch.float64))
        tangent = fwad.unpack_dual(lr(dual)).tangent
    assert tangent is not None
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-12)


def test_sparse_tensors_are_refused_by_name() -> None:
    lr = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=2000)
    dense = torch.tensor([0, 500, 1000])
    assert lr(dense).layout == torch.strided
    lr(dense)  # a dense plan is cached first: the sparse step must not reuse it
    with pytest.raises(TypeError, match=r"dense tensor.*sparse_coo.*to_dense"):
        lr(dense.to_sparse())


def test_zero_d_step_counter_compiles_once(compile_counter: Any) -> None:
    """The training-loop case: a 0-d step counter tensor, compiled with
    fullgraph, one frame for every step, the values PyTorch's expression gives."""
    lr = BaseLR(**CONFIGS[2])
    compiled = torch.compile(lr.value, fullgraph=True, backend=compile_counter)
    counter = torch.tensor(0)
    for _ in range(30):
        counter += 71
        with torch_operations():
            eager = lr(counter)
        assert torch.equal(compiled(counter), eager)
        assert compiled(counter).shape == ()
    assert compile_counter.frame_count == 1


def test_a_value_override_runs_once_on_small_tensors() -> None:
    """A subclass that overrides value() and calls BaseLR's: the NumPy route of
    a small CPU tensor must not run the override a second time on its view."""

    class Doubled(type(BaseLR(**CONFIGS[2]))):  # type: ignore[misc]
        def value(self, step: Any, dtype: object = None) -> Any:
            return 2 * super().value(step, dtype)

    lr = Doubled(**{k: v for k, v in CONFIGS[2].items() if k != "type"})
    plain = BaseLR(**CONFIGS[2])
    for steps in (torch.tensor(150), torch.arange(0, 2000, 100)):
        np.testing.assert_array_equal(lr(steps).numpy(), 2 * plain(steps).numpy())
    # the same for NumPy scalars, 0-d and one-step arrays and Python numbers
    for step in (np.int64(150), np.asarray(150), np.asarray([150]), 150, True):
        np.testing.assert_array_equal(lr(step), 2 * plain(step))


def test_sequence_children_keep_the_blocks_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a large CPU tensor is evaluated by PyTorch in blocks; a last block of one
    # step reached the sequence's children small enough for the NumPy route, so
    # its rate was NumPy's (computed in float64), not PyTorch's float32 one
    import arraylr._backend as backend

    monkeypatch.setattr(backend, "TORCH_CHUNK", HOST_LIMIT // 2)
    child = {"type": "cosine", "num_steps": 76, "start_lr": 1.0, "stop_lr": 0.0}
    lr = BaseLR(type="sequence", num_steps=76, schedules=[child], boundaries=[])
    steps = np.random.default_rng(3).uniform(0, 76, HOST_LIMIT + 1)
    tensor = torch.from_numpy(steps.astype(np.float32))
    with torch_operations():
        expected = lr(tensor)
        plain = BaseLR(**child)(tensor)
    out = lr(tensor)  # blocks of 1,024, 1,024 and 1
    assert torch.equal(out, expected) and torch.equal(out, plain)
    held = steps.astype(np.float32).astype(np.float64)  # the steps torch holds
    rates = 0.5 * (1 + np.cos(np.pi * held / 76))
    eps32 = float(np.finfo(np.float32).eps)
    np.testing.assert_allclose(out.numpy(), rates, rtol=0, atol=8 * eps32)
