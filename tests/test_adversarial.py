"""Trust, round 3 (issue 19): what an adversarial search found, one regression
test per item (numbers in comments are what the defect gave), each checked on
every route where the defect showed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.cli import main
from arraylr.testing import assert_backends_agree, default_steps, torch_operations
from arraylr.testing.strategies import configs

from conftest import TYPES, example

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


# ------------------------------------------ 3. gradients finite in every phase


def slopes(lr: BaseLR, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d rate / d step at float64 ``steps``: PyTorch autograd and ``jax.grad``."""
    t = torch.tensor(steps, dtype=torch.float64, requires_grad=True)
    lr(t).sum().backward()
    assert t.grad is not None
    with jax.enable_x64(True):
        grad = jax.vmap(jax.grad(lr.value))(jnp.asarray(steps, dtype=jnp.float64))
        return t.grad.numpy(), np.asarray(grad)


@pytest.mark.parametrize(
    ("config", "step", "slope"),
    [  # jax.grad gave NaN at each
        ({"type": "cosine", "warmup_steps": 10, "warmup_type": "1-sqrt"}, 50.5, None),
        ({"type": "polynomial", "power": 0.5}, 150.5, 0.0),
        ({"type": "wsd", "decay_type": "1-sqrt", "decay_phase_ratio": 0.2}, 40.5, 0.0),
        ({"type": "exp", "decay_steps": 10}, 55.5, 0.0),  # torch: no floor_divide'
    ],
)
def test_slopes_are_finite_past_a_root(
    config: dict[str, Any], step: float, slope: float | None
) -> None:
    lr = BaseLR(start_lr=1e-3, stop_lr=1e-5, num_steps=100, **config)
    by_torch, by_jax = slopes(lr, np.asarray([step]))
    assert np.isfinite(by_jax).all() and np.isfinite(by_torch).all()
    np.testing.assert_allclose(by_jax, by_torch, rtol=1e-6)
    if slope is not None:
        assert by_jax.tolist() == [slope]
    else:  # the cosine decay's slope, from the formula
        d, total = step - 10, 90
        expected = -1e-3 * 0.5 * (1 - 1e-2) * np.pi / total * np.sin(np.pi * d / total)
        np.testing.assert_allclose(by_jax, [expected], rtol=1e-9)


@settings(max_examples=20)
@given(
    config=st.sampled_from(TYPES).flatmap(lambda n: configs(n, max_steps=500)),
    data=st.data(),
)
def test_slopes_agree_in_every_phase(
    config: dict[str, Any], data: st.DataObject
) -> None:
    # fractional steps: every phase edge and stair is at an integer step, and
    # between them every schedule is differentiable
    lr = BaseLR(**config)
    top = 2 * max(lr.num_steps, 2) + 10
    ints = data.draw(st.lists(st.integers(0, top), min_size=1, max_size=12))
    steps = np.asarray(ints, dtype=np.float64) + data.draw(st.floats(0.05, 0.95))
    by_torch, by_jax = slopes(lr, steps)
    assert np.isfinite(by_jax).all() and np.isfinite(by_torch).all()
    np.testing.assert_allclose(by_jax, by_torch, rtol=1e-6, atol=1e-300)


# -------------------------------------------- 2. float32 edges rounded up


@pytest.mark.parametrize(
    "config",
    [
        {
            "type": "sequence",
            "boundaries": [16_777_217],
            "schedules": [
                {"type": "constant", "start_lr": 1.0, "num_steps": 16_777_217},
                {"type": "constant", "start_lr": 0.5, "num_steps": 10},
            ],
        },
        {"type": "cosine_restarts", "start_lr": 1.0, "stop_lr": 0.0,
         "num_steps": 10**8, "period": 16_777_217},
        {"type": "cosine_restarts", "start_lr": 1.0, "stop_lr": 0.0,
         "num_steps": 10**8, "period": 16_777_217, "period_mult": 2},
        {"type": "cyclic", "start_lr": 0.1, "max_lr": 1.0, "num_steps": 10**8,
         "step_size_up": 16_777_216, "step_size_down": 1},
    ],
)  # fmt: skip
def test_float32_steps_stay_before_an_edge_float32_cannot_hold(
    config: dict[str, Any],
) -> None:
    lr = BaseLR(**config)
    # float32 16,777,216 is before the edge at 16,777,217 (it gave the second
    # child's rate, and a restart); 16,777,218 is past it
    steps = np.asarray([16_777_216, 16_777_218, 3 * 2**24 + 2**23], np.float32)
    expected = [lr(int(s)) for s in steps]
    assert expected[0] != expected[1]
    for name, rates in routes(lr, steps).items():
        np.testing.assert_allclose(
            rates, expected, rtol=0, atol=8 * EPS32 * lr.scale, err_msg=name
        )


