"""constant, linear, polynomial, piecewise, inverse_sqrt, cosine_restarts, onecycle
and sequence: hand-computed values, errors, round trips, and peer libraries."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.testing import assert_backends_agree

from conftest import examples

EPS32 = float(np.finfo(np.float32).eps)


def approx(x: float) -> Any:
    return pytest.approx(x, rel=1e-13, abs=1e-300)


class TestValues:
    def test_constant(self) -> None:
        lr = BaseLR(type="constant", start_lr=0.3, num_steps=10, warmup_steps=4)
        assert [lr(t) for t in (0, 2, 4, 9, 10**9)] == [0.0, 0.15, 0.3, 0.3, 0.3]
        assert lr.stop_lr == 0.3
        assert math.isnan(lr(math.nan))
        assert np.isnan(lr(np.array([math.nan, 3.0])))[0]

    def test_linear_and_polynomial(self) -> None:
        lin = BaseLR(
            type="linear", start_lr=1.0, stop_lr=0.2, num_steps=10, warmup_steps=2
        )
        assert lin(2) == 1.0 and lin(6) == approx(0.6) and lin(10) == approx(0.2)
        assert lin(100) == approx(0.2)
        poly = BaseLR(
            type="polynomial", start_lr=2.0, stop_lr=0.0, num_steps=100, power=0.5
        )
        assert poly(75) == approx(2.0 * math.sqrt(0.25))
        assert poly.power == 0.5
        assert (
            BaseLR(type="polynomial", start_lr=1.0, stop_lr=0.5, num_steps=0)(5) == 1.0
        )

    def test_piecewise_values_and_factors(self) -> None:
        vals = BaseLR(
            type="piecewise",
            start_lr=1.0,
            num_steps=100,
            warmup_steps=10,
            boundaries=[20, 50],
            values=[0.5, 0.05],
        )
        assert [vals(t) for t in (5, 10, 19, 20, 49, 50, 1000)] == [
            0.5,
            1.0,
            1.0,
            0.5,
            0.5,
            0.05,
            0.05,
        ]
        assert vals.levels == (1.0, 0.5, 0.05) and vals.stop_lr == 0.05
        facs = BaseLR(
            type="piecewise",
            start_lr=2.0,
            num_steps=100,
            boundaries=[10, 20, 30],
            factors=[0.5, 0.5, 2.0],
        )
        assert [facs(t) for t in (9, 10, 20, 30)] == [2.0, 1.0, 0.5, 1.0]
        assert facs.scale == 2.0
        assert (
            BaseLR(
                type="piecewise", start_lr=1.0, num_steps=9, boundaries=[], values=[]
            )(5)
            == 1.0
        )

    def test_inverse_sqrt(self) -> None:
        lr = BaseLR(
            type="inverse_sqrt", start_lr=1.0, num_steps=10**6, warmup_steps=100
        )
        assert lr.timescale == 100.0
        assert lr(100) == 1.0 and lr(400) == approx(0.5) and lr(10_000) == approx(0.1)
        floor = BaseLR(
            type="inverse_sqrt",
            start_lr=1.0,
            num_steps=10**6,
            stop_lr=0.2,
            timescale=1.0,
        )
        assert floor(3) == approx(0.5) and floor(10**4) == 0.2
        assert BaseLR(type="inverse_sqrt", start_lr=1.0, num_steps=5).timescale == 1e4

    def test_cosine_restarts(self) -> None:
        lr = BaseLR(
            type="cosine_restarts", start_lr=1.0, stop_lr=0.0, num_steps=1000, period=10
        )
        assert [lr(t) for t in (0, 5, 10, 15, 20)] == [
            1.0,
            approx(0.5),
            1.0,
            approx(0.5),
            1.0,
        ]
        grow = BaseLR(
            type="cosine_restarts",
            start_lr=1.0,
            stop_lr=0.0,
            num_steps=10**6,
            period=3,
            period_mult=3,
        )
        # cycles start at 0, 3, 12, 39, 120, 363, ...: exactly at each, the peak
        starts = [0, 3, 12, 39, 120, 363, 1092, 3279, 9840]
        assert all(grow(s) == 1.0 for s in starts)
        assert all(grow(s - 1) < 0.3 for s in starts[1:])
        assert np.all(grow(np.asarray(starts)) == 1.0)

    def test_onecycle(self) -> None:
        lr = BaseLR(
            type="onecycle",
            start_lr=1.0,
            num_steps=100,
            pct_start=0.25,
            div_factor=10.0,
            final_div_factor=100.0,
        )
        assert (
            lr.initial_lr == 0.1 and lr.stop_lr == approx(0.001) and lr.up_steps == 25
        )
        assert lr(0) == approx(0.1)
        assert lr(12.5) == approx(0.1 + 0.9 * 0.5)
        assert lr(25) == 1.0
        assert lr(62.5) == approx(0.001 + 0.999 * 0.5)
        assert lr(100) == lr(500) == approx(0.001)
        assert lr.scale == 1.0

    def test_sequence(self) -> None:
        lr = BaseLR(
            type="sequence",
            boundaries=[10, 30],
            schedules=[
                {"type": "linear", "start_lr": 0.1, "stop_lr": 1.0},
                {"type": "constant", "start_lr": 1.0},
                {
                    "type": "exp",
                    "start_lr": 1.0,
                    "stop_lr": 0.01,
                    "num_steps": 70,
                    "decay_steps": 7,
                    "decay_rate": 0.5,
                },
            ],
        )
        assert lr.num_steps == 100
        assert [c.num_steps for c in lr.children] == [10, 20, 70]
        assert lr(0) == approx(0.1) and lr(5) == approx(0.55)
        assert lr(10) == 1.0 and lr(29) == 1.0
        assert lr(30) == 1.0 and lr(37) == 0.5 and lr(44) == 0.25
        assert lr(np.asarray([0, 5, 10, 37, 44])).tolist() == [
            approx(0.1),
            approx(0.55),
            1.0,
            0.5,
            0.25,
        ]
        assert lr.scale == 1.0


ROUND_TRIP: dict[str, dict[str, Any]] = {
    "constant": {"start_lr": 0.1, "num_steps": 50, "warmup_ratio": 0.1},
    "linear": {"start_lr": 0.1, "stop_lr_ratio": 0.1, "num_steps": 50},
    "polynomial": {"start_lr": 0.1, "stop_lr": 0.0, "num_steps": 50, "power": 2.5},
    "piecewise": {
        "start_lr": 0.1,
        "num_steps": 50,
        "boundaries": [10, 20],
        "factors": [0.5, 0.1],
    },
    "inverse_sqrt": {"start_lr": 0.1, "num_steps": 50, "warmup_steps": 5},
    "cosine_restarts": {
        "start_lr": 0.1,
        "stop_lr": 0.0,
        "num_steps": 50,
        "period": 7,
        "period_mult": 2,
        "peak_decay": 0.9,
    },
    "onecycle": {"start_lr": 0.1, "num_steps": 50, "anneal": "linear"},
    "sequence": {
        "boundaries": [20],
        "schedules": [
            {"type": "cosine", "start_lr": 0.1, "stop_lr": 0.01},
            {
                "type": "piecewise",
                "start_lr": 0.01,
                "num_steps": 30,
                "boundaries": [10],
                "values": [0.001],
            },
        ],
    },
}
"""Short runs (50 steps) of the types the round trip pushes harder; every
other type round-trips its example."""
CONFIGS = list(examples(ROUND_TRIP).values())


@pytest.mark.parametrize("config", CONFIGS, ids=[c["type"] for c in CONFIGS])
def test_round_trip_and_backends(config: dict[str, Any]) -> None:
    lr = BaseLR(**config)
    data = lr.to_dict()
    again = BaseLR(**json.loads(json.dumps(data)))
    assert again == lr and hash(again) == hash(lr)
    steps = np.linspace(0, 1.2 * lr.num_steps, 60).astype(np.int64)
    np.testing.assert_array_equal(again(steps), lr(steps))
    assert_backends_agree(lr)


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        (
            {
                "type": "polynomial",
                "start_lr": 1.0,
                "stop_lr": 0.0,
                "num_steps": 5,
                "power": 0,
            },
            ValueError,
            "power=0",
        ),
        (
            {"type": "constant", "start_lr": 1.0, "num_steps": 5, "stop_lr": 0.1},
            TypeError,
            "'stop_lr'; did you mean 'start_lr'",
        ),
        (
            {
                "type": "piecewise",
                "start_lr": 1.0,
                "num_steps": 9,
                "boundaries": [5, 3],
                "values": [1, 2],
            },
            ValueError,
            "strictly increasing",
        ),
        (
            {"type": "piecewise", "start_lr": 1.0, "num_steps": 9, "boundaries": [5]},
            ValueError,
            "exactly one of values and factors",
        ),
        (
            {
                "type": "piecewise",
                "start_lr": 1.0,
                "num_steps": 9,
                "boundaries": [5],
                "values": [1, 2],
            },
            ValueError,
            "one entry per boundary (1)",
        ),
        (
            {
                "type": "piecewise",
                "start_lr": 1.0,
                "num_steps": 9,
                "boundaries": [5],
                "factors": [0],
            },
            ValueError,
            "factors[0]=0",
        ),
        (
            {
                "type": "piecewise",
                "start_lr": 1.0,
                "num_steps": 9,
                "boundaries": [2.5],
                "factors": [0.1],
            },
            TypeError,
            "boundaries[0]=2.5",
        ),
        (
            {
                "type": "piecewise",
                "start_lr": 1.0,
                "num_steps": 9,
                "boundaries": 5,
                "factors": [0.1],
            },
            TypeError,
            "boundaries=5",
        ),
        (
            {
                "type": "piecewise",
                "start_lr": 1.0,
                "num_steps": 9,
                "warmup_steps": 5,
                "boundaries": [5],
                "factors": [0.1],
            },
            ValueError,
            "> warmup_steps=5",
        ),
        (
            {"type": "inverse_sqrt", "start_lr": 1.0, "num_steps": 9, "timescale": -1},
            ValueError,
            "timescale=-1",
        ),
        (
            {"type": "cosine_restarts", "start_lr": 1.0, "stop_lr": 0, "num_steps": 9},
            TypeError,
            "missing a required argument: 'period'",
        ),
        (
            {
                "type": "cosine_restarts",
                "start_lr": 1.0,
                "stop_lr": 0,
                "num_steps": 9,
                "period": 0,
            },
            ValueError,
            "period=0",
        ),
        (
            {
                "type": "cosine_restarts",
                "start_lr": 1.0,
                "stop_lr": 0,
                "num_steps": 9,
                "period": 3,
                "period_mult": 0,
            },
            ValueError,
            "period_mult=0",
        ),
        (
            {
                "type": "cosine_restarts",
                "start_lr": 1.0,
                "stop_lr": 0,
                "num_steps": 9,
                "period": 3,
                "period_mult": 1.5,
            },
            TypeError,
            "period_mult=1.5",
        ),
        (
            {
                "type": "cosine_restarts",
                "start_lr": 1.0,
                "stop_lr": 0,
                "num_steps": 9,
                "period": 3,
                "peak_decay": 1e30,  # growth past float32's range by cycle 3
            },
            ValueError,
            "peak_decay=1e+30 grows the peak to 1e+90 by cycle 3",
        ),
        (
            {"type": "onecycle", "start_lr": 1.0, "num_steps": 0},
            ValueError,
            "num_steps=0",
        ),
        (
            {"type": "onecycle", "start_lr": 1.0, "num_steps": 9, "pct_start": 1.0},
            ValueError,
            "pct_start=1.0",
        ),
        (
            {"type": "onecycle", "start_lr": 1.0, "num_steps": 9, "anneal": "cosine"},
            ValueError,
            "did you mean 'cos'",
        ),
        (
            {"type": "onecycle", "start_lr": 1.0, "num_steps": 9, "warmup_steps": 3},
            TypeError,
            "unexpected keyword argument 'warmup_steps'",
        ),
        (
            {"type": "sequence", "schedules": [], "boundaries": []},
            ValueError,
            "at least one schedule",
        ),
        (
            {
                "type": "sequence",
                "schedules": [{"type": "constant", "start_lr": 1.0}],
                "boundaries": [3],
            },
            ValueError,
            "len(schedules) - 1 = 0",
        ),
        (
            {
                "type": "sequence",
                "schedules": [{"type": "constant", "start_lr": 1.0}],
                "boundaries": [],
            },
            ValueError,
            "schedules[0] needs num_steps",
        ),
        (
            {
                "type": "sequence",
                "boundaries": [4],
                "schedules": [
                    {"type": "constant", "start_lr": 1.0},
                    {"type": "cosin", "start_lr": 1.0, "num_steps": 3},
                ],
            },
            ValueError,
            "schedules[1]: unknown schedule type='cosin'",
        ),
        (
            {
                "type": "sequence",
                "boundaries": [4],
                "num_steps": 4,
                "schedules": [
                    {"type": "constant", "start_lr": 1.0},
                    {"type": "constant", "start_lr": 1.0},
                ],
            },
            ValueError,
            "boundaries must be < num_steps=4",
        ),
    ],
)
def test_errors(config: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error) as info:
        BaseLR(**config)
    assert match in str(info.value)


# ------------------------------------------------------------------ peer libraries

optax_only = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("optax"), reason="optax not installed"
)
torch_only = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("torch"), reason="torch not installed"
)


def f32_bound(lr: BaseLR) -> float:
    return 8 * EPS32 * lr.scale


def optax_values(schedule: Any, steps: np.ndarray) -> np.ndarray:
    import jax
    import jax.numpy as jnp

    return np.asarray(jax.jit(jax.vmap(schedule))(jnp.asarray(steps)), dtype=np.float64)


lrs = st.floats(1e-4, 1.0)


@optax_only
@settings(max_examples=25)
@given(lr0=lrs, ratio=st.floats(0, 1), n=st.integers(1, 5000), power=st.floats(1, 5))
def test_polynomial_matches_optax(
    lr0: float, ratio: float, n: int, power: float
) -> None:
    # powers >= 1 and steps < T: optax computes (1 - count / T) ** power in float32,
    # which loses its accuracy near T for powers below 1 and is NaN at T for
    # fractional powers whenever count / T rounds above 1; arraylr's (T - d) / T
    # has neither problem (and gives exactly stop_lr from T on)
    import optax

    ours = BaseLR(
        type="polynomial", start_lr=lr0, stop_lr=lr0 * ratio, num_steps=n, power=power
    )
    peer = optax.polynomial_schedule(lr0, lr0 * ratio, power, n)
    steps = np.unique(np.linspace(0, n - 1, 300).astype(np.int32))  # optax: NaN at T
    np.testing.assert_allclose(
        optax_values(peer, steps), ours(steps), rtol=0, atol=f32_bound(ours)
    )
    lin = optax.linear_schedule(lr0, lr0 * ratio, n)
    ours_lin = BaseLR(type="linear", start_lr=lr0, stop_lr=lr0 * ratio, num_steps=n)
    np.testing.assert_allclose(
        optax_values(lin, steps), ours_lin(steps), rtol=0, atol=f32_bound(ours_lin)
    )


@optax_only
@settings(max_examples=25)
@given(lr0=lrs, data=st.data())
def test_piecewise_matches_optax(lr0: float, data: st.DataObject) -> None:
    import optax

    marks = sorted(data.draw(st.sets(st.integers(1, 1000), max_size=5)))
    factors = [data.draw(st.floats(0.05, 2.0)) for _ in marks]
    ours = BaseLR(
        type="piecewise",
        start_lr=lr0,
        num_steps=1000,
        boundaries=marks,
        factors=factors,
    )
    peer = optax.piecewise_constant_schedule(
        lr0, dict(zip(marks, factors, strict=True))
    )
    steps = np.arange(0, 1100, dtype=np.int32)
    np.testing.assert_allclose(
        optax_values(peer, steps), ours(steps), rtol=0, atol=f32_bound(ours)
    )


@optax_only
@settings(max_examples=25)
@given(
    lr0=lrs,
    n=st.integers(1, 5000),
    pct=st.floats(0.0, 0.95),
    div=st.floats(1.0, 100.0),
    final=st.floats(1.0, 1e4),
)
def test_onecycle_matches_optax(
    lr0: float, n: int, pct: float, div: float, final: float
) -> None:
    import optax

    ours = BaseLR(
        type="onecycle",
        start_lr=lr0,
        num_steps=n,
        pct_start=pct,
        div_factor=div,
        final_div_factor=final,
    )
    peer = optax.cosine_onecycle_schedule(n, lr0, pct, div, final)
    steps = np.unique(np.linspace(0, 1.5 * n, 400).astype(np.int32))
    np.testing.assert_allclose(
        optax_values(peer, steps), ours(steps), rtol=0, atol=f32_bound(ours)
    )


@optax_only
@settings(max_examples=25)
@given(data=st.data())
def test_sequence_matches_optax_join(data: st.DataObject) -> None:
    import optax

    n1, n2 = data.draw(st.integers(1, 500)), data.draw(st.integers(1, 500))
    lr0 = data.draw(lrs)
    ours = BaseLR(
        type="sequence",
        boundaries=[n1],
        schedules=[
            {"type": "linear", "start_lr": lr0 / 10, "stop_lr": lr0},
            {"type": "cosine", "start_lr": lr0, "stop_lr": lr0 / 100, "num_steps": n2},
        ],
    )
    peer = optax.join_schedules(
        [
            optax.linear_schedule(lr0 / 10, lr0, n1),
            optax.cosine_decay_schedule(lr0, n2, alpha=0.01),
        ],
        [n1],
    )
    steps = np.arange(0, n1 + n2 + 50, dtype=np.int32)
    np.testing.assert_allclose(
        optax_values(peer, steps), ours(steps), rtol=0, atol=f32_bound(ours)
    )


def torch_lrs(make: Any, steps: int, lr0: float) -> list[float]:
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr0)
    sched = make(opt)
    out = [opt.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scheduler.step() before optimizer.step()
        for _ in range(steps):
            sched.step()
            out.append(opt.param_groups[0]["lr"])
    return out


@torch_only
@settings(max_examples=20)
@given(lr0=lrs, n=st.integers(1, 300), power=st.floats(0.2, 5))
def test_polynomial_matches_torch(lr0: float, n: int, power: float) -> None:
    import torch

    ours = BaseLR(
        type="polynomial", start_lr=lr0, stop_lr=0.0, num_steps=n, power=power
    )
    got = torch_lrs(
        lambda o: torch.optim.lr_scheduler.PolynomialLR(o, n, power), 2 * n, lr0
    )
    np.testing.assert_allclose(got, ours(np.arange(2 * n + 1)), rtol=1e-10, atol=1e-15)


@torch_only
@settings(max_examples=20)
@given(lr0=lrs, data=st.data())
def test_piecewise_matches_multisteplr(lr0: float, data: st.DataObject) -> None:
    import torch

    marks = sorted(data.draw(st.sets(st.integers(1, 300), max_size=5)))
    gamma = data.draw(st.floats(0.05, 0.99))
    ours = BaseLR(
        type="piecewise",
        start_lr=lr0,
        num_steps=300,
        boundaries=marks,
        factors=[gamma] * len(marks),
    )
    got = torch_lrs(
        lambda o: torch.optim.lr_scheduler.MultiStepLR(o, marks, gamma), 350, lr0
    )
    np.testing.assert_allclose(got, ours(np.arange(351)), rtol=1e-12, atol=0)


@torch_only
@settings(max_examples=20)
@given(
    lr0=lrs, ratio=st.floats(0, 1), period=st.integers(1, 60), mult=st.integers(1, 3)
)
def test_cosine_restarts_matches_torch(
    lr0: float, ratio: float, period: int, mult: int
) -> None:
    import torch

    ours = BaseLR(
        type="cosine_restarts",
        start_lr=lr0,
        stop_lr=lr0 * ratio,
        num_steps=1000,
        period=period,
        period_mult=mult,
    )
    got = torch_lrs(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            o, period, mult, eta_min=lr0 * ratio
        ),
        600,
        lr0,
    )
    np.testing.assert_allclose(got, ours(np.arange(601)), rtol=0, atol=1e-12 * lr0)
