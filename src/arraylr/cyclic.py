r"""Cyclic schedules: cosine with warm restarts (``type="cosine_restarts"``) and
the one-cycle policy (``type="onecycle"``)."""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

from ._backend import Namespace
from ._validation import check_choice, check_float, check_int
from .base import BaseLR

__all__ = ["LearningRateCosineRestarts", "LearningRateOneCycle"]

Anneal = Literal["cos", "linear"]


@BaseLR.register("cosine_restarts")
class LearningRateCosineRestarts(BaseLR):
    r"""Cosine annealing with warm restarts (SGDR), after an optional warmup.

    Cycle :math:`n = 0, 1, \dots` lasts :math:`P_n = P m^n` steps (``period``
    :math:`P`, ``period_mult`` :math:`m`) and starts at decay step
    :math:`s_n = P (m^n - 1) / (m - 1)` (:math:`s_n = nP` for :math:`m = 1`).
    Inside cycle :math:`n`, with :math:`c = d - s_n`,

    .. math::

        \eta(d) = \eta_{end} + (\gamma^n \eta_0 - \eta_{end})\,
            \tfrac{1}{2}\left(1 + \cos\frac{\pi c}{P_n}\right),

    where :math:`\gamma` = ``peak_decay`` lowers each cycle's peak.  With
    :math:`\gamma = 1` this is ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts
    (T_0=P, T_mult=m, eta_min=stop_lr)``.  Cycles go on past ``num_steps``.

    Parameters
    ----------
    start_lr, num_steps, stop_lr, stop_lr_ratio, warmup_steps, warmup_ratio, \
warmup_start_factor
        See :class:`~arraylr.BaseLR`; ``stop_lr`` is the bottom of every cycle.
    period : int
        :math:`P >= 1`, the length of the first cycle.
    period_mult : int, optional
        :math:`m >= 1` (default 1: equal cycles).
    peak_decay : float, optional
        :math:`\gamma` in (0, 1] (default 1).

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="cosine_restarts", start_lr=1.0, stop_lr=0.0,
    ...             num_steps=1000, period=100, period_mult=2, peak_decay=0.5)
    >>> lr(0), lr(50), lr(100), lr(200), lr(300)
    (1.0, 0.5, 0.5, 0.25, 0.25)
    """

    _propagates_nan = True
    _derived = ("period", "period_mult", "peak_decay")

    period: int
    period_mult: int
    peak_decay: float

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        period: int,
        stop_lr: float | None = None,
        stop_lr_ratio: float | None = None,
        period_mult: int = 1,
        peak_decay: float = 1.0,
        warmup_steps: int = 0,
        warmup_ratio: float | None = None,
        warmup_start_factor: float = 0.0,
    ) -> None:
        super().__init__(
            start_lr,
            num_steps,
            stop_lr=stop_lr,
            stop_lr_ratio=stop_lr_ratio,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            warmup_start_factor=warmup_start_factor,
        )
        self.period = check_int("period", period, minimum=1)
        # an integer, as torch's T_mult: cycle starts are then integers that float32
        # holds exactly, where a fractional m**n in float32 shifts the phase
        self.period_mult = check_int("period_mult", period_mult, minimum=1)
        mult = self.period_mult
        self.peak_decay = check_float(
            "peak_decay", peak_decay, positive=True, at_most=1.0
        )
        self._log_mult = math.log(mult)

    def phases(self) -> list[tuple[int, str]]:
        extra: list[tuple[int, str]] = []
        n = 1
        while len(extra) < 20:
            start = self.warmup_steps + round(self._cycle_start(float(n)))
            if start >= self.num_steps:
                break
            extra.append((start, f"restart {n}"))
            n += 1
        return sorted(set(super().phases() + extra))

    def _cycle_start(self, n: Any) -> Any:
        if self.period_mult == 1:
            return self.period * n
        m = self.period_mult
        return self.period * (m**n - 1) / (m - 1)

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        p, m = self.period, self.period_mult
        if m == 1:
            n = step // p
            start = n * p
            length: Any = p
        else:
            # closed form, then one step of correction for rounding in log/pow
            n = xp.floor(xp.log1p(step * ((m - 1) / p)) / self._log_mult)
            n = xp.where(step >= self._cycle_start(n + 1), n + 1, n)
            n = xp.where(step < self._cycle_start(n), n - 1, n)
            start = self._cycle_start(n)
            length = p * m**n
        peak = self.start_lr * self.peak_decay**n
        wave = 0.5 * (1 + xp.cos(xp.pi * ((step - start) / length)))
        return self.stop_lr + (peak - self.stop_lr) * wave


