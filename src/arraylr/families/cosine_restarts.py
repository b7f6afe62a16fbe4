r"""Cosine annealing with warm restarts (SGDR): ``type="cosine_restarts"``."""

from __future__ import annotations

import bisect
import math
from typing import Any

from .._backend import xp_device
from .._exact import (
    FLOAT32_MAX,
    as_float,
    ceil_float,
    exceeds_dtype,
    float_bits,
    split_float,
)
from .._roles import SHARED_EDGES, STRUCTURE, is_one
from .._scalar import SCALAR, Array, Namespace
from .._validation import MAX_STEP, check_float, check_int, short_repr
from ..base import BaseLR, WarmupType, cycle_position

__all__ = ["MAX_GROWING_CYCLES", "LearningRateCosineRestarts"]

MAX_GROWING_CYCLES = 4096
"""The most cycles a growing peak (``peak_decay > 1``) may take to reach the cycle
that holds step ``num_steps``: its peaks are read from a table, so that each is
the float64 peak rounded once (float32's bound holds at every peak)."""


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

    where :math:`\gamma` = ``peak_decay`` lowers (or, above 1, raises) each
    cycle's peak.  With
    :math:`\gamma = 1` this is ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts
    (T_0=P, T_mult=m, eta_min=stop_lr)``.  Cycles go on past ``num_steps``; a
    peak never falls below ``stop_lr`` (:math:`\max(\gamma^n \eta_0,
    \eta_{end})`); a growing peak (:math:`\gamma > 1`, Keras'
    ``CosineDecayRestarts(m_mul=...)``) grows while cycles start within the
    decay phase and then keeps the peak of the cycle that holds step
    ``num_steps``, so that every rate is bounded.  The rate at step ``+inf`` is
    ``stop_lr``.  The cycle of a
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
        :math:`\gamma > 0` (default 1); above 1 the peaks grow (up to the cycle
        that holds step ``num_steps``, at most :data:`MAX_GROWING_CYCLES`
        cycles on; that peak must fit float32).

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="cosine_restarts", start_lr=1.0, stop_lr=0.0,
    ...             num_steps=1000, period=100, period_mult=2, peak_decay=0.5)
    >>> lr(0), lr(50), lr(100), lr(200), lr(300)
    (1.0, 0.5, 0.5, 0.25, 0.25)
    """

    _propagates_nan = True
    _absolute_steps = True
    _derived = ("period", "period_mult", "peak_decay")
    _example = {"start_lr": 1.0, "stop_lr": 0.0, "num_steps": 10_000,
                "period": 1000, "period_mult": 2, "peak_decay": 0.8}  # fmt: skip
    # period_mult 1 only (see _population_roles): longer cycles read tables
    _edges = SHARED_EDGES | {"period", "_last_cycle"}
    # the tables of cycle peaks and lengths are built in Python and indexed
    _structure = {
        "peak_decay": is_one,
        "_peaks": STRUCTURE,
        "_lengths": STRUCTURE,
        "_growth": STRUCTURE,  # gamma**n of growing peaks (a table, indexed)
    }
    _differentiable = ("start_lr", "stop_lr", "stop_lr_ratio")
    _draws = frozenset({"period", "period_mult", "peak_decay"})

    period: int
    period_mult: int
    peak_decay: float
    _top_peak: float

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
        self.peak_decay = check_float("peak_decay", peak_decay, positive=True)
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
        # growing peaks stop growing at the cycle that holds decay step T
        total = self.decay_num_steps
        if self.period_mult == 1:
            self._last_cycle = total // self.period
        else:
            self._last_cycle = bisect.bisect_right(self._starts, total) - 1
        self._growth: tuple[float, ...] = ()
        if self.peak_decay > 1 and self._last_cycle > MAX_GROWING_CYCLES:
            raise ValueError(
                f"peak_decay={short_repr(peak_decay)} > 1 grows the peak over "
                f"{self._last_cycle} cycles (num_steps={self.num_steps}, period="
                f"{self.period}); growing peaks are read from a table of at most "
                f"{MAX_GROWING_CYCLES} cycles: use fewer, longer cycles"
            )
        if self.peak_decay > 1:
            log_top = math.log(self.start_lr) + self._last_cycle * self._log_decay
            top = math.exp(log_top) if log_top < 709 else math.inf
            if not top <= FLOAT32_MAX:
                raise ValueError(
                    f"peak_decay={short_repr(peak_decay)} grows the peak to "
                    f"{top:.4g} by cycle {self._last_cycle} (the cycle that holds "
                    f"step num_steps={self.num_steps}); rates must be at most "
                    f"{FLOAT32_MAX:.4g}, the largest float32"
                )
            # gamma**n up to the cycle that holds num_steps: the peak of cycle n
            # is start_lr * _growth[min(n, N)], one product on every route
            self._growth = tuple(
                self.peak_decay**n for n in range(self._last_cycle + 1)
            )
        self._settle()
        self._peaks = tuple(self._peak(n) for n in range(len(starts)))

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        # the formula reads start_lr, stop_lr and, for growing peaks, start_lr
        # times a table of peak_decay**n (period_mult 1: see _derivation_refusal)
        out = super()._derive(p, s, xp)
        growth = s._growth[-1] if s._growth else 1.0
        out["_top_peak"] = out["start_lr"] * growth  # the peak of the last cycle
        return out

    def _population_roles(self) -> tuple[frozenset[str], frozenset[str]]:
        if self.period_mult > 1:  # cycle starts, lengths and peaks: tables
            return frozenset(), frozenset()
        # equal cycles read no tables
        edges = type(self).__dict__.get("_edges", frozenset())
        return edges, frozenset({"_starts", "_lengths", "_peaks"})

    def _derivation_refusal(self) -> str | None:
        if self.period_mult > 1:
            return (
                "cosine_restarts with period_mult >= 2: its cycle peaks are a "
                "table computed in Python (period_mult=1 is supported)"
            )
        return super()._derivation_refusal()

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        n = config["num_steps"]
        if draw(st.booleans()):  # growing peaks (Keras' m_mul > 1): <= 8 cycles
            return {
                "period": draw(st.integers(max(1, n // 8), max(2, n))),
                "period_mult": draw(st.integers(1, 4)),
                "peak_decay": draw(st.sampled_from([2.0, 4.0]) | st.floats(1.0, 4.0)),
            }
        return {
            "period": draw(st.integers(1, max(2, n // 2))),
            "period_mult": draw(st.integers(1, 4)),
            "peak_decay": draw(st.sampled_from([1.0, 0.5]) | st.floats(0.1, 1.0)),
        }

    def _period_of(self) -> int | None:
        return self.period

    @property
    def scale(self) -> float:
        return max(super().scale, self._top_peak)

    def _peak(self, n: int) -> float:
        """Cycle ``n``'s peak, in float64 from the exact ``n``: never below
        stop_lr, and a growing peak held from the cycle that holds step
        num_steps on (so it cannot overflow)."""
        if self._growth:
            return self.start_lr * self._growth[min(n, self._last_cycle)]
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
        # peak w + stop_lr (1 - w): exactly the peak at a restart, 0 ulp (the
        # other form, stop_lr + (peak - stop_lr) w, rounds twice)
        wave = 0.5 * (1 + xp.cos(xp.pi * (offset / length)))
        return peak * wave + self.stop_lr * (1 - wave)

    def _peak_of(self, n: Any, xp: Namespace) -> Any:
        """Equal cycles: ``max(start_lr * peak_decay**n, stop_lr)`` for a floating
        cycle index ``n``, through exp(n log gamma) from float64 log gamma (a
        float32 ``peak_decay**n`` would compound the rounding of gamma n times)."""
        if self.peak_decay == 1.0:
            return self.start_lr
        if self._growth:  # gamma**n from the table, as the scalar route reads it
            # (exp(n log gamma) would carry n log gamma's rounding, |x| eps, into
            # a peak that is the largest rate of the schedule)
            last = as_float(self._last_cycle, xp, n)
            n = xp.clip(xp.where(xp.isnan(n), 0.0, n), 0.0, last)
            table = self._table(xp, n, list(self._growth))
            return self.start_lr * _take(xp, table, xp.astype(n, xp.int32))
        return xp.maximum(self.start_lr * xp.exp(n * self._log_decay), self.stop_lr)

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        p, m = self.period, self.period_mult
        if xp is SCALAR:  # Python numbers: exact cycle index, float64 peak
            if m == 1:
                n = int(step // p)
                return self._wave(self._peak(n), step - n * p, p, xp)
            n = _cycle_of(self._starts, step)
            return self._wave(
                self._peaks[n], step - self._starts[n], self._lengths[n], xp
            )
        return self._floating(step, xp)

    def _decay_value_absolute(self, step: Any, xp: Namespace) -> Any:
        return self._floating(step, xp, self.warmup_steps)

    def _floating(self, step: Any, xp: Namespace, shift: Any = 0) -> Any:
        """The rule at floating steps ``step = d + shift`` (``shift``: the warmup,
        for absolute steps), with the cycle found exactly: ``d`` itself is not
        formed, as ``t - W`` rounds past 2**24 (float32) and moves a step by a
        whole cycle of a short period."""
        p, m = self.period, self.period_mult
        past_end = step == xp.inf
        step = xp.where(past_end, as_float(shift, xp, step), step)  # no inf - inf
        if m == 1:
            # the exact remainder, never floor(d / p) (under XLA d / p is
            # d * (1 / p), which puts a restart step d = k p at the bottom of
            # cycle k - 1), also for a period the dtype cannot hold (p and W
            # may be a population's integer arrays, see arraylr._exact)
            n, offset = cycle_position(step, p, xp, shift)
            length = as_float(p, xp, step)
            value = self._wave(self._peak_of(n, xp), offset, length, xp)
        else:
            bits = float_bits(xp, step.dtype)
            edges = [ceil_float(shift + s, bits) for s in self._starts]
            if shift:
                index = self._cycle_index(step - float(shift), xp, edges, step)
            else:
                index = self._cycle_index(step, xp, edges)
            # t - (W + s_n) with one rounding: the start split into hi + lo
            pieces = [split_float(shift + s, bits) for s in self._starts]
            his = self._table(xp, step, [hi for hi, _ in pieces])
            offset = step - _take(xp, his, index)
            if any(lo for _, lo in pieces):
                los = self._table(xp, step, [lo for _, lo in pieces])
                offset = offset - _take(xp, los, index)
            value = self._from_index(index, offset, xp, step)
        return xp.where(past_end, self.stop_lr, value)  # the rate past the end

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        p, m = self.period, self.period_mult
        if m == 1 and exceeds_dtype(xp, step, p):  # one cycle in range
            offset = xp.astype(step, dtype)
            return self._wave(self.start_lr, offset, as_float(p, xp, offset), xp)
        if m == 1:  # exact integer cycle index and offset
            n = step // p
            offset = xp.astype(step - n * p, dtype)
            length = as_float(p, xp, offset)
            return self._wave(
                self._peak_of(xp.astype(n, dtype), xp), offset, length, xp
            )
        top = int(xp.iinfo(step.dtype).max)
        clipped = [min(s, top) for s in self._starts]  # the dtype's reach
        # the last cycle an integer of this dtype reaches: a start past its
        # range, clipped to it, is never reached (int32 under JAX without x64:
        # step 2**31 - 1 was put at the start of the next cycle, its peak)
        reach = _cycle_of(self._starts, top)  # bisect: a graph break
        floating = xp.astype(step, dtype)
        index = self._cycle_index(floating, xp, clipped, step, reach)
        starts = self._table(xp, step, clipped, step.dtype)
        offset = xp.astype(step - _take(xp, starts, index), dtype)
        return self._from_index(index, offset, xp, floating)

    def _cycle_index(
        self,
        step: Any,
        xp: Namespace,
        edges: list[Any],
        exact: Any = None,
        last: int | None = None,
    ) -> Any:
        """The cycle of each decay step (period_mult >= 2): the closed form in the
        compute dtype, then corrected against the table of cycle starts, compared
        exactly (``exact``: the integer steps; else the floating ``step`` against
        starts rounded up).  ``last``: the last cycle the steps can reach
        (default: the last that starts within int64)."""
        if last is None:
            last = len(self._starts) - 2
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


def _cycle_of(starts: tuple[int, ...], step: Any) -> int:
    """``bisect.bisect_right(starts, step) - 1``, written out in Python: inside
    ``torch.compile`` a Python-number step is traced through it (``bisect`` is a
    builtin that dynamo cannot trace, a graph break)."""
    low, high = 0, len(starts)
    while low < high:
        mid = (low + high) // 2
        if step < starts[mid]:
            high = mid
        else:
            low = mid + 1
    return low - 1
