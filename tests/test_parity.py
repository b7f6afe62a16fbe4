"""Parity with the peers' own schedules, compared with the peers themselves.

Stepping conventions (which step a rate belongs to), all the same as arraylr's
``lr(k)`` = the rate of the update after ``k`` updates:

* transformers ``get_wsd_schedule`` is a ``LambdaLR``: after ``k`` calls of
  ``scheduler.step()`` the optimizer's rate is ``lr * lambda(k)``;
* torch ``CyclicLR``: after ``k`` calls of ``scheduler.step()`` the rate is
  ``get_lr()`` at ``last_epoch = k`` (the rate at construction is ``base_lr``);
* optax schedules are called with the count of updates so far;
* Keras calls a schedule with ``optimizer.iterations`` before it increments it.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
import textwrap
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def torch_rates(scheduler: Any, optimizer: Any, count: int) -> np.ndarray:
    """The optimizer's rate before each of ``count`` updates."""
    out = []
    for _ in range(count):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.asarray(out, dtype=np.float64)


def sgd(lr: float) -> Any:
    import torch

    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


# --------------------------------------------------------------- transformers

WARMUPS = ["linear", "cosine", "1-sqrt"]
DECAYS = ["linear", "cosine", "1-sqrt"]


@st.composite
def wsd_cases(draw: st.DrawFn) -> dict[str, Any]:
    warmup = draw(st.integers(0, 60))
    decay = draw(st.integers(1, 120))
    stable = draw(st.integers(0, 60))
    return {
        "lr": draw(st.sampled_from([1e-3, 1.0]) | st.floats(1e-6, 10.0)),
        "W": warmup,
        "D": decay,
        "N": warmup + stable + decay,
        "warmup_type": draw(st.sampled_from(WARMUPS)),
        "decay_type": draw(st.sampled_from(DECAYS)),
        "min_lr_ratio": draw(st.sampled_from([0.0, 0.1]) | st.floats(0.0, 0.99)),
    }


def _transformers_wsd(case: dict[str, Any]) -> np.ndarray:
    transformers = pytest.importorskip("transformers")
    optimizer = sgd(case["lr"])
    scheduler = transformers.get_wsd_schedule(
        optimizer,
        num_warmup_steps=case["W"],
        num_decay_steps=case["D"],
        num_training_steps=case["N"],
        warmup_type=case["warmup_type"],
        decay_type=case["decay_type"],
        min_lr_ratio=case["min_lr_ratio"],
    )
    return torch_rates(scheduler, optimizer, case["N"] + 5)


def _arraylr_wsd(case: dict[str, Any]) -> BaseLR:
    lr, ratio = case["lr"], case["min_lr_ratio"]
    return BaseLR(
        type="wsd",
        start_lr=lr,
        stop_lr=lr * ratio,
        warmup_start_factor=ratio,
        num_steps=case["N"],
        warmup_steps=case["W"],
        decay_phase_steps=case["D"],
        decay_type=case["decay_type"],
        warmup_type=case["warmup_type"],
    )


def wsd_bound(case: dict[str, Any]) -> float:
    # transformers forms 1 - t/W in floating point before its square root, so
    # its own 1-sqrt warmup is off by up to ~eps * sqrt(W) near t = W
    extra = max(1.0, math.sqrt(case["W"])) if case["warmup_type"] == "1-sqrt" else 1.0
    return 8 * EPS64 * case["lr"] * extra


@settings(max_examples=60, deadline=None)
@given(case=wsd_cases())
def test_wsd_matches_transformers(case: dict[str, Any]) -> None:
    peer = _transformers_wsd(case)
    ours = _arraylr_wsd(case)
    steps = np.arange(len(peer))
    np.testing.assert_allclose(ours(steps), peer, rtol=0, atol=wsd_bound(case))
    assert [ours(int(k)) for k in steps] == pytest.approx(
        peer.tolist(), rel=0, abs=wsd_bound(case)
    )


@pytest.mark.parametrize("warmup_type", WARMUPS)
@pytest.mark.parametrize("decay_type", DECAYS)
@pytest.mark.parametrize("min_lr_ratio", [0.0, 0.05])
def test_wsd_every_type_matches_transformers(
    warmup_type: str, decay_type: str, min_lr_ratio: float
) -> None:
    case = {
        "lr": 3e-4,
        "W": 100,
        "D": 290,
        "N": 1000,
        "warmup_type": warmup_type,
        "decay_type": decay_type,
        "min_lr_ratio": min_lr_ratio,
    }
    peer = _transformers_wsd(case)
    ours = _arraylr_wsd(case)(np.arange(len(peer)))
    np.testing.assert_allclose(ours, peer, rtol=0, atol=wsd_bound(case))
    assert ours[-1] == case["lr"] * min_lr_ratio


