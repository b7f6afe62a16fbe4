"""Hypothesis properties: decay is monotone, values are bounded, phases join
continuously, and every route (scalar, 0-d array, array) agrees within SPEC bounds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.testing.strategies import configs, steps

BUILT_IN = st.sampled_from(["exp", "cosine", "wsd"]).flatmap(configs)
EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def scale(lr: BaseLR) -> float:
    return max(lr.start_lr, lr.warmup_start_lr)


@st.composite
def schedule_and_steps(draw: st.DrawFn, size: int = 40) -> tuple[BaseLR, np.ndarray]:
    lr = BaseLR(**draw(BUILT_IN))
    drawn = draw(st.lists(steps(lr, negative=True), min_size=1, max_size=size))
    return lr, np.asarray(drawn, dtype=np.int64)


@given(schedule_and_steps())
def test_scalar_matches_array(case: tuple[BaseLR, np.ndarray]) -> None:
    lr, steps = case
    array = lr(steps)
    scalars = np.array([lr(int(s)) for s in steps])
    zero_d = np.array([lr(np.asarray(s)) for s in steps])
    bound = 2 * EPS64 * scale(lr)
    np.testing.assert_allclose(scalars, array, rtol=0, atol=bound)
    np.testing.assert_allclose(scalars, zero_d, rtol=0, atol=bound)
    floats = np.array([lr(float(s)) for s in steps])
    np.testing.assert_allclose(floats, lr(steps.astype(np.float64)), rtol=0, atol=bound)


@given(schedule_and_steps())
def test_float32_matches_float64(case: tuple[BaseLR, np.ndarray]) -> None:
    lr, steps = case
    steps = steps[np.abs(steps) < 2**24]  # exactly representable in float32
    f32 = lr(steps.astype(np.float32))
    assert f32.dtype == np.float32
    f64 = lr(steps)
    np.testing.assert_allclose(f32, f64, rtol=0, atol=8 * EPS32 * scale(lr))


@given(schedule_and_steps(size=80))
def test_bounded(case: tuple[BaseLR, np.ndarray]) -> None:
    lr, steps = case
    values = lr(steps)
    tol = 4 * EPS64 * scale(lr)
    low = min(lr.stop_lr, lr.warmup_start_lr)
    high = max(lr.start_lr, lr.warmup_start_lr)
    assert np.all(values >= low - tol)
    assert np.all(values <= high + tol)
    assert np.all(np.isfinite(values))


@given(schedule_and_steps(size=80))
def test_non_increasing_after_warmup(case: tuple[BaseLR, np.ndarray]) -> None:
    lr, steps = case
    after = np.unique(steps[steps >= lr.warmup_steps])
    values = lr(after)
    assert np.all(np.diff(values) <= 2 * EPS64 * scale(lr))


@given(schedule_and_steps(size=80))
def test_warmup_non_decreasing(case: tuple[BaseLR, np.ndarray]) -> None:
    lr, steps = case
    if lr.warmup_start_lr > lr.start_lr:
        return
    before = np.unique(steps[steps < lr.warmup_steps])
    assert np.all(np.diff(lr(before)) >= -2 * EPS64 * scale(lr))


def boundaries(lr: BaseLR) -> list[tuple[float, float]]:
    """(boundary step, length of the shortest adjacent phase) pairs."""
    w, t = lr.warmup_steps, lr.decay_num_steps
    out = []
    if w > 0:
        out.append((float(w), float(min(w, max(t, 1)))))
    kind = lr.type_name
    if kind == "wsd" and t > 0:
        stable = lr.stable_steps  # type: ignore[attr-defined]
        decay = lr.decay_phase_steps  # type: ignore[attr-defined]
        if stable > 0:
            out.append((float(w + stable), float(min(stable, decay))))
        out.append((float(w + t), float(decay)))
    elif (kind == "cosine" and t > 0) or (kind == "exp" and t > 0 and lr.smooth):
        out.append((float(w + t), float(t)))
    return out


@given(st.data())
def test_continuous_at_phase_boundaries(data: st.DataObject) -> None:
    lr = BaseLR(**data.draw(BUILT_IN))
    delta = 1e-6
    for step, length in boundaries(lr):
        left, at, right = lr(step - delta), lr(step), lr(step + delta)
        # every built-in phase changes by at most ~pi * S over its own length, but
        # inverse_linear, whose slope at its start is (start/stop - 1) * S per length
        steep = 4.0
        if getattr(lr, "decay_type", None) == "inverse_linear":
            steep = max(steep, 2 * lr.start_lr / lr.stop_lr)
        if lr.type_name == "exp":  # slope ln(1/r) / decay_steps * S, times length T
            rate, period = lr.decay_rate, lr.decay_steps  # type: ignore[attr-defined]
            steep = max(steep, 1.01 * -math.log(rate) * lr.decay_num_steps / period)
        tol = steep * scale(lr) * delta / length + 8 * EPS64 * scale(lr)
        if "1-sqrt" in (getattr(lr, "decay_type", None), lr.warmup_type):
            # 1 - sqrt(p) is continuous but not Lipschitz: a change of sqrt(delta)
            tol += 1.01 * scale(lr) * math.sqrt(delta / length)
        power = getattr(lr, "exponent", 1.0)
        if power != 1.0:  # c ** p of the cosine factor c ~ (pi delta / 2T) ** 2
            tol += (
                1.01
                * max(1.0, power)
                * scale(lr)
                * (math.pi * delta / length) ** min(1.0, 2 * power)
            )
        assert abs(left - at) <= tol, (step, left, at)
        assert abs(right - at) <= tol, (step, right, at)


@given(st.data())
def test_end_values(data: st.DataObject) -> None:
    config: dict[str, Any] = data.draw(
        st.sampled_from(["cosine", "wsd"]).flatmap(configs)
    )
    lr = BaseLR(**config)
    end = lr.warmup_steps + lr.decay_num_steps
    if lr.decay_num_steps > 0 or lr.type_name == "wsd":
        assert lr(end) == lr(end + 1) == lr(10 * end + 7)
        assert math.isclose(lr(end), lr.stop_lr, rel_tol=2 * EPS64)
    assert (
        lr(lr.warmup_steps) == lr.start_lr
        or (
            lr.type_name == "wsd" and lr.stable_steps == 0  # type: ignore[attr-defined]
        )
        or lr.decay_num_steps == 0
    )


@settings(max_examples=50)
@given(st.data())
def test_negative_steps_equal_step_zero(data: st.DataObject) -> None:
    lr = BaseLR(**data.draw(BUILT_IN))
    neg = data.draw(st.integers(-(10**9), -1))
    assert lr(neg) == lr(0)
    assert lr(np.asarray([neg]))[0] == lr(np.asarray([0]))[0]
