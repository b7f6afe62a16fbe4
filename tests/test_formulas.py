"""Each schedule at hand-computed steps, for every option of SPEC sections 1-4."""

from __future__ import annotations

import math

import pytest

from arraylr import BaseLR, LearningRateCosine, LearningRateExp, LearningRateWSD

REL = 1e-13


def approx(x: float) -> object:
    return pytest.approx(x, rel=REL, abs=1e-300)


class TestExp:
    def test_stepped_staircase(self) -> None:
        lr = LearningRateExp(
            start_lr=1e-3, stop_lr=1e-5, num_steps=10000, decay_steps=1000
        )
        rate = 0.01 ** (1 / 10)
        assert lr.decay_rate == approx(rate)
        assert lr(0) == 1e-3
        assert lr(999) == 1e-3
        assert lr(1000) == approx(1e-3 * rate)
        assert lr(2500) == approx(1e-3 * rate**2)
        assert lr(9999) == approx(1e-3 * rate**9)
        assert lr(10000) == approx(1e-5)
        assert lr(10**6) == 1e-5  # floored at min_lr
        assert lr.min_lr == 1e-5

    def test_smooth(self) -> None:
        lr = LearningRateExp(
            start_lr=1e-3, stop_lr=1e-5, num_steps=10000, decay_steps=1000, smooth=True
        )
        rate = 0.01 ** (1 / 10)
        assert lr(500) == approx(1e-3 * rate**0.5)
        assert lr(1234) == approx(1e-3 * rate**1.234)
        assert lr(5000) == approx(1e-4)

    def test_explicit_decay_rate(self) -> None:
        lr = LearningRateExp(
            start_lr=1.0, stop_lr=0.01, num_steps=100, decay_steps=10, decay_rate=0.5
        )
        assert lr.decay_rate == 0.5
        assert lr(9) == 1.0
        assert lr(25) == approx(0.25)
        assert lr(60) == approx(0.5**6)
        assert lr(1000) == 0.01  # 0.5**100 is below the floor

    def test_explicit_rate_keeps_decay_steps(self) -> None:
        lr = LearningRateExp(
            start_lr=1.0, stop_lr=0.0, num_steps=100, decay_steps=500, decay_rate=0.9
        )
        assert lr.decay_steps == 500
        assert lr(499) == 1.0
        assert lr(500) == approx(0.9)

    @pytest.mark.parametrize(
        ("num_steps", "warmup_steps", "decay_steps", "expected"),
        [
            (1000, 0, 5000, 11),  # T // 10 == 100 is not > 100: T // 100 + 1
            (2000, 0, 5000, 100),  # T // 10 == 200 > 100
            (2000, 500, 5000, 100),  # T = 1500
            (1010, 0, 1010, 100),  # decay_steps == T counts as >= T
            (50, 0, 5000, 1),
            (10000, 0, 5000, 5000),  # shorter than T: kept
            (0, 0, 7, 1),  # T == 0
        ],
    )
    def test_decay_steps_adjustment(
        self, num_steps: int, warmup_steps: int, decay_steps: int, expected: int
    ) -> None:
        lr = LearningRateExp(
            start_lr=1.0,
            stop_lr=0.1,
            num_steps=num_steps,
            warmup_steps=warmup_steps,
            decay_steps=decay_steps,
        )
        assert lr.decay_steps == expected
        assert lr.to_dict()["decay_steps"] == decay_steps  # the given value

    def test_zero_length_decay(self) -> None:
        lr = LearningRateExp(start_lr=2.0, stop_lr=0.5, num_steps=0)
        assert lr.decay_rate == 1.0
        assert lr.decay_num_steps == 0
        assert [lr(t) for t in (0, 1, 100)] == [2.0, 2.0, 2.0]

    def test_exact_integer_staircase(self) -> None:
        # float division 1531931/1531931 may round below 1 in float32 kernels;
        # the exponent is an integer floor division of the step.
        lr = LearningRateExp(
            start_lr=1.0, stop_lr=1e-8, num_steps=10**8, decay_steps=1531931
        )
        assert lr(1531930) == 1.0
        assert lr(1531931) == approx(lr.decay_rate)

    def test_stop_lr_zero_uses_floor(self) -> None:
        lr = LearningRateExp(start_lr=1.0, stop_lr=0.0, num_steps=100, decay_steps=10)
        assert lr.decay_rate == approx(math.exp(math.log(1e-10) / 10))
        assert lr(100) == approx(1e-10)


class TestCosine:
    def test_values(self) -> None:
        lr = LearningRateCosine(start_lr=1.0, stop_lr=0.0, num_steps=100)
        assert lr.lr_min_factor == 0.0
        assert lr(0) == 1.0
        assert lr(25) == approx(0.5 * (1 + math.cos(math.pi / 4)))
        assert lr(50) == approx(0.5)
        assert lr(100) == 0.0
        assert lr(150) == 0.0

    def test_stop_lr_and_end_exact(self) -> None:
        lr = LearningRateCosine(start_lr=1e-3, stop_lr=1e-5, num_steps=1000)
        assert lr.lr_min_factor == approx(0.01)
        assert lr(500) == approx(1e-5 + (1e-3 - 1e-5) * 0.5)
        assert lr(1000) == lr.start_lr * lr.lr_min_factor
        assert lr(10**9) == lr.start_lr * lr.lr_min_factor

    def test_zero_length_decay(self) -> None:
        lr = LearningRateCosine(start_lr=0.3, stop_lr=0.1, num_steps=0)
        assert [lr(t) for t in (0, 1, 10**6)] == [0.3, 0.3, 0.3]