def test_decay_phase_steps_is_exact_where_a_ratio_truncates() -> None:
    by_ratio = BaseLR(
        type="wsd",
        start_lr=1.0,
        stop_lr=0.0,
        num_steps=2900,
        decay_phase_ratio=0.29,
        decay_type="linear",
    )
    by_steps = BaseLR(
        type="wsd",
        start_lr=1.0,
        stop_lr=0.0,
        num_steps=2900,
        decay_phase_steps=841,
        decay_type="linear",
    )
    assert by_ratio.decay_phase_steps == 840  # int(0.29 * 2900)
    assert by_steps.decay_phase_steps == 841 and by_steps.stable_steps == 2059
    with pytest.raises(ValueError, match="mutually exclusive"):
        BaseLR(
            type="wsd",
            start_lr=1.0,
            stop_lr=0.0,
            num_steps=100,
            decay_phase_steps=10,
            decay_phase_ratio=0.1,
            decay_type="linear",
        )
    with pytest.raises(ValueError, match="decay_phase_steps must be <= num_steps"):
        BaseLR(
            type="wsd",
            start_lr=1.0,
            stop_lr=0.0,
            num_steps=100,
            warmup_steps=10,
            decay_phase_steps=91,
            decay_type="linear",
        )
    with pytest.raises(ValueError, match="inverse_linear decay needs stop_lr > 0"):
        BaseLR(type="wsd", start_lr=1.0, stop_lr=0.0, num_steps=100)


@pytest.mark.parametrize("name", ["cosine", "exp", "linear", "constant"])
def test_warmup_type_is_shared_by_every_schedule(name: str) -> None:
    extra = {"constant": {}, "exp": {"stop_lr": 0.01, "decay_steps": 10}}.get(
        name, {"stop_lr": 0.0}
    )
    for kind, shape in (
        ("linear", lambda p: p),
        ("cosine", lambda p: 0.5 * (1 - math.cos(math.pi * p))),
        ("1-sqrt", lambda p: 1 - math.sqrt(1 - p)),
    ):
        lr = BaseLR(
            type=name,
            start_lr=2.0,
            num_steps=100,
            warmup_steps=40,
            warmup_start_factor=0.25,
            warmup_type=kind,
            **extra,
        )
        for t in (0, 7, 20, 39):
            assert lr(t) == pytest.approx(0.5 + 1.5 * shape(t / 40), rel=1e-15)
        values = lr(np.arange(41))
        assert np.all(np.diff(values) > 0) and values[-1] == 2.0
    with pytest.raises(ValueError, match=r"warmup_type must be one of.*'1-sqrt'"):
        BaseLR(type=name, start_lr=1.0, num_steps=10, warmup_type="1sqrt", **extra)


# -------------------------------------------------------------------- optax


def _optax() -> Any:
    pytest.importorskip("jax")
    return pytest.importorskip("optax")


def test_optax_cosine_exponent_tests() -> None:
    # optax's own CosineDecayTest.test_with_exponent, with arraylr's schedule
    lr = BaseLR(type="cosine", start_lr=0.1, stop_lr=0.0, num_steps=100, exponent=2)
    np.testing.assert_allclose(
        lr(np.array([0, 10, 50, 75, 100])),
        [0.1, 0.09516553580760956, 0.025, 0.0021446612663567066, 0.0],
        rtol=1e-6,
        atol=1e-8,
    )
    # WarmupCosineDecayTest.test_limits (both cases)
    for init, peak, end in ((10, 0.5, 1e-4), (5, 3, 0.0)):
        lr = BaseLR(
            type="cosine",
            start_lr=peak,
            stop_lr=end,
            num_steps=1000,
            warmup_steps=100,
            warmup_start_factor=init / peak,
        )
        np.testing.assert_allclose(lr(0), init)
        np.testing.assert_allclose(lr(100), peak)
        np.testing.assert_allclose(lr(1000), end, rtol=1e-3)
    # test_monotonicity_and_exponent_ordering
    kw = {
        "type": "cosine",
        "start_lr": 1.0,
        "stop_lr": 0.1,
        "num_steps": 25,
        "warmup_steps": 5,
    }
    regular = BaseLR(**kw, exponent=1.0)(np.arange(26))
    steep = BaseLR(**kw, exponent=2.0)(np.arange(26))
    assert np.all(np.diff(regular[:6]) > 0) and regular[5] == pytest.approx(1.0)
    assert np.all(np.diff(regular[5:]) <= 0) and regular[-1] == pytest.approx(0.1)
    assert np.all(steep[5:] <= regular[5:] + 1e-12)
    # optax's test_with_exponent cases with end_value=-3 or peak_value=0 are not
    # expressible: arraylr's rates are >= 0 and start_lr > 0.