@BaseLR.register("onecycle")
class LearningRateOneCycle(BaseLR):
    r"""The one-cycle policy: anneal up to a peak, then down to a floor.

    With :math:`T` = ``num_steps``, :math:`U = \lfloor \rho T \rfloor` steps up
    (``pct_start`` :math:`\rho`), the peak :math:`\eta_0` = ``start_lr``,
    :math:`\eta_{init} = \eta_0 / \delta` (``div_factor``) and
    :math:`\eta_{min} = \eta_0 / (\delta \phi)` (``final_div_factor`` :math:`\phi`),

    .. math::

        \eta(t) = \begin{cases}
            A(\eta_{init}, \eta_0, t / U) & t < U \\
            A(\eta_0, \eta_{min}, (t - U) / (T - U)) & U \le t < T \\
            \eta_{min} & t \ge T
        \end{cases}

    where :math:`A(a, b, p) = b + \tfrac{a - b}{2}(1 + \cos \pi p)` (``anneal="cos"``)
    or :math:`a + (b - a) p` (``"linear"``).  This is
    ``optax.cosine_onecycle_schedule(T, start_lr, pct_start, div_factor,
    final_div_factor)``; ``torch.optim.lr_scheduler.OneCycleLR`` is the same
    shape with its phase ends one step earlier.  The up phase replaces the shared
    linear warmup, so there are no warmup parameters.

    Parameters
    ----------
    start_lr : float
        The peak learning rate :math:`\eta_0`.
    num_steps : int
        :math:`T > 0`.
    pct_start : float, optional
        :math:`\rho` in [0, 1) (default 0.3).
    div_factor : float, optional
        :math:`\delta > 0` (default 25).
    final_div_factor : float, optional
        :math:`\phi > 0` (default 1e4).
    anneal : {"cos", "linear"}, optional
        The shape of both phases (default ``"cos"``).

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="onecycle", start_lr=1.0, num_steps=100, pct_start=0.25,
    ...             div_factor=10.0, final_div_factor=10.0, anneal="linear")
    >>> lr(0), lr(25), lr(100)
    (0.1, 1.0, 0.01)
    """

    _propagates_nan = True
    _derived = (
        "pct_start",
        "div_factor",
        "final_div_factor",
        "anneal",
        "initial_lr",
        "up_steps",
    )

    pct_start: float
    div_factor: float
    final_div_factor: float
    anneal: str
    initial_lr: float
    up_steps: int

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        anneal: Anneal = "cos",
    ) -> None:
        peak = check_float("start_lr", start_lr, positive=True)
        div = check_float("div_factor", div_factor, positive=True)
        final = check_float("final_div_factor", final_div_factor, positive=True)
        super().__init__(peak, num_steps, stop_lr=peak / div / final)
        if self.num_steps == 0:
            raise ValueError("onecycle needs num_steps > 0, got num_steps=0")
        pct = check_float("pct_start", pct_start, nonnegative=True)
        if pct >= 1:
            raise ValueError(
                f"pct_start must be in [0, 1), got pct_start={pct_start!r}"
            )
        self.pct_start = pct
        self.div_factor = div
        self.final_div_factor = final
        self.anneal = check_choice("anneal", anneal, get_args(Anneal))
        self.initial_lr = peak / div
        self.up_steps = int(pct * self.num_steps)
        self._plateaus = ((self.num_steps, None, self.stop_lr),)

    @property
    def scale(self) -> float:
        return max(self.start_lr, self.initial_lr)

    def phases(self) -> list[tuple[int, str]]:
        return sorted(set([*super().phases(), (self.up_steps, "peak")]))

    def _interpolate(self, a: float, b: float, p: Any, xp: Namespace) -> Any:
        if self.anneal == "cos":
            return b + (a - b) / 2.0 * (xp.cos(xp.pi * p) + 1)
        return a + (b - a) * p

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        up, total = self.up_steps, self.num_steps
        rising = self._interpolate(
            self.initial_lr, self.start_lr, step / max(up, 1), xp
        )
        falling = self._interpolate(
            self.start_lr, self.stop_lr, (step - up) / max(total - up, 1), xp
        )
        return xp.where(step < up, rising, falling)