# ------------------------------- 5. unsigned steps wider than the signed dtype


def test_unsigned_steps_give_the_python_int_rate() -> None:
    lr = BaseLR(
        type="cyclic", start_lr=1e-4, max_lr=1e-3, num_steps=100, step_size_up=2000
    )
    step = 20_000_001  # float32 holds 20,000,000: it gave 1e-4
    expected = lr(step)
    assert expected == pytest.approx(1e-4 + 9e-4 / 2000, rel=1e-12)
    bound = 8 * EPS32 * lr.scale
    big = jnp.asarray([step], dtype=jnp.uint32)  # JAX without x64: int32 is widest
    for rates in (lr(big), jax.jit(lr.value)(big)):
        np.testing.assert_allclose(rates, [expected], rtol=0, atol=bound)
    steps = np.asarray([step, 2**63 + 2**40, 2**64 - 1], dtype=np.uint64)
    past = lr(float(2**63 + 2**40))  # past int64: the rate of the floating step
    assert past == lr.start_lr
    for dtype in (np.float32, np.float64):
        rates = lr(steps, dtype=dtype)
        np.testing.assert_allclose(rates, [expected, past, past], rtol=0, atol=bound)
        tensor = torch.from_numpy(steps[:2].copy())
        wanted = getattr(torch, np.dtype(dtype).name)
        with torch_operations():
            by_torch = lr(tensor, dtype=wanted)
        for out in (lr(tensor, dtype=wanted), by_torch):  # NumPy's, PyTorch's
            np.testing.assert_allclose(out, [expected, past], rtol=0, atol=bound)


# ------------------------------------------- 6. messages name what was passed


@pytest.mark.parametrize(
    ("config", "named"),
    [  # each named a derived value, or start_lr
        ({"type": "cosine", "stop_lr": 1e308}, "stop_lr=1e+308"),  # lr_min_factor=inf
        ({"type": "linear", "stop_lr": 1e300}, "stop_lr=1e+300"),
        ({"type": "cosine", "stop_lr": 0.0, "warmup_steps": 2,
          "warmup_start_factor": 1e300}, "warmup_start_factor=1e+300"),
        ({"type": "onecycle", "div_factor": 1e-310}, "div_factor=1e-310"),
        ({"type": "onecycle", "final_div_factor": 1e-310}, "final_div_factor=1e-310"),
        ({"type": "cyclic", "max_lr": 1e300}, "max_lr=1e+300"),
        ({"type": "piecewise", "boundaries": [5], "values": [1e300]},
         "values[0]=1e+300"),
        ({"type": "cosine", "stop_lr_ratio": 1e300}, "stop_lr_ratio=1e+300"),
        ({"type": "cosine", "start_lr": 1e300, "stop_lr": 0.0}, "start_lr=1e+300"),
    ],
)  # fmt: skip
def test_overflow_messages_name_the_parameter_passed(
    config: dict[str, Any], named: str
) -> None:
    config = {"start_lr": 1e-3, "num_steps": 10, **config}
    with pytest.raises(ValueError, match=re.escape(named)) as info:
        BaseLR(**config)
    assert "start_lr=0.001);" not in str(info.value)  # not blamed on start_lr
    assert "3.403e+38" in str(info.value)


# ------------------------------------------------- 7. steps that used to crash


def test_numpy_bfloat16_steps_are_half_precision() -> None:
    lr = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=100)
    steps = np.asarray(jnp.asarray([10.0, 50.0, 99.0], dtype=jnp.bfloat16))
    bf16 = steps.dtype  # ml_dtypes' bfloat16: NumPy's own functions refuse it
    expected = lr(steps.astype(np.float32))
    for one in (steps, steps[:1], steps.reshape(3, 1)):  # gave NumPy's TypeError
        rates = lr(one)
        assert rates.dtype == bf16 and rates.shape == one.shape
        np.testing.assert_array_equal(
            rates.astype(np.float32).ravel(),
            expected[: one.size].astype(bf16).astype(np.float32),
        )
    wide = lr(steps, dtype=np.float64)
    assert wide.dtype == np.float64
    np.testing.assert_allclose(wide, lr(steps.astype(np.float64)), rtol=0, atol=0)
    scalar = lr(steps[1])  # a NumPy scalar of bfloat16
    assert np.asarray(scalar).dtype == bf16 and float(scalar) == 0.5
    with pytest.raises(TypeError, match="dtype"):
        lr(np.zeros(3, dtype="V2"))