@settings(max_examples=40, deadline=None)
@given(
    peak=st.floats(1e-4, 10.0),
    init_factor=st.floats(0.0, 1.0),
    end_factor=st.floats(0.0, 1.0),
    warmup=st.integers(0, 50),
    decay=st.integers(1, 300),
    exponent=st.sampled_from([1.0, 2.0, 0.5]) | st.floats(0.1, 8.0),
)
def test_cosine_exponent_matches_optax(
    peak: float,
    init_factor: float,
    end_factor: float,
    warmup: int,
    decay: int,
    exponent: float,
) -> None:
    optax = _optax()
    import jax

    n = warmup + decay
    with jax.enable_x64(True):
        peer = optax.warmup_cosine_decay_schedule(
            init_value=init_factor * peak,
            peak_value=peak,
            warmup_steps=warmup,
            decay_steps=n,
            end_value=end_factor * peak,
            exponent=exponent,
        )
        steps = np.arange(n + 5)
        expected = np.asarray(peer(steps), dtype=np.float64)
    ours = BaseLR(
        type="cosine",
        start_lr=peak,
        stop_lr=end_factor * peak,
        num_steps=n,
        warmup_steps=warmup,
        warmup_start_factor=init_factor,
        exponent=exponent,
    )
    # optax's c ** p with c = (1 + cos) / 2: near the end 1 + cos cancels and a
    # power below 1 magnifies its absolute error (p c ** (p - 1) per unit of c);
    # arraylr evaluates c ** p from the remaining fraction (see
    # test_cosine_exponent_accuracy), so optax's own error is allowed for here
    d = np.clip(steps - warmup, 0, decay).astype(np.float64)
    c = 0.5 * (1.0 + np.cos(np.pi * d / decay))
    with np.errstate(divide="ignore"):
        gain = np.where(c > 0, exponent * c ** (exponent - 1.0), 0.0)
    slack = 4 * EPS64 * peak * (1 - end_factor) * gain
    np.testing.assert_allclose(
        ours(steps), expected, rtol=0, atol=16 * EPS64 * peak + slack.max()
    )
    # and it agrees as tightly as before where optax's expression is well
    # conditioned
    tight = gain <= 1.0
    np.testing.assert_allclose(
        ours(steps)[tight], expected[tight], rtol=0, atol=16 * EPS64 * peak
    )


@settings(max_examples=60, deadline=None)
@given(
    decay=st.integers(2, 10**7),
    exponent=st.sampled_from([0.1, 0.25, 0.5, 2.0]) | st.floats(0.1, 8.0),
    end_factor=st.sampled_from([0.0, 0.1]) | st.floats(0.0, 0.9),
    dtype=st.sampled_from([np.float64, np.float32, np.int64]),
)
def test_cosine_exponent_accuracy(
    decay: int, exponent: float, end_factor: float, dtype: type
) -> None:
    # the last steps of the decay, where 1 + cos cancels, against 40 digits
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    lr = BaseLR(
        type="cosine",
        start_lr=1.0,
        stop_lr=end_factor,
        num_steps=decay,
        exponent=exponent,
    )
    steps = np.unique(np.clip([decay - k for k in (1, 2, 3, 7, 100)], 0, None))
    steps = steps[steps < 2**24] if dtype is np.float32 else steps
    exact = [
        float(
            end_factor
            + (1 - mpmath.mpf(end_factor))
            * ((1 + mpmath.cos(mpmath.pi * int(k) / decay)) / 2) ** mpmath.mpf(exponent)
        )
        for k in steps
    ]
    bound = 8 * EPS32 if dtype is np.float32 else 4 * EPS64
    out = lr(steps.astype(dtype))
    np.testing.assert_allclose(out, exact, rtol=0, atol=bound)
    if dtype is np.int64:  # the scalar route too
        scalar = [lr(int(k)) for k in steps]
        np.testing.assert_allclose(scalar, exact, rtol=0, atol=2 * EPS64)