class TestWarmup:
    def test_by_steps(self) -> None:
        lr = LearningRateCosine(
            start_lr=1.0, stop_lr=0.0, num_steps=110, warmup_steps=10
        )
        assert lr.decay_num_steps == 100
        assert lr.warmup_start_lr == 0.0
        assert lr(0) == 0.0
        assert lr(5) == approx(0.5)
        assert lr(9) == approx(0.9)
        assert lr(10) == 1.0
        assert lr(60) == approx(0.5)
        assert lr(110) == 0.0

    def test_start_factor(self) -> None:
        lr = LearningRateExp(
            start_lr=2.0,
            stop_lr=0.2,
            num_steps=100,
            warmup_steps=10,
            warmup_start_factor=0.1,
            decay_steps=10,
        )
        assert lr.warmup_start_lr == approx(0.2)
        assert lr(0) == approx(0.2)
        assert lr(5) == approx(0.2 + 1.8 * 0.5)
        assert lr(10) == 2.0

    def test_fractional_steps(self) -> None:
        lr = LearningRateCosine(
            start_lr=1.0, stop_lr=0.0, num_steps=20, warmup_steps=10
        )
        assert lr(2.5) == approx(0.25)
        assert lr(15.0) == approx(0.5)
        assert lr(12.5) == approx(0.5 * (1 + math.cos(math.pi / 4)))

    @pytest.mark.parametrize(
        ("ratio", "num_steps", "expected"),
        [(0.25, 10, 2), (0.29, 10, 2), (0.5, 7, 3), (0.0, 10, 0), (0.999, 1000, 999)],
    )
    def test_ratio_truncates(self, ratio: float, num_steps: int, expected: int) -> None:
        lr = LearningRateCosine(
            start_lr=1.0, stop_lr=0.0, num_steps=num_steps, warmup_ratio=ratio
        )
        assert lr.warmup_steps == expected
        assert lr.decay_num_steps == num_steps - expected

    def test_stop_lr_ratio(self) -> None:
        lr = LearningRateCosine(start_lr=0.5, stop_lr_ratio=0.1, num_steps=10)
        assert lr.stop_lr == approx(0.05)

    @pytest.mark.parametrize("name", ["exp", "cosine", "wsd"])
    def test_negative_steps_are_step_zero(self, name: str) -> None:
        lr = BaseLR(
            type=name,
            start_lr=1.0,
            stop_lr=0.1,
            num_steps=100,
            warmup_steps=10,
            warmup_start_factor=0.5,
        )
        assert lr(-1) == lr(0) == 0.5
        assert lr(-1e9) == 0.5
        assert lr(-0.5) == 0.5

    @pytest.mark.parametrize("name", ["exp", "cosine", "wsd"])
    def test_nan_step(self, name: str) -> None:
        lr = BaseLR(type=name, start_lr=1.0, stop_lr=0.1, num_steps=100)
        assert math.isnan(lr(math.nan))


class TestWSD:
    def make(self, decay_type: str, **kw: object) -> LearningRateWSD:
        params: dict[str, object] = {
            "start_lr": 1.0,
            "stop_lr": 0.5,
            "num_steps": 100,
            "decay_phase_ratio": 0.5,
            "decay_type": decay_type,
        }
        params.update(kw)
        return LearningRateWSD(**params)  # type: ignore[arg-type]

    def test_phases(self) -> None:
        lr = self.make("linear")
        assert (lr.decay_phase_steps, lr.stable_steps) == (50, 50)
        assert lr(0) == lr(49) == lr(50) == 1.0
        assert lr(75) == approx(0.75)
        assert lr(99) == approx(0.51)
        assert lr(100) == lr(1000) == 0.5

    def test_cosine(self) -> None:
        lr = self.make("cosine")
        assert lr(75) == approx(0.5 + 0.5 * 0.5 * (1 + math.cos(math.pi / 2)))
        assert lr(60) == approx(0.5 + 0.25 * (1 + math.cos(math.pi * 0.2)))

    def test_inverse_linear(self) -> None:
        lr = self.make("inverse_linear")
        assert lr(75) == approx(1 / (0.5 / 0.5 + 0.5 / 1.0))
        assert lr(90) == approx(1 / (0.8 / 0.5 + 0.2 / 1.0))
        assert lr(100) == 0.5

    def test_default_type_is_inverse_linear(self) -> None:
        lr = LearningRateWSD(start_lr=1.0, stop_lr=0.5, num_steps=100)
        assert lr.decay_type == "inverse_linear"
        assert lr.decay_phase_ratio == 0.1
        assert (lr.decay_phase_steps, lr.stable_steps) == (10, 90)

    def test_decay_phase_clamped_to_decay_steps(self) -> None:
        lr = self.make("linear", decay_phase_ratio=1.0, warmup_steps=20)
        assert (lr.decay_phase_steps, lr.stable_steps) == (80, 0)
        assert lr(20) == 1.0
        assert lr(60) == approx(0.75)

    def test_decay_phase_at_least_one(self) -> None:
        lr = self.make("linear", decay_phase_ratio=0.001)
        assert (lr.decay_phase_steps, lr.stable_steps) == (1, 99)
        assert lr(98) == 1.0
        assert lr(99) == 1.0
        assert lr(100) == 0.5

    def test_with_warmup(self) -> None:
        lr = self.make("linear", warmup_steps=10, warmup_start_factor=0.2)
        assert lr(0) == approx(0.2)
        assert lr(10) == 1.0
        assert lr.decay_num_steps == 90
        assert (lr.decay_phase_steps, lr.stable_steps) == (50, 40)
        assert lr(75) == approx(0.75)

    def test_zero_steps(self) -> None:
        lr = LearningRateWSD(start_lr=1.0, stop_lr=0.5, num_steps=0)
        assert lr(0) == lr(5) == 0.5
