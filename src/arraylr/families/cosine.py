r"""Cosine annealing: ``type="cosine"``."""

from __future__ import annotations

import math
from typing import Any

from .._exact import FLOAT32_MAX, exceeds_dtype, is_zero, split_edge
from .._roles import SHARED_EDGES, is_one, powers
from .._scalar import SCALAR, Array, Namespace, zero_safe
from .._validation import check_float
from ..base import BaseLR, WarmupType

__all__ = ["LearningRateCosine"]


@BaseLR.register("cosine")
class LearningRateCosine(BaseLR):
    r"""Cosine annealing from ``start_lr`` to ``stop_lr``, with optional warmup.

    After warmup, at decay-phase step :math:`d = t - W`, with
    :math:`f = \eta_{end} / \eta_0` (``lr_min_factor``) and
    :math:`T = \mathrm{num\_steps} - W`,

    .. math::

        \eta(d) = \begin{cases}
            \eta_0 \left(f + (1 - f)\left[\tfrac{1}{2}\left(1 + \cos\frac{\pi d}{T}
            \right)\right]^{p}\right) & d < T \\
            \eta_0 f & d \ge T
        \end{cases}

    with :math:`p` = ``exponent`` (1 by default: plain cosine annealing), and
    :math:`\eta = \eta_0` at every step when :math:`T = 0`.  This is
    ``optax.warmup_cosine_decay_schedule(init_value=warmup_start_factor *
    start_lr, peak_value=start_lr, warmup_steps=W, decay_steps=num_steps,
    end_value=stop_lr, exponent=p)`` (``optax.cosine_decay_schedule`` when
    :math:`W = 0`, with ``alpha = stop_lr / start_lr``).

    Parameters
    ----------
    start_lr, num_steps, stop_lr, stop_lr_ratio
        See :class:`~arraylr.BaseLR`.
    warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR`.
    exponent : float, optional
        :math:`p > 0`, the power of the cosine factor, as optax's ``exponent``
        (default ``None``, which is 1.0): above 1 the rate falls sooner.  For
        :math:`p \ne 1` the factor is evaluated as the equal
        :math:`\left|\sin\frac{\pi (T - d)}{2T}\right|^{2p}`, with :math:`T - d` formed
        exactly: near the end of the decay :math:`1 + \cos` cancels and a power
        below 1 magnifies that error (optax's expression is 1e-6 off in float32
        at step 844 of 846 with :math:`p = 0.5`), where this form keeps the
        float32 bound.  For :math:`p > 4` the first half of the decay is
        :math:`\exp(2p \log(1 - 2 \sin^2 \frac{\pi d}{4T}))` (the same number),
        whose float32 error does not grow with :math:`p`: the bound holds at any
        exponent.

    Attributes
    ----------
    lr_min_factor : float
        :math:`f = \eta_{end} / \eta_0`.

    Examples
    --------
    >>> from arraylr import LearningRateCosine
    >>> lr = LearningRateCosine(start_lr=1.0, stop_lr=0.0, num_steps=100)
    >>> lr(0), lr(50), lr(100)
    (1.0, 0.5, 0.0)
    """

    _propagates_nan = True
    _derived = ("lr_min_factor", "exponent")
    _example = {"start_lr": 1.0, "stop_lr": 0.01, "num_steps": 10_000,
                "warmup_steps": 500}  # fmt: skip
    _edges = SHARED_EDGES
    # tested against 1 in Python; the formula reads the float _double_exponent
    _structure = {"exponent": is_one}
    _differentiable = ("start_lr", "stop_lr", "stop_lr_ratio")
    _draws = frozenset({"exponent"})

    lr_min_factor: float
    _half_span: float
    exponent: float

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
        exponent: float | None = None,
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
        self.exponent = (
            1.0
            if exponent is None
            else check_float("exponent", exponent, positive=True)
        )
        # 2p as every dtype holds it (|sin| <= 1: the same rates for any 2p past
        # float32's range, without NumPy's "overflow encountered in cast")
        self._double_exponent = min(2.0 * self.exponent, FLOAT32_MAX)
        self._log_form = self.exponent > 1
        if self._log_form:  # exp(2p log1p(...)) is 0 from here on, and 2p x finite
            self._double_exponent = min(2.0 * self.exponent, 2.0**100)
        self._total = float(self.decay_num_steps)
        self._settle()

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        out = super()._derive(p, s, xp)
        start = out["start_lr"]
        factor = out["stop_lr"] / start  # lr_min_factor
        out.update(lr_min_factor=factor, _half_span=0.5 * (1 - factor))
        if s.decay_num_steps > 0:  # exactly start_lr * f from T on
            out["_plateaus"] = ((s.decay_num_steps, None, start * factor),)
        return out

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        exponent = draw(st.none() | powers(st))
        return {} if exponent is None else {"exponent": exponent}

    @property
    def final_lr(self) -> float:
        # with no decay steps the rule is start_lr at every step (docs/semantics.rst)
        return self.start_lr if self.decay_num_steps == 0 else self.stop_lr

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        total = self.decay_num_steps
        if is_zero(total):
            return xp.where(xp.isnan(step), step, self.start_lr)  # NaN stays NaN
        # start_lr (f + h (1 + cos(pi d / T))) as written: folding the constants
        # into A + B cos(...) saves two operations but gives start_lr + 1 ulp at
        # d = 0 for 8% of configs, where this form gives start_lr exactly
        # pi (d / T), not d (pi / T): d / T is exact at simple fractions of the
        # decay, so that the halfway rate is the mean of start_lr and stop_lr
        if self.exponent != 1.0:
            if xp is SCALAR:
                done = step / self._total
                return self._powered((total - step) / self._total, xp, done)
            # T - d with one rounding (T split into hi + lo, as polynomial does)
            hi, lo = split_edge(total, xp, step)
            remaining = hi - step
            if lo is not None:
                remaining = remaining + lo
            done = step / self._total if self._log_form else None
            return self._powered(remaining / self._total, xp, done)
        wave = 1.0 + xp.cos(xp.pi * (step / self._total))
        return self.start_lr * (self.lr_min_factor + self._half_span * wave)

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        total = self.decay_num_steps
        if self.exponent == 1.0 or is_zero(total) or exceeds_dtype(xp, step, total):
            return super()._decay_value_integer(step, xp, dtype)
        # T - d in integers: exact, then one rounding
        done = xp.astype(step, dtype) / self._total if self._log_form else None
        return self._powered(xp.astype(total - step, dtype) / self._total, xp, done)

    def _powered(self, left: Any, xp: Namespace, done: Any = None) -> Any:
        """The rate with exponent p != 1 from ``left`` = (T - d) / T (and
        ``done`` = d / T, for p > 4).

        optax's ``(1 - f) c^p + f`` with ``c = (1 + cos(pi d / T)) / 2``, evaluated
        as ``c^p = |sin(pi left / 2)|^(2p)`` (the same number: c = sin^2 of half
        the angle left to go).  Near the end of the decay ``1 + cos`` cancels and a
        power below 1 magnifies that absolute error (float32, exponent 0.5: 1.1e-6
        off at step 844 of 846, past the 8 eps32 bound); the sine of the exact
        remaining fraction keeps its relative accuracy there.

        For p > 4 the first half of the decay, where ``c`` is near 1 and the
        power multiplies the rounding of ``c`` by ``2p`` (float32: 1.9x the
        8 eps32 bound at p = 25), is ``exp(2p log1p(-2 sin^2(pi d / 4T)))``
        (the same number: ``sqrt(c) = cos(pi d / 2T) = 1 - 2 sin^2(pi d / 4T)``),
        whose error stays a few eps at any p.
        """
        double = self._double_exponent
        sine = xp.abs(xp.sin((0.5 * xp.pi) * left))
        # at d = T (selected away): slope 0, not inf * 0 (zero_safe)
        shape = (
            sine**double if xp is SCALAR else zero_safe(lambda s: s**double, sine, xp)
        )
        if self._log_form:
            first = done < 0.5
            if xp is SCALAR:
                if first:
                    half = math.sin(0.25 * math.pi * done)
                    shape = math.exp(double * math.log1p(-2.0 * half * half))
            else:
                half = xp.sin((0.25 * xp.pi) * xp.where(first, done, 0.0))
                early = xp.exp(double * xp.log1p(-2.0 * (half * half)))
                shape = xp.where(first, early, shape)
        return self.start_lr * (self.lr_min_factor + (1 - self.lr_min_factor) * shape)