def test_optax_exponential_growth_tests() -> None:
    # optax's ExponentialTest.test_exponential: decay_rate=2 grows (no end value:
    # arraylr needs a ceiling, here one the run never reaches)
    for staircase in (False, True):
        for begin in (0, 5):
            lr = BaseLR(
                type="exp",
                start_lr=1.0,
                stop_lr=1e30,
                decay_rate=2.0,
                decay_steps=2,
                num_steps=15 + begin,
                warmup_steps=begin,
                warmup_start_factor=1.0,
                smooth=not staircase,
            )
            p = np.arange(15) / 2
            expected = [1.0] * begin + list(2.0 ** (np.floor(p) if staircase else p))
            np.testing.assert_allclose(lr(np.arange(15 + begin)), expected, atol=1e-3)
    # test_end_value_with_staircase: the end value is a floor below 1, a ceiling
    # above it
    for rate, end, staircase in [
        (0.2, 0.1, False),
        (2.0, 3.0, False),
        (0.2, 0.1, True),
        (2.0, 3.0, True),
    ]:
        lr = BaseLR(
            type="exp",
            start_lr=1.0,
            stop_lr=end,
            decay_rate=rate,
            decay_steps=2,
            num_steps=14,
            warmup_steps=3,
            warmup_start_factor=1.0,
            smooth=not staircase,
        )
        p = np.arange(11) / 2
        raw = np.array([1.0] * 3 + list(rate ** (np.floor(p) if staircase else p)))
        expected = np.maximum(raw, end) if rate < 1 else np.minimum(raw, end)
        np.testing.assert_allclose(lr(np.arange(14)), expected, atol=1e-3)
    # test_constant_schedule (decay_rate=1); decay_rate=0 and transition_steps<=0,
    # which optax turns into a constant, are ValueErrors here
    lr = BaseLR(
        type="exp",
        start_lr=1.0,
        stop_lr=1.0,
        decay_rate=1.0,
        decay_steps=15,
        num_steps=15,
    )
    np.testing.assert_allclose(lr(np.arange(15)), 1.0)
    with pytest.raises(ValueError, match="decay_rate"):
        BaseLR(type="exp", start_lr=1.0, stop_lr=0.1, decay_rate=0.0, num_steps=15)


@settings(max_examples=40, deadline=None)
@given(
    lr0=st.floats(1e-4, 1.0),
    rate=st.floats(1.0001, 3.0),
    cap=st.floats(1.0, 1e3),
    period=st.integers(1, 20),
    begin=st.integers(0, 20),
    staircase=st.booleans(),
)
def test_exponential_growth_matches_optax(
    lr0: float, rate: float, cap: float, period: int, begin: int, staircase: bool
) -> None:
    optax = _optax()
    import jax

    with jax.enable_x64(True):
        peer = optax.exponential_decay(
            init_value=lr0,
            transition_steps=period,
            decay_rate=rate,
            transition_begin=begin,
            staircase=staircase,
            end_value=lr0 * cap,
        )
        steps = np.arange(begin + 200)
        expected = np.asarray(peer(steps), dtype=np.float64)
    ours = BaseLR(
        type="exp",
        start_lr=lr0,
        stop_lr=lr0 * cap,
        decay_rate=rate,
        decay_steps=period,
        num_steps=begin + 1,
        warmup_steps=begin,
        warmup_start_factor=1.0,
        smooth=not staircase,
    )
    got = ours(steps)
    np.testing.assert_allclose(got, expected, rtol=64 * EPS64, atol=0)
    assert ours(10**30) == lr0 * cap and ours(math.inf) == lr0 * cap


def test_growth_needs_a_ceiling_above_start() -> None:
    with pytest.raises(ValueError, match="decay_rate=2.0 > 1 makes exp grow"):
        BaseLR(type="exp", start_lr=1.0, stop_lr=0.5, decay_rate=2.0, num_steps=10)
    with pytest.raises(ValueError, match="derived decay_rate"):  # never derived > 1
        BaseLR(type="exp", start_lr=1.0, stop_lr=2.0, num_steps=10, decay_steps=1)