def test_torch_steps_with_the_negative_bit() -> None:
    lr = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=600)
    steps = torch.tensor([-100 - 300j, -20 - 150j]).conj().imag  # gave RuntimeError
    assert steps.is_neg()
    plain = torch.tensor([300.0, 150.0])
    np.testing.assert_array_equal(lr(steps).numpy(), lr(plain).numpy())
    with torch_operations():
        np.testing.assert_array_equal(lr(steps).numpy(), lr(plain).numpy())
    assert lr(steps).tolist() == pytest.approx([0.5, 0.5 * (1 + np.sqrt(0.5))])


# -------------------------------------------- 8. checks of the longest runs


@pytest.mark.parametrize("num_steps", [10**18, 2**63 - 1])
def test_checks_and_plots_of_the_longest_runs(
    num_steps: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lr = BaseLR(
        type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=num_steps,
        warmup_steps=1000,
    )  # fmt: skip
    steps = default_steps(lr)  # gave OverflowError from 9.3e17 on
    assert steps.dtype == np.int64 and steps[0] == 0 and steps[-1] == 2**63 - 1
    assert {999, 1000, 1001, num_steps - 1}.issubset(steps.tolist())
    report = assert_backends_agree(lr, backends=["numpy"])
    assert all(d.ok for d in report)
    config = tmp_path / "long.json"
    config.write_text(json.dumps(lr.to_dict()))
    assert main(["check", str(config), "--backends", "numpy"]) == 0
    assert main(["plot", str(config), "-o", str(tmp_path / "long.png")]) == 0
    capsys.readouterr()


# ------------------------------------------ 4. float32 bound at large powers


@pytest.mark.parametrize(
    ("config", "num_steps"),
    [  # gave 1.04x, 1.9x, 1.27x and 1.58x the bound
        ({"type": "cosine", "exponent": 12.0}, 10**5),
        ({"type": "cosine", "exponent": 25.0}, 10**5),
        ({"type": "cosine", "exponent": 64.0, "warmup_steps": 10}, 10**5),
        ({"type": "polynomial", "power": 20.0}, 10**9),
        ({"type": "polynomial", "power": 50.0}, 10**9),
        ({"type": "polynomial", "power": 64.0, "warmup_steps": 10}, 10**6),
    ],
)
def test_float32_bound_at_large_exponents(
    config: dict[str, Any], num_steps: int
) -> None:
    lr = BaseLR(start_lr=1.0, stop_lr=1e-3, num_steps=num_steps, **config)
    grid = np.linspace(0, num_steps, 20_001).astype(np.int64)
    steps = np.unique(np.concatenate([np.arange(20_000), grid]))
    reference = lr(steps)
    bound = 8 * EPS32 * lr.scale
    with torch_operations():
        by_torch = lr(torch.from_numpy(steps), dtype=torch.float32).numpy()
    for name, rates in {
        "numpy": lr(steps, dtype=np.float32),
        "torch": by_torch,
        "numpy_float32_steps": lr(steps.astype(np.float32)),  # all below 2**24
    }.items():
        error = np.abs(rates.astype(np.float64) - reference)
        assert error.max() <= bound, (name, steps[error.argmax()], error.max() / bound)


# ------------------------------------ 9. the float32 range under XLA's flush


def _at_scale(name: str, scale: float) -> BaseLR:
    """A schedule of type ``name`` whose largest rate is about ``scale``: the
    cases below, where a type needs its own, else its example with every rate
    scaled (a type of yours is tested too)."""
    if name not in _SCALED:
        config = example(name)
        factor = scale / config.get("start_lr", 1.0)
        for key in ("start_lr", "stop_lr", "max_lr"):
            if key in config:
                config[key] *= factor
        return BaseLR(**config)
    extra: dict[str, Any] = {
        "cyclic": {"max_lr": scale},
        "piecewise": {"boundaries": [300], "values": [scale * 1e-3]},
        "cosine_restarts": {"stop_lr": 0.0, "period": 300},
        "exp": {"stop_lr": 0.0, "decay_rate": 0.9, "decay_steps": 10},
        "wsd": {"stop_lr": 0.0, "decay_type": "cosine", "decay_phase_ratio": 0.5},
        "product": {"schedules": [
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0},
            {"type": "linear", "start_lr": 1.0, "stop_lr": 0.5},
        ]},
        "sequence": {"boundaries": [500], "schedules": [
            {"type": "linear", "start_lr": scale, "stop_lr": 0.0, "num_steps": 500},
            {"type": "cosine", "start_lr": scale, "stop_lr": 0.0, "num_steps": 500},
        ]},
    }.get(name, {"stop_lr": scale * 1e-3})  # fmt: skip
    # (the types of _SCALED not named above: a stop_lr of scale * 1e-3)
    if name in ("onecycle", "inverse_sqrt", "constant"):
        extra = {}
    start = scale * 0.6 if name == "cyclic" else scale
    if name == "sequence":
        return BaseLR(type=name, num_steps=1000, **extra)
    return BaseLR(type=name, start_lr=start, num_steps=1000, **extra)


