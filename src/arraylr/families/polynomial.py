r"""Constant, polynomial and linear decay: ``type="constant"``, ``"polynomial"``,
``"linear"``."""

from __future__ import annotations

import math
from typing import Any

from .._exact import FLOAT32_MAX, as_float, exceeds_dtype, is_zero, split_edge
from .._roles import SHARED_EDGES, is_one, powers
from .._scalar import SCALAR, Array, Namespace, zero_safe
from .._validation import check_bool, check_float
from ..base import BaseLR, WarmupType, cycle_position

__all__ = ["LearningRateConstant", "LearningRateLinear", "LearningRatePolynomial"]


@BaseLR.register("constant")
class LearningRateConstant(BaseLR):
    r"""A constant learning rate after the (optional) warmup.

    .. math::

        \eta(d) = \eta_0

    Parameters
    ----------
    start_lr, num_steps, warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR` (``stop_lr`` is ``start_lr``).

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="constant", start_lr=0.1, num_steps=100, warmup_steps=10)
    >>> lr(5), lr(10), lr(1000)
    (0.05, 0.1, 0.1)
    """

    _propagates_nan = False
    _example = {"start_lr": 1.0, "num_steps": 10_000, "warmup_steps": 500}
    _edges = SHARED_EDGES
    _differentiable = ("start_lr",)

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        warmup_steps: int = 0,
        warmup_ratio: float | None = None,
        warmup_start_factor: float = 0.0,
        warmup_type: WarmupType | None = None,
    ) -> None:
        super().__init__(
            start_lr,
            num_steps,
            stop_lr=start_lr,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            warmup_start_factor=warmup_start_factor,
            warmup_type=warmup_type,
        )
        self._settle()

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        return cls._base_values(p, s, p["start_lr"])  # stop_lr is start_lr

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        return xp.full_like(step, self.start_lr)


