"""Hypothesis strategies for valid configurations of the built-in schedules."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

log_uniform = st.floats(min_value=-6.0, max_value=0.0).map(lambda e: 10.0**e)


@st.composite
def configs(
    draw: st.DrawFn, types: tuple[str, ...] = ("exp", "cosine", "wsd")
) -> dict[str, Any]:
    """A random valid config dict of one of ``types`` (stop_lr <= start_lr)."""
    kind = draw(st.sampled_from(types))
    num_steps = draw(
        st.one_of(st.integers(0, 20), st.integers(0, 5000), st.integers(0, 10**7))
    )
    config: dict[str, Any] = {
        "type": kind,
        "num_steps": num_steps,
        "start_lr": draw(log_uniform),
    }
    ratio = draw(st.floats(min_value=-8.0, max_value=0.0).map(lambda e: 10.0**e))
    if kind != "wsd" and draw(st.booleans()):
        ratio = draw(st.sampled_from([0.0, ratio]))
    if draw(st.booleans()):
        config["stop_lr_ratio"] = ratio
    else:
        config["stop_lr"] = config["start_lr"] * ratio
    if num_steps > 1 and draw(st.booleans()):
        if draw(st.booleans()):
            config["warmup_steps"] = draw(st.integers(0, num_steps - 1))
        else:
            config["warmup_ratio"] = draw(st.floats(0.0, 0.95))
        config["warmup_start_factor"] = draw(
            st.sampled_from([0.0, 0.1, 1.0]) | st.floats(0, 1)
        )
    if kind == "exp":
        config["decay_steps"] = draw(st.integers(1, 10**5))
        config["smooth"] = draw(st.booleans())
        if draw(st.integers(0, 3)) == 0:
            config["decay_rate"] = draw(st.floats(0.5, 1.0))
    elif kind == "wsd":
        config["decay_phase_ratio"] = draw(
            st.floats(0.0, 1.0, exclude_min=True) | st.sampled_from([1.0, 1e-3])
        )
        config["decay_type"] = draw(
            st.sampled_from(["inverse_linear", "cosine", "linear"])
        )
    return config


def steps_for(num_steps: int) -> st.SearchStrategy[int]:
    """Integer steps around and beyond a run of ``num_steps`` steps."""
    return st.integers(-10, 2 * num_steps + 10)