_SCALED = frozenset(
    {"cyclic", "piecewise", "cosine_restarts", "exp", "wsd", "product", "sequence",
     "onecycle", "inverse_sqrt", "constant", "cosine", "linear", "polynomial",
     "inverse_time"}
)  # fmt: skip
"""The types _at_scale builds from its own cases (over 1,000 steps)."""


@pytest.mark.parametrize("name", TYPES)
def test_jax_float32_keeps_the_bound_down_to_the_flush_scale(name: str) -> None:
    steps = np.arange(0, 1100)
    lr = _at_scale(name, 1.3e-32)  # just above FLUSH_SCALE = 1.23e-32: no warning
    rates = np.asarray(jax.jit(lr.value)(jnp.asarray(steps, dtype=jnp.int32)))
    error = np.abs(rates.astype(np.float64) - lr(steps))
    assert error.max() <= 8 * EPS32 * lr.scale
    # below it XLA flushes subnormal results and intermediates to 0: warned
    # (the rates stay in [0, S], finite)
    tiny = _at_scale(name, 2e-38)
    with pytest.warns(RuntimeWarning, match="flushes rates below 1.18e-38"):
        flushed = np.asarray(jax.jit(tiny.value)(jnp.asarray(steps, jnp.int32)))
    assert np.isfinite(flushed).all()
    assert (flushed >= 0).all() and (flushed <= np.float32(tiny.scale)).all()


@pytest.mark.parametrize("start_lr", [8.6e37, 3e38])
@pytest.mark.parametrize("ratio", [1e-3, 1.2e-38 / 3e38])
def test_wsd_inverse_linear_with_the_largest_rates(
    start_lr: float, ratio: float
) -> None:
    lr = BaseLR(
        type="wsd", start_lr=start_lr, stop_lr=max(start_lr * ratio, 1.2e-38),
        num_steps=1000, decay_phase_ratio=0.5,
    )  # fmt: skip
    steps = np.arange(0, 1100)
    bound = 8 * EPS32 * lr.scale
    for rates in (  # XLA gave inf past 8.5e37 (1 / start_lr flushed to 0)
        jax.jit(lr.value)(jnp.asarray(steps, dtype=jnp.int32)),
        lr(steps, dtype=np.float32),
    ):
        values = np.asarray(rates, dtype=np.float64)
        assert np.isfinite(values).all()
        assert np.abs(values - lr(steps)).max() <= bound


@pytest.mark.parametrize("mult", [1, 2, 3])
def test_restarts_after_a_warmup_at_float32_steps_past_2_24(mult: int) -> None:
    # found by the widened strategies: t - W rounds past 2**24 in float32
    # (2**25 - 1 -> 2**25), which moved a period of 2 by a whole cycle
    lr = BaseLR(
        type="cosine_restarts", start_lr=1.0, stop_lr=0.1, num_steps=2,
        period=2, period_mult=mult, warmup_steps=1,
    )  # fmt: skip
    steps = np.asarray([2**25, 2**25 + 4, 2**40 + 2**17], dtype=np.float32)
    expected = [lr(int(s)) for s in steps]
    for name, rates in routes(lr, steps).items():
        np.testing.assert_allclose(
            rates, expected, rtol=0, atol=8 * EPS32 * lr.scale, err_msg=name
        )


