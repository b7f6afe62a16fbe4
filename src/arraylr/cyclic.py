r"""Cyclic schedules: cosine with warm restarts (``type="cosine_restarts"``), the
one-cycle policy (``type="onecycle"``) and cyclical learning rates
(``type="cyclic"``, torch's ``CyclicLR``)."""

from __future__ import annotations

import bisect
import math
from typing import Any, Literal, get_args

from ._backend import (
    SCALAR,
    Array,
    Namespace,
    ceil_float,
    exceeds_dtype,
    float_bits,
    xp_device,
)
from ._validation import MAX_STEP, check_choice, check_float, check_int, short_repr
from .base import BaseLR, WarmupType

__all__ = ["LearningRateCosineRestarts", "LearningRateCyclic", "LearningRateOneCycle"]

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
    (T_0=P, T_mult=m, eta_min=stop_lr)``.  Cycles go on past ``num_steps``; a
    peak never falls below ``stop_lr`` (:math:`\max(\gamma^n \eta_0,
    \eta_{end})`), and the rate at step ``+inf`` is ``stop_lr``.  The cycle of a
    step is found exactly: with integer arithmetic for integer steps, and for
    floating steps by a closed form corrected against the cycle starts.

    Parameters
    ----------
    start_lr, num_steps, stop_lr, stop_lr_ratio
        See :class:`~arraylr.BaseLR`; ``stop_lr`` is the bottom of every cycle.
    warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR`.
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
        if self.stop_lr > self.start_lr:
            raise ValueError(
                "cosine_restarts needs stop_lr <= start_lr (stop_lr is the bottom of "
                f"every cycle), got stop_lr={self.stop_lr!r} with "
                f"start_lr={self.start_lr!r}"
            )
        self.period = check_int("period", period, minimum=1)
        # an integer, as torch's T_mult: cycle starts are then integers
        self.period_mult = check_int("period_mult", period_mult, minimum=1)
        self.peak_decay = check_float(
            "peak_decay", peak_decay, positive=True, at_most=1.0
        )
        self._log_decay = math.log(self.peak_decay)
        self._log_mult = math.log(self.period_mult)
        # cycle n starts at decay step starts[n]; the table ends with the first
        # start past the int64 range (with m >= 2 that is at most 64 cycles)
        starts = [0]
        if self.period_mult > 1:
            while starts[-1] <= MAX_STEP:
                starts.append(
                    starts[-1] + self.period * self.period_mult ** (len(starts) - 1)
                )
        self._starts = tuple(starts)
        self._lengths = tuple(
            float(self.period * self.period_mult**n) for n in range(len(starts))
        )
        self._peaks = tuple(self._peak(n) for n in range(len(starts)))

    def _peak(self, n: int) -> float:
        """Cycle ``n``'s peak, in float64 from the exact ``n`` (never below stop_lr;
        ``peak_decay <= 1`` cannot overflow, only underflow to 0)."""
        return max(self.start_lr * self.peak_decay**n, self.stop_lr)

    def phases(self) -> list[tuple[int, str]]:
        extra: list[tuple[int, str]] = []
        n = 1
        while len(extra) < 20:
            if self.period_mult == 1:
                start = self.warmup_steps + n * self.period
            elif n < len(self._starts):
                start = self.warmup_steps + self._starts[n]
            else:
                break
            if start >= self.num_steps:
                break
            extra.append((start, f"restart {n}"))
            n += 1
        return sorted(set(super().phases() + extra))

    def _wave(self, peak: Any, offset: Any, length: Any, xp: Namespace) -> Any:
        wave = 0.5 * (1 + xp.cos(xp.pi * (offset / length)))
        return self.stop_lr + (peak - self.stop_lr) * wave

    def _peak_of(self, n: Any, xp: Namespace) -> Any:
        """Equal cycles: ``max(start_lr * peak_decay**n, stop_lr)`` for a floating
        cycle index ``n``, through exp(n log gamma) from float64 log gamma (a
        float32 ``peak_decay**n`` would compound the rounding of gamma n times)."""
        if self.peak_decay == 1.0:
            return self.start_lr
        return xp.maximum(self.start_lr * xp.exp(n * self._log_decay), self.stop_lr)

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        p, m = self.period, self.period_mult
        if xp is SCALAR:  # Python numbers: exact cycle index, float64 peak
            if m == 1:
                n = int(step // p)
                return self._wave(self._peak(n), step - n * p, p, xp)
            n = bisect.bisect_right(self._starts, step) - 1
            return self._wave(
                self._peaks[n], step - self._starts[n], self._lengths[n], xp
            )
        past_end = step == xp.inf
        step = xp.where(past_end, 0.0, step)  # no inf - inf below
        if m == 1:
            # floor(d / p), then corrected: under XLA d / p is d * (1 / p), which
            # puts a restart step d = k p at the bottom of cycle k - 1
            n = xp.floor(step / float(p))
            offset = step - n * p
            n = xp.where(offset >= p, n + 1, xp.where(offset < 0, n - 1, n))
            offset = step - n * p
            value = self._wave(self._peak_of(n, xp), offset, float(p), xp)
        else:
            bits = float_bits(xp, step.dtype)
            index = self._cycle_index(
                step, xp, [ceil_float(s, bits) for s in self._starts]
            )
            starts = self._table(xp, step, [float(s) for s in self._starts])
            offset = step - _take(xp, starts, index)
            value = self._from_index(index, offset, xp, step)
        return xp.where(past_end, self.stop_lr, value)  # the rate past the end

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        p, m = self.period, self.period_mult
        if m == 1 and exceeds_dtype(xp, step, p):  # one cycle in range
            return self._wave(self.start_lr, xp.astype(step, dtype), float(p), xp)
        if m == 1:  # exact integer cycle index and offset
            n = step // p
            offset = xp.astype(step - n * p, dtype)
            return self._wave(
                self._peak_of(xp.astype(n, dtype), xp), offset, float(p), xp
            )
        top = int(xp.iinfo(step.dtype).max)
        clipped = [min(s, top) for s in self._starts]  # the dtype's reach
        floating = xp.astype(step, dtype)
        index = self._cycle_index(floating, xp, clipped, step)
        starts = self._table(xp, step, clipped, step.dtype)
        offset = xp.astype(step - _take(xp, starts, index), dtype)
        return self._from_index(index, offset, xp, floating)

    def _cycle_index(
        self, step: Any, xp: Namespace, edges: list[Any], exact: Any = None
    ) -> Any:
        """The cycle of each decay step (period_mult >= 2): the closed form in the
        compute dtype, then corrected against the table of cycle starts, compared
        exactly (``exact``: the integer steps; else the floating ``step`` against
        starts rounded up)."""
        last = len(self._starts) - 2  # the last cycle that starts within int64
        guess = xp.floor(
            xp.log1p(step * ((self.period_mult - 1) / self.period)) / self._log_mult
        )
        guess = xp.clip(xp.where(xp.isnan(guess), 0.0, guess), 0.0, float(last))
        index = xp.astype(guess, xp.int32)
        key = step if exact is None else exact
        table = self._table(xp, key, edges, key.dtype)
        up = xp.minimum(index + 1, last + 1)
        index = xp.where(key >= _take(xp, table, up), index + 1, index)
        index = xp.minimum(index, last)
        return xp.where(key < _take(xp, table, index), index - 1, index)

    def _from_index(self, index: Any, offset: Any, xp: Namespace, like: Any) -> Any:
        lengths = self._table(xp, like, list(self._lengths))
        peaks = self._table(xp, like, list(self._peaks))
        return self._wave(
            _take(xp, peaks, index), offset, _take(xp, lengths, index), xp
        )

    @staticmethod
    def _table(xp: Namespace, like: Any, values: list[Any], dtype: Any = None) -> Any:
        return xp.asarray(
            values, dtype=like.dtype if dtype is None else dtype, device=xp_device(like)
        )


def _take(xp: Namespace, table: Any, index: Any) -> Any:
    """``table[index]`` for an index array of any shape (the standard's ``take``
    wants 1-D indices)."""
    shape = index.shape
    flat = xp.take(table, xp.reshape(index, (-1,)), axis=0)
    return xp.reshape(flat, shape)


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
        for name, given, rate in (
            ("div_factor", div_factor, peak / div),
            ("final_div_factor", final_div_factor, peak / div / final),
        ):
            if not math.isfinite(rate):
                raise ValueError(
                    f"{name}={short_repr(given)} with start_lr={peak!r} gives a rate "
                    f"of {rate!r}: it must be finite"
                )
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
        return max(self.start_lr, self.initial_lr, self.stop_lr)

    def phases(self) -> list[tuple[int, str]]:
        return sorted(set([*super().phases(), (self.up_steps, "peak")]))

    def _interpolate(self, a: float, b: float, p: Any, xp: Namespace) -> Any:
        if self.anneal == "cos":
            return b + (a - b) / 2.0 * (xp.cos(xp.pi * p) + 1)
        return a + (b - a) * p

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        up, total = self.up_steps, self.num_steps
        rising = self._interpolate(
            self.initial_lr, self.start_lr, step / float(max(up, 1)), xp
        )
        falling = self._interpolate(
            self.start_lr,
            self.stop_lr,
            (step - float(up)) / float(max(total - up, 1)),
            xp,
        )
        return xp.where(step < float(up), rising, falling)


CyclicMode = Literal["triangular", "triangular2", "exp_range"]


@BaseLR.register("cyclic")
class LearningRateCyclic(BaseLR):
    r"""Cyclical learning rates (Smith, 2017): triangles between two rates.

    Each cycle lasts :math:`C = U + D` steps (``step_size_up`` :math:`U`,
    ``step_size_down`` :math:`D`).  At step :math:`t`, in cycle
    :math:`n = \lfloor t / C \rfloor` at position :math:`r = t - nC`,

    .. math::

        h(t) = \begin{cases} r / U & r \le U \\ (C - r) / D & r > U \end{cases},
        \qquad
        \eta(t) = \eta_0 + (\eta_{max} - \eta_0)\, h(t)\, s(t),

    with :math:`\eta_0` = ``start_lr`` (torch's ``base_lr``), :math:`\eta_{max}` =
    ``max_lr`` and :math:`s` by ``mode``: ``triangular`` :math:`s = 1`,
    ``triangular2`` :math:`s = 2^{-n}` (the height halves every cycle),
    ``exp_range`` :math:`s = \gamma^t`.  This is
    ``torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr=start_lr,
    max_lr=max_lr, step_size_up=U, step_size_down=D, mode=mode, gamma=gamma,
    cycle_momentum=False)``: after :math:`k` calls of its ``step()`` the rate is
    :math:`\eta(k)`.  Cycles go on past ``num_steps`` (which only sets the length
    shown by ``arraylr show``/``plot``); the rate at step ``+inf`` (and from step
    :math:`2^{63}` on) is ``start_lr``, the bottom of every cycle.  There is no
    warmup: the first up phase is one.  The position :math:`r` is exact: computed
    in integers for integer steps.

    Momentum cycling (torch's ``cycle_momentum``) is the optimizer's business,
    not the learning rate's: with ``torch.optim.SGD(momentum=...)`` or Adam,
    cycle ``momentum``/``betas[0]`` yourself from the same :math:`h(t) s(t)`, for
    example ``m = max_m - (max_m - base_m) * (lr(t) - start_lr) /
    (max_lr - start_lr)``, set in ``param_group`` before each step.

    Parameters
    ----------
    start_lr : float
        :math:`\eta_0`, the bottom of every cycle (torch's ``base_lr``).
    num_steps : int
        The length of training (for display; cycles continue past it).
    max_lr : float
        :math:`\eta_{max} \ge \eta_0`, the top of the first cycle.
    step_size_up : int, optional
        :math:`U \ge 1`, steps from the bottom to the top (default 2000).
    step_size_down : int, optional
        :math:`D \ge 0`, steps from the top back down (default: :math:`U`).
    mode : {"triangular", "triangular2", "exp_range"}, optional
        How the height changes (default ``"triangular"``).
    gamma : float, optional
        :math:`\gamma` in (0, 1], for ``mode="exp_range"`` only (default 1.0).

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="cyclic", start_lr=0.1, max_lr=1.0, num_steps=100,
    ...             step_size_up=10, mode="triangular2")
    >>> lr(0), lr(5), lr(10), lr(20), lr(30)
    (0.1, 0.55, 1.0, 0.1, 0.55)
    """

    _propagates_nan = True
    _derived = ("max_lr", "step_size_up", "step_size_down", "mode", "gamma")

    max_lr: float
    step_size_up: int
    step_size_down: int
    mode: str
    gamma: float

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        max_lr: float,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: CyclicMode = "triangular",
        gamma: float = 1.0,
    ) -> None:
        super().__init__(start_lr, num_steps, stop_lr=start_lr)
        top = check_float("max_lr", max_lr, positive=True)
        if top < self.start_lr:
            raise ValueError(
                f"max_lr must be >= start_lr={self.start_lr!r} (start_lr is the bottom "
                f"of every cycle, torch's base_lr), got max_lr={max_lr!r}"
            )
        self.max_lr = top
        self.step_size_up = check_int("step_size_up", step_size_up, minimum=1)
        self.step_size_down = (
            self.step_size_up
            if step_size_down is None
            else check_int("step_size_down", step_size_down, minimum=0)
        )
        self.mode = check_choice("mode", mode, get_args(CyclicMode))
        self.gamma = check_float("gamma", gamma, positive=True, at_most=1.0)
        if self.mode != "exp_range" and self.gamma != 1.0:
            raise ValueError(
                f"gamma applies to mode='exp_range' only, got gamma={gamma!r} with "
                f"mode={self.mode!r}"
            )
        self._cycle = self.step_size_up + self.step_size_down
        self._log_gamma = math.log(self.gamma)
        self._height = self.max_lr - self.start_lr
        # past every integer step, as at +inf: the bottom
        self._plateaus = ((MAX_STEP + 1, None, self.start_lr),)

    @property
    def scale(self) -> float:
        return self.max_lr

    @property
    def final_lr(self) -> float:
        return self.start_lr

    def phases(self) -> list[tuple[int, str]]:
        marks = list(super().phases())
        for n in range(10):
            start = n * self._cycle
            if start >= self.num_steps:
                break
            if n:
                marks.append((start, f"cycle {n + 1}"))
            if self.step_size_down and start + self.step_size_up < self.num_steps:
                marks.append((start + self.step_size_up, "top" if n else "first top"))
        return sorted(set(marks))

    def _shape(self, step: Any, cycles: Any, pos: Any, xp: Namespace) -> Any:
        up, down = float(self.step_size_up), float(self.step_size_down)
        rising = pos / up
        if self.step_size_down == 0:
            h = rising
        else:
            h = xp.where(pos <= up, rising, (float(self._cycle) - pos) / down)
        height = self._height * h
        if self.mode == "triangular2":
            height = height * 0.5**cycles
        elif self.mode == "exp_range" and self._log_gamma != 0:
            height = height * xp.exp(step * self._log_gamma)
        return self.start_lr + height

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        size = float(self._cycle)
        if xp is SCALAR:
            cycles = float(math.floor(step / size))
            pos = step - cycles * size
            if pos < 0:
                cycles, pos = cycles - 1, pos + size
            elif pos >= size:
                cycles, pos = cycles + 1, pos - size
            return self._shape(step, cycles, pos, xp)
        step = xp.minimum(step, 2.0**63)  # +inf: no inf - inf (the plateau's then)
        cycles = xp.floor(step / size)
        pos = step - cycles * size
        # floor(t / C) can be one off for steps near a cycle start: correct it
        low, high = pos < 0, pos >= size
        cycles = xp.where(low, cycles - 1, xp.where(high, cycles + 1, cycles))
        pos = xp.where(low, pos + size, xp.where(high, pos - size, pos))
        return self._shape(step, cycles, pos, xp)

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        if exceeds_dtype(xp, step, self._cycle):  # every step in the first cycle
            cycles = xp.zeros_like(step, dtype=dtype)
            pos = xp.astype(step, dtype)
        else:
            whole = step // self._cycle
            cycles = xp.astype(whole, dtype)
            pos = xp.astype(step - whole * self._cycle, dtype)  # exact, then rounded
        return self._shape(xp.astype(step, dtype), cycles, pos, xp)
