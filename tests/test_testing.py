"""The public arraylr.testing module: backends, agreement checks, strategies."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.testing import (
    assert_backends_agree,
    available_backends,
    backend_disagreements,
    default_steps,
)
from arraylr.testing import strategies as lrst

from conftest import TYPES


@BaseLR.register("test-torch-drift")
class TorchDrift(BaseLR):
    """Deliberately inconsistent: PyTorch sees a learning rate 1e-9 higher."""

    _propagates_nan = True

    def __init__(self, start_lr: float, num_steps: int, **kwargs: Any) -> None:
        super().__init__(start_lr, num_steps, stop_lr=0.0, **kwargs)

    def _decay_value(self, step: Any, xp: Any) -> Any:
        drift = 1e-9 if "torch" in getattr(xp, "__name__", "") else 0.0
        return self.start_lr / (1 + step / 100) + drift


@BaseLR.register("test-scalar-drift")
class ScalarDrift(TorchDrift):
    """Deliberately inconsistent: only the Python-scalar route drifts."""

    def _decay_value(self, step: Any, xp: Any) -> Any:
        drift = 1e-9 if type(step) in (int, float) else 0.0
        return self.start_lr / (1 + step / 100) + drift


def test_available_backends() -> None:
    names = available_backends()
    assert names[0] == "numpy"
    for name in ("array_api_strict", "torch", "jax", "dask"):
        pytest.importorskip(name)
        assert name in names
    assert "cupy" not in names or pytest.importorskip("cupy")


def test_consistent_schedule_passes_everywhere() -> None:
    lr = BaseLR(
        type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=1000, warmup_steps=50
    )
    report = assert_backends_agree(lr)
    assert {d.backend for d in report} == {"python", *available_backends()}
    assert all(d.ok and d.ratio <= 1 for d in report)


def test_inconsistent_backend_is_named() -> None:
    pytest.importorskip("torch")
    lr = BaseLR(type="test-torch-drift", start_lr=1e-3, num_steps=1000)
    with pytest.raises(AssertionError) as info:
        assert_backends_agree(lr, steps=np.arange(0, 500, 7))
    message = str(info.value)
    assert re.search(
        r"backend 'torch' \(int64 steps -> float64\) at step \d+:", message
    )
    assert "0.001000001" in message and "vs NumPy float64 0.001" in message
    assert "numpy" not in message.replace("NumPy", "")
    report = backend_disagreements(lr, steps=[0, 10], backends=["numpy", "torch"])
    assert [d.ok for d in report if d.backend == "torch"] == [False, False, False]


def test_inconsistent_scalar_route_is_named() -> None:
    lr = BaseLR(type="test-scalar-drift", start_lr=1e-3, num_steps=1000)
    with pytest.raises(
        AssertionError, match=r"backend 'python' \(int steps -> scalar\)"
    ):
        assert_backends_agree(lr, backends=["numpy"])


def test_bad_arguments() -> None:
    lr = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=10)
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'"):
        assert_backends_agree(lr, backends=["tensorflow"])
    with pytest.raises(TypeError, match="steps must be integers"):
        assert_backends_agree(lr, steps=[0.5])


def test_default_steps_cover_the_phases() -> None:
    lr = BaseLR(type="wsd", start_lr=1.0, stop_lr=0.1, num_steps=1000, warmup_steps=100)
    steps = default_steps(lr)
    for must in (0, 99, 100, 101, 100 + lr.stable_steps, 1000, 1001, 2001):
        assert must in steps
    assert steps.min() == 0


@given(lrst.configs("wsd"))
def test_configs_follow_the_signature(config: dict[str, Any]) -> None:
    assert config["type"] == "wsd"
    assert config["decay_type"] in ("inverse_linear", "cosine", "linear", "1-sqrt")
    if "decay_phase_steps" in config:
        assert "decay_phase_ratio" not in config
        assert 1 <= config["decay_phase_steps"] <= config["num_steps"]
    else:
        assert 0 < config["decay_phase_ratio"] <= 1
    BaseLR(**config)


@given(lrst.schedules("test-torch-drift"))
def test_strategies_for_custom_schedules(lr: BaseLR) -> None:
    assert isinstance(lr, TorchDrift)
    assert lr.stop_lr == 0.0


@given(lrst.configs("exp", decay_steps=st.just(7), smooth=st.just(True)))
def test_overrides(config: dict[str, Any]) -> None:
    assert config["decay_steps"] == 7
    assert config["smooth"] is True


@given(st.data())
def test_step_arrays(data: st.DataObject) -> None:
    lr = data.draw(lrst.schedules("cosine", max_steps=1000))
    arr = data.draw(lrst.step_arrays(lr, dtype=np.float32))
    assert arr.dtype == np.float32
    assert np.all(arr >= 0)
    ints = data.draw(lrst.step_arrays(lr, negative=True))
    assert ints.dtype == np.int64
    near = data.draw(st.lists(lrst.steps(lr, negative=True, far=False), min_size=1))
    assert min(near) >= -10 and max(near) <= 2 * lr.num_steps + 10
    far = data.draw(st.lists(lrst.steps(lr), min_size=1))
    assert min(far) >= 0 and max(far) <= 2**63 - 1


def test_unregistered_schedule_is_refused() -> None:
    with pytest.raises(TypeError, match="not registered"):
        lrst.configs(type("Local", (TorchDrift,), {}))


@pytest.mark.parametrize("kind", TYPES)
def test_strategies_draw_every_parameter_of_every_type(kind: str) -> None:
    """Drawn configs of each registered type are valid, and together they give
    each of the type's own parameters a value (a parameter never drawn is
    never tested)."""
    seen: set[str] = set()

    @settings(max_examples=60, suppress_health_check=list(HealthCheck))
    @given(lrst.configs(kind, max_steps=10**4))
    def draw(config: dict[str, Any]) -> None:
        assert config["type"] == kind
        BaseLR(**config)
        seen.update(config)

    draw()
    cls = BaseLR.registered_types()[kind]
    own = [p for p in cls._parameter_names() if p not in lrst.SHARED]
    assert [p for p in own if p not in seen] == [], kind


@BaseLR.register("test-negative-default")
class NegativeDefault(BaseLR):
    """A parameter whose default is negative (timm's tanh lb=-7.0)."""

    _propagates_nan = True

    def __init__(
        self, start_lr: float, num_steps: int, lb: float = -7.0, **kwargs: Any
    ) -> None:
        super().__init__(start_lr, num_steps, stop_lr=0.0, **kwargs)
        self.lb = lb

    def _decay_value(self, step: Any, xp: Any) -> Any:
        return self.start_lr / (1 + step / 100)


@given(lrst.configs("test-negative-default"))
def test_a_negative_default_is_drawn_on_its_side(config: dict[str, Any]) -> None:
    # the default's sign and magnitude, not (0, 1]
    assert -70.0 <= config["lb"] <= -0.7