@pytest.mark.parametrize("power", [0.5, 1.0, 2.0])
def test_cycling_polynomial_after_a_warmup_at_float32_steps_past_2_24(
    power: float,
) -> None:
    # found by a fresh clone's hypothesis run: t - W rounded past 2**24 in float32
    # (16777226 - 9 = 16777217 -> 16777216) moved the step within its cycle of 9
    lr = BaseLR(
        type="polynomial", start_lr=1.0, stop_lr=0.1, num_steps=18, power=power,
        warmup_ratio=0.5, cycle=True,
    )  # fmt: skip
    steps = np.asarray(
        [16_777_226, 2**25 + 3, 2**25 + 9, 2**40 + 2**17, 9], dtype=np.float32
    )
    expected = [lr(int(s)) for s in steps]
    for name, rates in routes(lr, steps).items():
        np.testing.assert_allclose(
            rates, expected, rtol=0, atol=8 * EPS32 * lr.scale, err_msg=name
        )


def test_inverse_time_stairs_have_a_slope_under_autograd() -> None:
    # found by a fresh clone's hypothesis run: floating staircase steps used
    # floor_divide, which PyTorch cannot differentiate (RuntimeError)
    lr = BaseLR(
        type="inverse_time", start_lr=1.0, num_steps=100, decay_steps=3,
        decay_rate=1.0, staircase=True,
    )  # fmt: skip
    t = torch.tensor([0.5, 2.99, 3.0, 7.5, 1e9], dtype=torch.float64)
    t.requires_grad_(True)
    rates = lr(t)
    rates.sum().backward()
    assert t.grad is not None and t.grad.tolist() == [0.0] * 5  # flat stairs
    want = [lr(float(s)) for s in t.detach().tolist()]
    assert rates.detach().tolist() == pytest.approx(want, rel=1e-15)
    assert lr(np.array([2.999999, 3.0, 5.9999999, 6.0])).tolist() == [
        1.0, 0.5, 0.5, 1 / 3,
    ]  # fmt: skip


def test_cyclic_top_is_max_lr_exactly() -> None:
    # found by a thorough run: start_lr + (max_lr - start_lr) rounded one ulp
    # past max_lr (3.199212022442042 > 3.1992120224420417); the upper half of
    # a triangular cycle is formed from max_lr down
    for start, top in ((0.3199212022442042, 3.1992120224420417), (3.0, 0.1)):
        lr = BaseLR(
            type="cyclic", num_steps=0, start_lr=start, max_lr=top, step_size_up=1
        )
        assert lr(2) == start and lr(1) == top and lr(1.0) == top
        low, high = min(start, top), max(start, top)
        steps = np.asarray([1.0, 2.0, 3.0, 0.5], dtype=np.float64)
        for name, rates in routes(lr, steps).items():
            assert np.all((rates >= low) & (rates <= high)), name


@pytest.mark.parametrize(
    ("kind", "key"), [("polynomial", "power"), ("cosine", "exponent")]
)
@pytest.mark.parametrize("power", [1.5, 4.0, 4.5, 20.0])
def test_powers_keep_the_float64_bound_under_xla(
    kind: str, key: str, power: float
) -> None:
    # found by a thorough run: cosine with exponent 4 gave 4.5 eps64 under
    # jax.jit (the power multiplies XLA's float64 rounding of the sine), and
    # polynomial with power 4.5 gave 25 eps64 (XLA's float64 log1p is up to 120
    # eps off between -0.414 and -0.356); both keep 4 eps64 S now, every step
    config = {"type": kind, "start_lr": 1.0, "num_steps": 2418, "stop_lr": 0.475,
              "warmup_steps": 618, key: power}  # fmt: skip
    lr = BaseLR(**config)
    steps = np.arange(0, 2420, dtype=np.float64)
    expected = np.asarray([lr(int(s)) for s in steps])
    with jax.enable_x64(True):
        rates = np.asarray(jax.jit(lr.value)(jnp.asarray(steps)))
    np.testing.assert_allclose(rates, expected, rtol=0, atol=4 * 2.2205e-16 * lr.scale)
