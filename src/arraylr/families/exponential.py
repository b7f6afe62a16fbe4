r"""Exponential decay: ``type="exp"``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._exact import as_float, exceeds_dtype
from .._roles import SHARED_EDGES
from .._scalar import SCALAR, Array, Namespace
from .._validation import check_bool, check_float, check_int
from ..base import BaseLR, WarmupType

__all__ = ["LearningRateExp"]


@BaseLR.register("exp")
class LearningRateExp(BaseLR):
    r"""Exponential decay, stepped (a staircase) or smooth, with optional warmup.

    After warmup, at decay-phase step :math:`d = t - W`,

    .. math::

        \eta(d) = \max\left(\eta_0\, r^{e},\ \eta_{min}\right), \qquad
        e = \begin{cases}
            \lfloor d / s \rfloor & \text{stepped (default)} \\
            d / s & \text{smooth}
        \end{cases}

    with :math:`s` = ``decay_steps``, :math:`\eta_{min}` = ``stop_lr`` and, unless
    ``decay_rate`` is given,

    .. math::

        r = \exp\left(\frac{\ln(\max(\eta_{end}, 10^{-10}) / \eta_0)}{T / s}\right),

    so that the learning rate reaches ``stop_lr`` at the end of the
    :math:`T = \mathrm{num\_steps} - W` decay steps (:math:`r = 1` when
    :math:`T = 0`).  The floor is an exact integer division of the step, so the
    staircase never moves by a step in float32.

    Parameters
    ----------
    start_lr, num_steps, stop_lr, stop_lr_ratio
        See :class:`~arraylr.BaseLR`.
    warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR`.
    decay_steps : int, optional
        :math:`s`, the staircase period (default 5000, > 0). When ``decay_rate``
        is not given and ``decay_steps >= T`` it is replaced by 100 if
        ``T // 10 > 100``, else by ``T // 100 + 1``; the attribute
        ``decay_steps`` holds the value used.
    decay_rate : float, optional
        :math:`r > 0`. Computed from ``start_lr``/``stop_lr`` when omitted; a
        computed rate above 1 (``stop_lr`` above ``start_lr``, or ``start_lr``
        below the 1e-10 floor) is a ``ValueError``, where DeePMD-kit would let
        the rate grow without bound.  Given explicitly, :math:`r > 1` makes the
        rate *grow*, and ``stop_lr`` (>= ``start_lr``) is then its upper bound:
        :math:`\eta(d) = \min(\eta_0 r^e, \eta_{end})`, as
        ``optax.exponential_decay(decay_rate=r, end_value=stop_lr)`` has it.
    smooth : bool, optional
        Decay continuously instead of every ``decay_steps`` steps.

    Attributes
    ----------
    decay_steps : int
        The period actually used (after the adjustment above).
    decay_rate : float
        :math:`r`, given or computed (in float64).
    min_lr : float
        ``stop_lr``: the floor :math:`\eta_{min}` of a decay, or the ceiling of
        a growth (:math:`r > 1`).

    Examples
    --------
    >>> from arraylr import LearningRateExp
    >>> lr = LearningRateExp(start_lr=1e-3, stop_lr=1e-5, num_steps=10000,
    ...                      decay_steps=1000)
    >>> round(lr.decay_rate, 6), lr(0), round(lr(10000), 12)
    (0.630957, 0.001, 1e-05)
    """

    _propagates_nan = True
    _derived = ("decay_steps", "decay_rate", "min_lr", "smooth")
    _example = {"start_lr": 1.0, "stop_lr": 0.01, "num_steps": 10_000,
                "decay_steps": 500, "warmup_steps": 500}  # fmt: skip
    _edges = SHARED_EDGES | {"decay_steps"}
    _differentiable = ("start_lr", "stop_lr", "stop_lr_ratio", "decay_rate")

    decay_steps: int
    decay_rate: float
    min_lr: float
    smooth: bool
    _log_rate: float
    _grows: bool
    _flat: bool
    _flat_lr: float
    _cap: float
    _top: float

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        stop_lr: float | None = None,
        stop_lr_ratio: float | None = None,
        decay_steps: int = 5000,
        decay_rate: float | None = None,
        warmup_steps: int = 0,
        warmup_ratio: float | None = None,
        warmup_start_factor: float = 0.0,
        smooth: bool = False,
        warmup_type: WarmupType | None = None,
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
        decay_steps = check_int("decay_steps", decay_steps, minimum=1)
        self.smooth = check_bool("smooth", smooth)
        total = self.decay_num_steps
        if decay_rate is None and decay_steps >= total:
            decay_steps = 100 if total // 10 > 100 else total // 100 + 1
        self.decay_steps = decay_steps
        self.min_lr = self.stop_lr
        if decay_rate is not None:
            rate = check_float("decay_rate", decay_rate, positive=True)
            if rate > 1 and self.stop_lr < self.start_lr:
                raise ValueError(
                    f"decay_rate={rate!r} > 1 makes exp grow, with stop_lr as its "
                    f"upper bound: stop_lr must be >= start_lr={self.start_lr!r}, got "
                    f"stop_lr={self.stop_lr!r}"
                )
            self._settle(decay_rate=rate)
        else:
            self._settle()
            rate = self.decay_rate
            if rate > 1:
                why = (
                    f"stop_lr={self.stop_lr!r} is above start_lr={self.start_lr!r}"
                    if self.stop_lr > self.start_lr
                    else f"stop_lr={self.stop_lr!r} counts as the floor 1e-10 (as in "
                    f"DeePMD-kit), which is above start_lr={self.start_lr!r}"
                )
                raise ValueError(
                    f"exp would grow: the derived decay_rate={rate!r} is > 1 because "
                    f"{why}; give a stop_lr between 1e-10 and start_lr, or an "
                    "explicit decay_rate <= 1"
                )

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        out = super()._derive(p, s, xp)
        start, stop = out["start_lr"], out["stop_lr"]
        single = s.single  # a schedule's Python floats (else members' arrays)
        if "decay_rate" in p:
            rate = p["decay_rate"]
        elif s.decay_num_steps == 0:
            rate = 1.0 + 0.0 * start
        else:
            periods = s.number("decay_num_steps") / s.number("decay_steps")
            if single:  # NumPy's float64 exp/log (see _derived_rate)
                rate = float(cls._derived_rate(np.float64(start), stop, periods, np))
            else:
                rate = cls._derived_rate(start, stop, periods, xp)
        log_rate = xp.log(rate)
        out.update(decay_rate=rate, _log_rate=log_rate, min_lr=stop)
        out["_flat_lr"] = xp.maximum(start, stop)
        if single:  # flags, so that the formula never tests _log_rate in Python
            grows, flat = log_rate > 0, log_rate == 0
            out.update(_grows=grows, _flat=flat, _cap=math.inf, _top=math.inf)
        else:  # a population's members share their flags (structure)
            grows, flat = s._grows, s._flat
        if not flat:  # where the formula clamps floating steps and exponents
            size = s.number("decay_steps")
            if single:
                with np.errstate(over="ignore", divide="ignore"):
                    cap, top = cls._limits(
                        np.float64(start), stop, np.float64(log_rate),
                        float(size), grows, np,
                    )  # fmt: skip
                cap, top = float(cap), float(top)
            else:
                cap, top = cls._limits(start, stop, log_rate, size, grows, xp)
            out.update(_cap=cap, _top=top)
        return out

    def _end_note(self) -> str | None:
        if self.smooth:
            return None
        stairs = self.decay_num_steps // self.decay_steps
        return (
            f"the rate at the end (step {self.num_steps}) is "
            f"{self(self.num_steps):.4g}, not stop_lr={self.stop_lr:.4g}: a stepped "
            f"exp has taken {stairs} whole stairs of decay_steps by then (the last "
            "stair would reach stop_lr); smooth=true ends at stop_lr"
        )

    @staticmethod
    def _derived_rate(start_lr: Any, stop_lr: Any, periods: Any, xp: Namespace) -> Any:
        """The decay_rate that takes ``start_lr`` to ``max(stop_lr, 1e-10)`` in
        ``periods`` stairs, ``exp(log(floor / start_lr) / periods)``.

        NumPy's float64 exp/log in ``__init__``, not math's: with r close to 1,
        r**e amplifies a one-ulp difference in r by e, and the reference uses
        NumPy's.  Arrays of any library for a population's parameters
        (``BaseLR._warmup_line``)."""
        floor = xp.maximum(stop_lr, 1e-10)
        return xp.exp(xp.log(floor / start_lr) / periods)

    @staticmethod
    def _limits(
        start_lr: Any, stop_lr: Any, log_rate: Any, size: Any, grows: bool, xp: Any
    ) -> tuple[Any, Any]:
        """``(cap, top)`` of a rate that moves (``log_rate != 0``): the decay
        steps from which the rate is at its floor (or underflows to 0), where
        larger floating steps, +inf among them, are evaluated; and, for
        growth, an exponent from which ``start_lr * r**e`` is above stop_lr
        (the cap then the decay steps past it; ``top`` inf for a decay)."""
        if grows:
            rise = xp.log(xp.maximum(stop_lr, start_lr)) - xp.log(start_lr)
            top = (rise + 1) / log_rate
            return (xp.ceil(top) + 1) * size, top
        depth = xp.log(start_lr) - math.log(5e-324) + 50
        return xp.ceil(depth / -log_rate) * size, math.inf

    @property
    def final_lr(self) -> float:
        return self.min_lr if self._log_rate < 0 else max(self.start_lr, self.min_lr)

    def _from_exponent(self, exponent: Any, xp: Namespace) -> Any:
        if self._grows:  # growth, capped at stop_lr; the exponent is held
            # where the rate is past the cap already, so that exp never overflows
            exponent = xp.minimum(exponent, self._top)
            return xp.minimum(
                self.start_lr * xp.exp(exponent * self._log_rate), self.min_lr
            )
        value = self.start_lr * xp.exp(exponent * self._log_rate)
        return xp.maximum(value, self.min_lr)

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        if self._flat:  # decay_rate 1: no decay (and no inf * 0)
            return xp.where(xp.isnan(step), step, self._flat_lr)
        if xp is not SCALAR:  # floating steps: +inf -> the floor, not NaN
            step = xp.minimum(step, self._cap)
        size = as_float(self.decay_steps, xp, step)
        if self.smooth:
            return self._from_exponent(step / size, xp)
        if xp is SCALAR:
            return self._from_exponent(step // size, xp)
        # floor(d / k) as NumPy's // forms it, (d - d mod k) / k rounded (the
        # remainder is exact), in operations that autograd differentiates
        # (PyTorch has no derivative of floor_divide): slope 0 on each stair
        stairs = xp.round((step - xp.remainder(step, size)) / size)
        return self._from_exponent(stairs, xp)

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        if self.smooth or self._flat:  # no staircase: cast, then formula
            return super()._decay_value_integer(step, xp, dtype)
        if exceeds_dtype(xp, step, self.decay_steps):  # every step on the first stair
            return self._from_exponent(xp.zeros_like(step, dtype=dtype), xp)
        return self._from_exponent(xp.astype(step // self.decay_steps, dtype), xp)