@BaseLR.register("polynomial")
class LearningRatePolynomial(BaseLR):
    r"""Polynomial decay from ``start_lr`` to ``stop_lr`` over the decay phase.

    With :math:`T = \mathrm{num\_steps} - W` and power :math:`p`,

    .. math::

        \eta(d) = (\eta_0 - \eta_{end})
            \left(1 - \frac{\min(d, T)}{T}\right)^{p} + \eta_{end},

    and :math:`\eta_0` at every step when :math:`T = 0`.  This is
    ``optax.polynomial_schedule(start_lr, stop_lr, power, T)`` and, with
    ``stop_lr=0``, ``torch.optim.lr_scheduler.PolynomialLR(total_iters=T,
    power=p)``.  With ``cycle=True`` the decay restarts past its end over a
    longer horizon, as ``keras.optimizers.schedules.PolynomialDecay(cycle=True)``
    does: with :math:`H = T \lceil d / T \rceil` (:math:`H = T` at :math:`d = 0`),

    .. math::

        \eta(d) = (\eta_0 - \eta_{end}) \left(\frac{H - d}{H}\right)^{p}
            + \eta_{end}.

    Parameters
    ----------
    start_lr, num_steps, stop_lr, stop_lr_ratio
        See :class:`~arraylr.BaseLR`.
    warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR`.
    power : float, optional
        :math:`p > 0` (default 1.0: linear).  For :math:`p > 4` the first half
        of the decay is evaluated as :math:`\exp(p \log(1 - \min(d, T) / T))`
        with ``log1p`` (the same number): the rounding of :math:`1 - d/T` near 1,
        which the power multiplies by :math:`p`, never happens, and the float32
        bound holds at any power.
    cycle : bool, optional
        Restart the decay past its end over the horizon :math:`H` (Keras'
        ``cycle``; default ``False``: ``stop_lr`` from :math:`d = T` on).  The
        cycle of an integer step is found in integers.

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="polynomial", start_lr=1.0, stop_lr=0.0, num_steps=10,
    ...             power=2)
    >>> lr(0), lr(5), lr(10), lr(20)
    (1.0, 0.25, 0.0, 0.0)
    """

    _propagates_nan = True
    # with cycle, floating steps after a warmup are taken as absolute steps:
    # t - W rounds past 2**24 in float32 and moves a step within its cycle
    _absolute_steps = True
    _derived = ("power", "cycle")
    _example = {"start_lr": 1.0, "stop_lr": 0.0, "num_steps": 10_000, "power": 2.0}
    _edges = SHARED_EDGES
    # tested against 1 in Python; the formula reads the float _power
    _structure = {"power": is_one}
    _differentiable = ("start_lr", "stop_lr", "stop_lr_ratio")
    _draws = frozenset({"power"})

    power: float
    cycle: bool

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        stop_lr: float | None = None,
        stop_lr_ratio: float | None = None,
        power: float = 1.0,
        warmup_steps: int = 0,
        warmup_ratio: float | None = None,
        warmup_start_factor: float = 0.0,
        warmup_type: WarmupType | None = None,
        cycle: bool = False,
    ) -> None:
        super().__init__(
            start_lr,
            num_steps,
            stop_lr=stop_lr,
            stop_lr_ratio=stop_lr_ratio,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            warmup_start_factor=warmup_start_factor,
            warmup_type=warmup_type,
        )
        self.power = check_float("power", power, positive=True)
        self.cycle = check_bool("cycle", cycle)
        # the power as every dtype holds it: a float32 array raised to a Python
        # float past float32's range warns "overflow encountered in cast"; the
        # rates are the same (remaining <= 1: x**p is 1 or 0 for any p >= 3.4e38)
        self._power = min(self.power, FLOAT32_MAX)
        self._log_form = self.power > 1
        if self._log_form:  # exp(p log1p(-x)) is 0 from here on, and p x finite
            self._power = min(self.power, 2.0**100)
        self._settle()

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        out = super()._derive(p, s, xp)
        if s.decay_num_steps > 0 and not s.cycle:  # exactly stop_lr from T on
            out["_plateaus"] = ((s.decay_num_steps, None, out["stop_lr"]),)
        return out

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        return {"power": draw(powers(st))}

    @property
    def final_lr(self) -> float:
        # with no decay steps the rule is start_lr at every step (docs/semantics.rst)
        return self.start_lr if self.decay_num_steps == 0 else self.stop_lr

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        total = self.decay_num_steps
        if is_zero(total):
            return xp.where(xp.isnan(step), step, self.start_lr)  # NaN stays NaN
        # (T - min(d, T)) / T, not 1 - min(d, T) / T: the difference is exact near
        # the end, so the fraction keeps its relative accuracy there (where a power
        # below 1 magnifies any absolute error), also where a compiler turns "/ T"
        # into "* (1 / T)" (XLA in float32).  T is split into hi + lo for floating
        # steps, so that a T that the dtype cannot hold (1e12 in float32) still
        # gives T - d with one rounding.
        if self.cycle:
            remaining, done = self._cycle_remaining(step, xp)
            return self._from_remaining(remaining, xp, done)
        if xp is SCALAR:
            done = min(step, total) / total
            return self._from_remaining((total - min(step, total)) / total, xp, done)
        hi, lo = split_edge(total, xp, step)
        remaining = hi - xp.minimum(step, hi)
        if lo is not None:
            remaining = xp.maximum(remaining + lo, 0.0)
        size = as_float(total, xp, step)
        done = xp.minimum(step / size, 1.0) if self._log_form else None
        return self._from_remaining(remaining / size, xp, done)

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        total = self.decay_num_steps
        if is_zero(total) or exceeds_dtype(xp, step, total):
            return super()._decay_value_integer(step, xp, dtype)
        if self.cycle:  # H - d = (T - d mod T) mod T in integers (T at d = 0)
            offset = step % total
            gap = xp.where(offset == 0, 0, total - offset)
            gap = xp.astype(xp.where(step == 0, total, gap), dtype)
            horizon = xp.astype(step, dtype) + gap
            return self._from_remaining(
                gap / horizon, xp, xp.astype(step, dtype) / horizon
            )
        # T - min(d, T) in integers: exact, then one rounding
        clipped = xp.minimum(step, total)
        remaining = xp.astype(total - clipped, dtype)
        size = as_float(total, xp, remaining)
        done = xp.astype(clipped, dtype) / size if self._log_form else None
        return self._from_remaining(remaining / size, xp, done)

    def _decay_value_absolute(self, step: Any, xp: Namespace) -> Any:
        if not self.cycle:
            return super()._decay_value_absolute(step, xp)
        remaining, done = self._cycle_remaining(step, xp, self.warmup_steps)
        return self._from_remaining(remaining, xp, done)

    def _cycle_remaining(
        self, step: Any, xp: Namespace, shift: Any = 0
    ) -> tuple[Any, Any]:
        """``((H - d) / H, d / H)`` of a floating (or Python) step with
        ``cycle``, from the exact position of the step in its cycle.

        ``shift`` (the warmup, for floating absolute steps ``step = d + W``):
        ``d`` is not formed before its position, ``(t mod T - W mod T) mod T``
        (small numbers, exact), as ``t - W`` rounds past 2**24 in float32."""
        total = as_float(self.decay_num_steps, xp, step)
        if xp is SCALAR:
            if step == 0:
                return 1.0, 0.0
            offset = step % self.decay_num_steps  # exact for ints and floats
            gap = 0.0 if offset == 0 else self.decay_num_steps - offset
            return gap / (step + gap), step / (step + gap)
        past_end = step == xp.inf
        step = xp.where(past_end, as_float(shift, xp, step), step)  # no inf - inf
        # the exact position in the cycle (a remainder, or integers for a T the
        # dtype cannot hold), also past 2**24 (float32), where t - floor(t / T) T
        # drifts
        offset = cycle_position(step, self.decay_num_steps, xp, shift)[1]
        if is_zero(shift):
            d = step
        else:  # d = (t - hi) - lo: one rounding
            hi, lo = split_edge(shift, xp, step)
            d = step - hi
            if lo is not None:
                d = d - lo
        gap = xp.where(offset == 0, 0.0, total - offset)
        gap = xp.where(d == 0, total, gap)
        horizon = d + gap
        remaining = xp.where(past_end, 0.0, gap / horizon)
        return remaining, xp.where(past_end, 1.0, d / horizon)

    def _from_remaining(self, remaining: Any, xp: Namespace, done: Any = None) -> Any:
        """The rate from ``remaining`` = (T - d) / T and ``done`` = d / T."""
        if self._log_form:
            # p > 1: r**p in its first quarter as exp(p log1p(-d/T)).  r = 1 - d/T
            # rounded near 1 loses the low bits of d/T, and the power multiplies
            # that error by p (float32: 1.6x the 8 eps32 bound at p = 50); from
            # d / T itself the error stays a few eps at any p.  Past the first
            # quarter r**p <= 0.75**p, which keeps p times r's rounding below an
            # eps of the scale, and XLA's float64 log1p is up to 120 eps off
            # between -0.414 and -0.356 (25 eps of the scale at p = 4.5)
            first = done < 0.25
            power = self._power
            if xp is SCALAR:
                if first:
                    return self._scaled(math.exp(power * math.log1p(-done)))
                return self._scaled(remaining**power)
            early = xp.exp(power * xp.log1p(-xp.where(first, done, 0.0)))
            late = zero_safe(lambda r: r**power, remaining, xp)
            return self._scaled(xp.where(first, early, late))
        if self.power != 1.0:
            # 0 past the end: zero_safe keeps the slope there finite (0), where
            # p 0^(p - 1) = inf for p < 1 times the clamp's 0 was NaN (jax.grad)
            power = self._power
            if xp is SCALAR:
                remaining = remaining**power
            else:
                remaining = zero_safe(lambda r: r**power, remaining, xp)
        return self._scaled(remaining)

    def _scaled(self, factor: Any) -> Any:
        # start_lr f + stop_lr (1 - f), not stop_lr + (start_lr - stop_lr) f:
        # exactly start_lr at f = 1 (step 0) and stop_lr at f = 0, where the
        # other form rounds twice (0.01 + 1 ulp at the start of 0.01 -> 0.001)
        return self.start_lr * factor + self.stop_lr * (1.0 - factor)