# -------------------------------------------------------------------- torch


@st.composite
def cyclic_cases(draw: st.DrawFn) -> dict[str, Any]:
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    base = draw(st.floats(1e-5, 1.0))
    return {
        "base_lr": base,
        "max_lr": base * draw(st.floats(1.0, 100.0)),
        "step_size_up": draw(st.integers(1, 40)),
        "step_size_down": draw(st.none() | st.integers(0, 40)),
        "mode": mode,
        "gamma": draw(st.floats(0.9, 1.0)) if mode == "exp_range" else 1.0,
    }


@settings(max_examples=60, deadline=None)
@given(case=cyclic_cases())
def test_cyclic_matches_torch(case: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    optimizer = sgd(case["base_lr"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = torch.optim.lr_scheduler.CyclicLR(
            optimizer, cycle_momentum=False, **case
        )
    peer = torch_rates(scheduler, optimizer, 300)
    ours = BaseLR(type="cyclic", num_steps=300, start_lr=case.pop("base_lr"), **case)
    steps = np.arange(300)
    # torch forms x = 1 + k / C - cycle in floating point: its own error grows
    # with the cycle count (eps * k / C, over the shorter slope); arraylr's
    # position in the cycle is exact
    size = ours.step_size_up + ours.step_size_down
    slope = min(ours.step_size_up, ours.step_size_down or ours.step_size_up)
    bound = 8 * EPS64 * ours.max_lr * (1 + steps / size) * size / slope
    for got in (
        ours(steps),
        ours(torch.arange(300)).numpy(),
        np.array([ours(int(k)) for k in steps]),
    ):
        assert np.all(np.abs(got - peer) <= bound), np.max(np.abs(got - peer) / bound)


def test_cyclic_values_and_errors() -> None:
    lr = BaseLR(
        type="cyclic",
        start_lr=0.1,
        max_lr=1.0,
        num_steps=100,
        step_size_up=10,
        mode="triangular2",
    )
    assert (lr(0), lr(5), lr(10), lr(20), lr(30)) == (0.1, 0.55, 1.0, 0.1, 0.55)
    assert lr(math.inf) == 0.1 and lr.final_lr == 0.1 and lr.scale == 1.0
    # max_lr below start_lr: a cycle that falls first (torch's momentum cycle)
    falls = BaseLR(
        type="cyclic", start_lr=1.0, max_lr=0.5, num_steps=40, step_size_up=10
    )
    assert (falls(0), falls(5), falls(10), falls(20)) == (1.0, 0.75, 0.5, 1.0)
    assert falls.scale == 1.0 and falls.final_lr == 1.0
    with pytest.raises(ValueError, match="gamma applies to mode='exp_range' only"):
        BaseLR(type="cyclic", start_lr=0.1, max_lr=1.0, num_steps=10, gamma=0.9)
    with pytest.raises(ValueError, match="mode must be one of"):
        BaseLR(type="cyclic", start_lr=0.1, max_lr=1.0, num_steps=10, mode="exp")


# -------------------------------------------------------------------- keras

KERAS_SCRIPT = textwrap.dedent(
    """
    import numpy as np, keras
    from arraylr import BaseLR
    from arraylr.keras import KerasSchedule

    lr = BaseLR(type="cosine", start_lr=0.1, stop_lr=0.001, num_steps=20,
                warmup_steps=5)
    schedule = KerasSchedule(lr)
    opt = keras.optimizers.SGD(learning_rate=schedule)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=opt, loss="mse")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            rate = self.model.optimizer.learning_rate
            seen.append(float(keras.ops.convert_to_numpy(rate)))

    rng = np.random.default_rng(0)
    x = rng.random((24, 3), dtype="float32"); y = rng.random((24, 1), dtype="float32")
    model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[Record()])
    assert len(seen) == 24 and int(opt.iterations) == 24
    for k, rate in enumerate(seen):  # Keras' variables are float32
        assert abs(rate - lr(k)) <= 8 * 1.2e-7 * 0.1, (k, rate, lr(k))
    assert abs(float(keras.ops.convert_to_numpy(opt.learning_rate)) - lr(24)) < 1e-8
    config = keras.optimizers.schedules.serialize(schedule)
    assert config["config"] == {"schedule": lr.to_dict()}
    again = keras.optimizers.schedules.deserialize(config)
    assert isinstance(again, KerasSchedule) and again.schedule == lr
    again = keras.optimizers.SGD.from_config(opt.get_config())
    assert isinstance(again._learning_rate, KerasSchedule)
    assert again._learning_rate.schedule == lr
    print("ok", keras.backend.backend())
    """
)


def keras_is_installed() -> None:
    # not importorskip: importing keras without KERAS_BACKEND wants tensorflow
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_keras_schedule_trains_and_serialises(backend: str) -> None:
    keras_is_installed()
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    run = subprocess.run(
        [sys.executable, "-c", KERAS_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["ok", backend]


def test_schedule_given_straight_to_keras_says_to_wrap_it() -> None:
    # Keras calls a plain callable learning rate with no argument, at fit()
    keras_is_installed()
    code = textwrap.dedent(
        """
        import keras, numpy as np
        from arraylr import BaseLR
        lr = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=100)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="mse")
        try:
            model.fit(np.zeros((8, 2)), np.zeros((8, 1)), verbose=0)
        except TypeError as e:
            print(e)
        """
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        "LearningRateCosine.value() needs the step: schedule(step). A schedule given "
        "straight to a Keras optimizer as learning_rate is called without one; wrap "
        "it: learning_rate=arraylr.keras.KerasSchedule(schedule)"
    ) in run.stdout, run.stderr[-2000:]


def test_keras_schedule_needs_a_schedule() -> None:
    keras_is_installed()
    code = (
        "from arraylr.keras import KerasSchedule\n"
        "try:\n    KerasSchedule(lambda s: 0.1)\n"
        "except TypeError as e:\n    print(e)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "wraps an arraylr schedule (a BaseLR), got schedule of type function" in (
        run.stdout
    )


KERAS_MAPPINGS = textwrap.dedent(
    """
    import numpy as np, keras
    from arraylr import BaseLR

    steps = np.arange(0, 1300)
    def peer(schedule):
        return np.array([float(keras.ops.convert_to_numpy(schedule(int(s))))
                         for s in steps[::7]])
    def check(ours, theirs, scale):  # Keras computes in float32
        got = ours(steps[::7])
        assert np.max(np.abs(got - theirs)) <= 8 * 1.2e-7 * scale, (
            np.max(np.abs(got - theirs)))

    # CosineDecay with a warmup: warmup_target is the peak, alpha the floor
    theirs = peer(keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.01, decay_steps=1000, alpha=0.05,
        warmup_target=0.1, warmup_steps=200))
    ours = BaseLR(type="cosine", start_lr=0.1, stop_lr=0.05 * 0.1, num_steps=1200,
                  warmup_steps=200, warmup_start_factor=0.1)
    check(ours, theirs, 0.1)
    # PiecewiseConstantDecay switches one step after each boundary
    theirs = peer(keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[300, 700], values=[1.0, 0.5, 0.1]))
    ours = BaseLR(type="piecewise", start_lr=1.0, num_steps=1300,
                  boundaries=[301, 701], values=[0.5, 0.1])
    check(ours, theirs, 1.0)
    # ExponentialDecay: an explicit decay_rate, no floor (stop_lr=0)
    for staircase in (False, True):
        theirs = peer(keras.optimizers.schedules.ExponentialDecay(
            initial_learning_rate=0.1, decay_steps=100, decay_rate=0.9,
            staircase=staircase))
        ours = BaseLR(type="exp", start_lr=0.1, stop_lr=0.0, decay_rate=0.9,
                      decay_steps=100, num_steps=1300, smooth=not staircase)
        check(ours, theirs, 0.1)
    # PolynomialDecay (cycle=False)
    theirs = peer(keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate=0.1, decay_steps=1000, end_learning_rate=0.001,
        power=2.0))
    ours = BaseLR(type="polynomial", start_lr=0.1, stop_lr=0.001, num_steps=1000,
                  power=2.0)
    check(ours, theirs, 0.1)
    print("ok")
    """
)


KERAS_RANDOM = textwrap.dedent(
    """
    import numpy as np, keras
    from arraylr import BaseLR

    S = keras.optimizers.schedules
    rng = np.random.default_rng(0)
    EPS32 = float(np.finfo(np.float32).eps)
    f32 = np.float32
    worst, skipped = {}, {}

    def quotients(steps, k):  # t / k as Keras forms it: rounded, or t * (1 / k)
        return (f32(steps) / f32(k), f32(steps) * (f32(1) / f32(k)))

    def stair_off(steps, k):  # Keras' float32 quotient on the wrong side
        off = np.zeros(steps.shape, bool)
        for q in quotients(steps, k):
            off |= (np.ceil(q) != -(-steps // k)) | (np.floor(q) != steps // k)
        return off

    def restart_off(steps, p, t):  # Keras' float32 cycle index is not the exact
        starts = [0]
        while starts[-1] <= steps.max():
            starts.append(starts[-1] + p * t ** (len(starts) - 1))
        exact = np.searchsorted(np.asarray(starts), steps, side="right") - 1
        off = np.zeros(steps.shape, bool)
        for q in quotients(steps, p):
            if t == 1:
                guess = np.floor(q)
            else:
                inner = np.log(f32(1) - q * (f32(1) - f32(t)))
                guess = np.floor(inner / np.log(f32(t)))
            off |= guess != exact
        return off

    def check(name, ours, theirs, steps, scale, off=None):
        if off is not None:
            skipped[name] = skipped.get(name, 0) + int(off.sum())
            steps = steps[~off]
        got = ours(steps)
        want = np.asarray(keras.ops.convert_to_numpy(theirs(steps)), np.float64)
        err = np.max(np.abs(got - want)) / (EPS32 * scale)
        worst[name] = max(worst.get(name, 0), err)
        i = int(np.argmax(np.abs(got - want)))
        assert err <= 8, (name, err, int(steps[i]), got[i], want[i], ours)

    for _ in range(12):
        k = int(rng.integers(1, 400))
        init = float(10 ** rng.uniform(-4, 0))
        end = init * float(rng.uniform(0, 0.5))
        power = float(rng.choice([1.0, 0.5, rng.uniform(0.2, 4)]))
        steps = np.arange(0, 4 * k + 7)
        ours = BaseLR(type="polynomial", start_lr=init, stop_lr=end, num_steps=k,
                      power=power, cycle=True)
        theirs = S.PolynomialDecay(init, k, end, power=power, cycle=True)
        check("polynomial cycle", ours, theirs, steps, init, stair_off(steps, k))

        rate, stair = float(rng.uniform(0, 3)), bool(rng.integers(0, 2))
        ours = BaseLR(type="inverse_time", start_lr=init, num_steps=4 * k,
                      decay_steps=k, decay_rate=rate, staircase=stair)
        theirs = S.InverseTimeDecay(init, k, rate, staircase=stair)
        off = stair_off(steps, k) if stair else None
        check("inverse_time", ours, theirs, steps, init, off)

        p, tm = int(rng.integers(1, 200)), int(rng.integers(1, 4))
        mm = float(rng.choice([1.0, 2.0, 4.0, rng.uniform(0.3, 3)]))
        steps = np.arange(0, 5 * p * tm**2 + 3)
        ours = BaseLR(type="cosine_restarts", start_lr=init, stop_lr=0.0,
                      num_steps=len(steps), period=p, period_mult=tm, peak_decay=mm)
        theirs = S.CosineDecayRestarts(init, p, t_mul=float(tm), m_mul=mm, alpha=0.0)
        check("cosine_restarts", ours, theirs, steps, ours.scale,
              restart_off(steps, p, tm))
    assert sum(skipped.values()) < 40, skipped  # boundary steps only
    print("ok", worst, skipped)
    """
)


def test_keras_schedules_over_random_parameters() -> None:
    # PolynomialDecay(cycle=True), InverseTimeDecay (staircase too) and
    # CosineDecayRestarts with growing peaks (m_mul > 1), at every step of a few
    # cycles, within Keras' float32 rounding (8 eps32 of the largest rate).
    # Keras forms t / k (or XLA's t * (1 / k)) in float32, which puts a few
    # stair and cycle boundaries a step early; those steps are left out, and
    # counted.
    keras_is_installed()
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run(
        [sys.executable, "-c", KERAS_RANDOM],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("ok"), run.stdout


def test_keras_schedules_map_to_arraylr() -> None:
    keras_is_installed()
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run(
        [sys.executable, "-c", KERAS_MAPPINGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["ok"]


@settings(max_examples=30, deadline=None)
@given(
    lr0=st.floats(1e-5, 1.0),
    warmup=st.integers(0, 50),
    rest=st.integers(1, 200),
    power=st.sampled_from([1.0, 2.0]) | st.floats(0.5, 3.0),
    end_factor=st.floats(0.0, 0.5),
)
def test_transformers_warmup_schedules_map_to_arraylr(
    lr0: float, warmup: int, rest: int, power: float, end_factor: float
) -> None:
    transformers = pytest.importorskip("transformers")
    n = warmup + rest
    cases = [
        (
            lambda o: transformers.get_cosine_schedule_with_warmup(o, warmup, n),
            {"type": "cosine", "stop_lr": 0.0},
            n + 1,  # transformers follows the wave back up after n; arraylr holds 0
        ),
        (
            lambda o: transformers.get_linear_schedule_with_warmup(o, warmup, n),
            {"type": "linear", "stop_lr": 0.0},
            n + 20,
        ),
        (
            lambda o: transformers.get_constant_schedule_with_warmup(o, warmup),
            {"type": "constant"},
            n + 20,
        ),
        (
            lambda o: transformers.get_polynomial_decay_schedule_with_warmup(
                o, warmup, n, lr_end=end_factor * lr0, power=power
            ),
            {"type": "polynomial", "stop_lr": end_factor * lr0, "power": power},
            n + 20,
        ),
    ]
    for make, config, count in cases:
        optimizer = sgd(lr0)
        peer = torch_rates(make(optimizer), optimizer, count)
        ours = BaseLR(**config, start_lr=lr0, num_steps=n, warmup_steps=warmup)
        np.testing.assert_allclose(
            ours(np.arange(count)),
            peer,
            rtol=0,
            atol=16 * EPS64 * lr0,
            err_msg=config["type"],
        )


def test_torch_step_and_exponential_map_to_exp() -> None:
    torch = pytest.importorskip("torch")
    for make, config in (
        (
            lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.5),
            {"decay_steps": 30, "decay_rate": 0.5},
        ),
        (
            lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.97),
            {"decay_steps": 1, "decay_rate": 0.97},
        ),
    ):
        optimizer = sgd(0.1)
        peer = torch_rates(make(optimizer), optimizer, 300)
        ours = BaseLR(type="exp", start_lr=0.1, stop_lr=0.0, num_steps=300, **config)
        np.testing.assert_allclose(ours(np.arange(300)), peer, rtol=1e-13, atol=0)


@pytest.mark.parametrize(("total", "pct"), [(100, 0.3), (40, 0.25), (1000, 0.1)])
def test_torch_onecycle_is_cosine_with_a_cosine_warmup(total: int, pct: float) -> None:
    # OneCycleLR ends its phases one step earlier than optax (and arraylr's
    # onecycle): its rise lasts pct * total - 1 steps and it reaches the floor at
    # total - 1, which a cosine with a cosine-shaped warmup expresses exactly
    torch = pytest.importorskip("torch")
    optimizer = sgd(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=0.1,
            total_steps=total,
            pct_start=pct,
            div_factor=25.0,
            final_div_factor=1e4,
            cycle_momentum=False,
        )
    peer = torch_rates(scheduler, optimizer, total)
    ours = BaseLR(
        type="cosine",
        start_lr=0.1,
        stop_lr=0.1 / 25 / 1e4,
        num_steps=total - 1,
        warmup_steps=round(pct * total) - 1,
        warmup_start_factor=1 / 25,
        warmup_type="cosine",
    )
    np.testing.assert_allclose(ours(np.arange(total)), peer, rtol=0, atol=1e-15)
    optax_like = BaseLR(type="onecycle", start_lr=0.1, num_steps=total, pct_start=pct)
    assert optax_like(round(pct * total)) == 0.1  # one step later than torch
    assert peer[round(pct * total) - 1] == pytest.approx(0.1, rel=1e-15)


def test_torch_cosine_annealing_until_t_max() -> None:
    torch = pytest.importorskip("torch")
    optimizer = sgd(0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=200, eta_min=0.001
    )
    peer = torch_rates(scheduler, optimizer, 260)
    ours = BaseLR(type="cosine", start_lr=0.1, stop_lr=0.001, num_steps=200)
    # torch's recursive form drifts by rounding; equal to 1e-12 up to T_max
    np.testing.assert_allclose(ours(np.arange(201)), peer[:201], rtol=1e-12)
    assert peer[230] > 0.001 * 1.5 and ours(230) == 0.001  # torch turns back up
