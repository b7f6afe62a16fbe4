"""Trust, round 3 (issue 19): what an adversarial search found, one regression
test per item (numbers in comments are what the defect gave), each checked on
every route where the defect showed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.testing import torch_operations
from arraylr.testing.strategies import configs

EPS32 = float(np.finfo(np.float32).eps)
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
torch = pytest.importorskip("torch")


def routes(lr: BaseLR, steps: np.ndarray) -> dict[str, np.ndarray]:
    """The rates of ``steps`` (kept in their dtype) on every route of an array."""
    tensor = torch.from_numpy(steps.copy())
    with torch_operations():
        torch_ops = lr(tensor).numpy()
    return {
        "numpy": np.asarray(lr(steps)),
        "torch": torch_ops,
        "torch_host": lr(tensor).numpy(),
        "jax_jit": np.asarray(jax.jit(lr.value)(jnp.asarray(steps))),
    }


# ------------------------------------------------- 1. cyclic out of its range


def test_cyclic_at_huge_float32_steps_stays_in_range() -> None:
    lr = BaseLR(
        type="cyclic", start_lr=1e-4, max_lr=1e-3, num_steps=100,
        step_size_up=2, step_size_down=1,
    )  # fmt: skip
    steps = np.asarray([50_331_652, 9.2e18], np.float32)  # exact integers
    expected = [lr(int(s)) for s in steps]  # positions 1 and 2 of 3
    assert expected == pytest.approx([5.5e-4, 1e-3], rel=1e-12)
    for name, rates in routes(lr, steps).items():  # gave [-3.5e-4, -2.47e8]
        np.testing.assert_allclose(rates, expected, rtol=1e-6, err_msg=name)


def test_cyclic_python_int_past_2_53_is_exact() -> None:
    lr = BaseLR(
        type="cyclic", start_lr=1e-4, max_lr=1e-3, num_steps=100,
        step_size_up=100, step_size_down=0,
    )  # fmt: skip
    step = 7_511_580_233_255_525_016  # position 16 of 100: gave 0.0084
    assert lr(step) == pytest.approx(1e-4 + 9e-4 * 0.16, rel=1e-12)
    assert lr(np.asarray([step, 1])).tolist()[0] == lr(step)
    assert lr(float(step)) == lr(int(float(step)))


@settings(max_examples=15)
@given(
    config=configs("cyclic"),
    steps=st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=8),
)
def test_cyclic_float_steps_give_the_rate_of_their_integer(
    config: dict[str, Any], steps: list[int]
) -> None:
    lr = BaseLR(**config)
    for dtype in (np.float32, np.float64):
        held = np.asarray(steps, dtype=dtype)
        for name, rates in routes(lr, held).items():
            wide = rates.dtype == np.float64  # (JAX without x64 holds float32)
            ints = [int(s) for s in held.astype(rates.dtype)]
            expected = np.asarray([lr(s) for s in ints])
            assert np.all((expected >= lr.start_lr) & (expected <= lr.max_lr))
            bound = (4e-16 if wide else 8 * EPS32) * lr.scale
            np.testing.assert_allclose(
                rates, expected, rtol=0, atol=bound, err_msg=name
            )