@BaseLR.register("linear")
class LearningRateLinear(LearningRatePolynomial):
    r"""Linear decay from ``start_lr`` to ``stop_lr`` over the decay phase.

    .. math::

        \eta(d) = (\eta_0 - \eta_{end}) \left(1 - \frac{\min(d, T)}{T}\right)
            + \eta_{end}

    ``optax.linear_schedule(start_lr, stop_lr, T)``; a :class:`polynomial
    <LearningRatePolynomial>` of power 1.

    Parameters
    ----------
    start_lr, num_steps, stop_lr, stop_lr_ratio
        See :class:`~arraylr.BaseLR`.
    warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR`.

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> BaseLR(type="linear", start_lr=1.0, stop_lr=0.5, num_steps=10)(4)
    0.8
    """

    _example = {"start_lr": 1.0, "stop_lr": 0.0, "num_steps": 10_000}
    _edges = SHARED_EDGES

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        stop_lr: float | None = None,
        stop_lr_ratio: float | None = None,
        warmup_steps: int = 0,
        warmup_ratio: float | None = None,
        warmup_start_factor: float = 0.0,
        warmup_type: WarmupType | None = None,
    ) -> None:
        super().__init__(
            start_lr,
            num_steps,
            stop_lr=stop_lr,
            stop_lr_ratio=stop_lr_ratio,
            power=1.0,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            warmup_start_factor=warmup_start_factor,
            warmup_type=warmup_type,
        )
