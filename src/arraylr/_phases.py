r"""The phase machinery of a schedule (the contract layer, below ``base``).

:func:`compose` takes what :mod:`arraylr._backend` prepared (a step array and
its :class:`~arraylr._backend.Plan`) and evaluates a schedule on it: negative
steps clamped, the warmup split from the decay, the decay rule at the
decay-phase step, the schedule's plateaus selected over it, every phase edge
compared exactly (integer steps as integers, floating steps with each edge
rounded up to their dtype).  :func:`cycle_position` is the exact cycle
arithmetic of the periodic families; :func:`check_rate` refuses a parameter
whose rate does not fit float32.  ``self`` is the schedule (a
:class:`arraylr.BaseLR`, or a population's view of one).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from . import _backend
from ._backend import Plan
from ._exact import (
    FLOAT32_MAX,
    as_float,
    ceil_edge,
    ceil_float,
    exceeds_dtype,
    float_bits,
    is_zero,
)
from ._scalar import Array, Namespace
from ._validation import short_repr

__all__ = ["check_rate", "compose", "cycle_position", "decay_phase"]


def check_rate(name: str, given: Any, rate: float, via: str = "") -> None:
    """Refuse a parameter that makes a rate overflow or pass the largest float32,
    naming the parameter the caller passed and its value.

    ``given`` is the value the caller passed for ``name``; ``rate`` the rate it
    gives, and ``via`` how (``"with start_lr=0.001 gives stop_lr"``), where the
    rate is derived rather than ``given`` itself.
    """
    if math.isfinite(rate) and rate <= FLOAT32_MAX:
        return
    limit = f"{FLOAT32_MAX:.4g}, the largest float32, so that every dtype holds them"
    if not via:
        raise ValueError(
            f"{name} must be at most {limit}; got {name}={short_repr(given)}"
        )
    raise ValueError(
        f"{name}={short_repr(given)} {via}={rate!r}; rates must be at most {limit}"
    )


def cycle_position(
    step: Array, length: int | Array, xp: Namespace, shift: int | Array = 0
) -> tuple[Array, Array]:
    """``(n, r)`` of ``step - shift`` (as ``_cycle_position`` finds them), with the
    difference never formed: ``t - W`` rounds past ``2**24`` in float32 and
    moves a step within its cycle, so the position is ``(t mod C - W mod C)
    mod C`` (small numbers, exact) and the cycle ``n(t) - W // C`` less one
    where that borrowed.  ``shift``: an integer (a warmup), or a population's
    integer array of them."""
    n, pos = _cycle_position(step, length, xp)
    if is_zero(shift):
        return n, pos
    whole = shift // length
    part = shift - whole * length
    pos = pos - as_float(part, xp, step)
    borrow = pos < 0
    pos = xp.where(borrow, pos + as_float(length, xp, step), pos)
    return n - as_float(whole, xp, step) - xp.astype(borrow, n.dtype), pos


def _cycle_position(
    step: Array, length: int | Array, xp: Namespace
) -> tuple[Array, Array]:
    """``(n, r)``: the cycle index and the position in it of floating steps
    ``step >= 0`` in cycles of ``length`` steps, ``step = n * length + r`` with
    ``0 <= r < length``, exactly (NaN gives NaN; +inf must be mapped away first).

    Where the dtype holds ``length``, ``r`` is the floating remainder, an exact
    operation (an fmod) at every step, also past ``2**24`` (float32) or ``2**53``
    (float64), where ``t - floor(t / C) C`` drifts out of ``[0, C)``.  A length
    the dtype cannot hold (past ``2**24`` in float32) is divided into the
    integer part of the step in the namespace's widest signed integer dtype; a
    step past that dtype's range (``2**63``, or ``2**31`` under JAX without
    x64) is reduced by the length rounded to the dtype.  ``n`` is rounded: exact
    up to ``2**24`` (float32) cycles, an ulp off past that.  ``length`` may be a
    population's integer array of lengths (see :mod:`arraylr._exact`): then the
    integer division serves every length.
    """
    bits = float_bits(xp, step.dtype)
    single = type(length) is int
    size = as_float(length, xp, step)
    if single and ceil_float(length, bits) == length:  # the dtype holds it
        pos = xp.remainder(step, size)
        return xp.round((step - pos) / size), pos
    # (a population's lengths, an integer array: this exact path for all)
    wide = _backend.widest_int(xp, step)
    top = int(xp.iinfo(wide).max)
    whole = xp.floor(step)
    fits = whole < ceil_float(top, bits)  # false for NaN and inf
    k = xp.astype(xp.where(fits, whole, 0.0), wide)
    fraction = step - whole
    if single and length > top:  # every step the integers hold: first cycle
        exact_pos, exact_n = step, xp.zeros_like(step)
    else:
        q = k // length
        exact_pos = xp.astype(k - q * length, step.dtype) + fraction
        exact_n = xp.astype(q, step.dtype)
    rough = xp.remainder(step, size)
    pos = xp.where(fits, exact_pos, rough)
    return xp.where(fits, exact_n, xp.round((step - rough) / size)), pos


def compose(
    self: Any, plan: Plan, step: Array, low: Any = None, high: Any = None
) -> Array:
    """Clamp negative steps, split warmup from decay, apply the decay rule.

    Called by :meth:`_evaluate` with a step array the backend layer prepared
    (a whole array, or a NumPy or PyTorch CPU block) and the
    :class:`~arraylr._backend.Plan` it chose
    (namespace, dtypes, the kind of step).  ``low``/``high``, when given,
    bound the step values (eager blocks only): a clamp or branch that cannot
    change the result is then skipped.  A NaN bound compares false everywhere
    and so takes the general path.
    """
    xp, compute, kind = plan.xp, plan.compute, plan.kind
    if kind == "ubig":
        # unsigned steps wider than the signed dtype: those it holds (the
        # wrapped cast is then >= 0) exactly as integers, the rate of the
        # same Python int; larger ones (from 2**63, or 2**31 under JAX
        # without x64) as floating steps of the compute dtype, rounded
        signed = xp.astype(step, plan.wide_int)  # wraps: uint64 has no <=
        fits = signed >= 0
        exact = compose(self, replace(plan, kind="uint"), xp.where(fits, signed, 0))
        rough = compose(self, replace(plan, kind="float"), xp.astype(step, compute))
        return xp.where(fits, exact, rough)
    warmup = self.warmup_steps
    known = low is not None and high is not None
    nonnegative = known and low >= 0
    all_decay = known and low >= warmup
    all_warmup = known and high < warmup and nonnegative
    d_low, d_high = (low - warmup, high - warmup) if all_decay else (None, None)
    if kind == "int" or kind == "uint":
        t = step
        if t.dtype != plan.wide_int:
            t = xp.astype(t, plan.wide_int)
        clamp = kind == "int" and not nonnegative
        if all_warmup or exceeds_dtype(xp, t, warmup):
            if clamp:
                t = xp.maximum(t, 0)
            return self._warmup_value(xp.astype(t, compute), xp)  # no step ends it
        if is_zero(warmup) or all_decay:
            if clamp:
                t = xp.maximum(t, 0)
            return decay_phase(self, xp, t, True, compute, d_low, d_high)
        # max(t, W) for the rule and max(t, 0) for the line: each clamp once
        decay = decay_phase(self, xp, xp.maximum(t, warmup), True, compute)
        line = xp.maximum(t, 0) if clamp else t
        warm = self._warmup_value(xp.astype(line, compute), xp)
        return xp.where(t < warmup, warm, decay)
    # real floating or bool steps
    t = step if step.dtype == compute else xp.astype(step, compute)
    if not nonnegative:
        t = xp.maximum(t, 0.0)
    if all_warmup:
        result = self._warmup_value(t, xp)
    elif is_zero(warmup) or all_decay:
        result = decay_phase(self, xp, t, False, compute, d_low, d_high)
    else:
        width = as_float(warmup, xp, t)
        decay = decay_phase(self, xp, xp.maximum(t, width), False, compute)
        edge = ceil_edge(warmup, xp, compute)
        # the line at min(t, W): no inf * 0 for steps at +inf
        warm = self._warmup_value(xp.minimum(t, width), xp)
        result = xp.where(t < edge, warm, decay)
    if not self._propagates_nan and kind == "float":
        result = xp.where(xp.isnan(t), t, result)
    return result


def decay_phase(
    self: Any,
    xp: Namespace,
    t: Array,
    integer: bool,
    compute: object,
    low: Any = None,
    high: Any = None,
) -> Array:
    """The decay rule at absolute steps ``t >= W`` (integer or floating), with
    the schedule's plateaus selected over it.

    Plateau edges are compared with the absolute step: exactly for integer
    steps, and against edges rounded up to the compute dtype for floating
    steps, so that no step lands on the wrong side of an edge that the dtype
    cannot hold.  With known bounds ``low``/``high`` of the decay-phase step
    (eager blocks), a block inside one plateau skips the formula and a block
    outside a plateau skips its select.
    """
    warmup = self.warmup_steps
    known = low is not None and high is not None
    for start, end, level in self._plateaus:
        if known and low >= start and (end is None or high < end):
            return xp.full_like(t, level, dtype=compute)
    rule = t  # the steps the formula sees
    tail = next((s for s, e, _ in self._plateaus if e is None), None)
    if not integer and tail is not None and not (known and high < tail):
        # the last plateau's level from its start on (+inf among the steps): the
        # formula sees no step past that start (NumPy warns at cos(inf))
        rule = xp.minimum(t, as_float(warmup + tail, xp, t))
    if is_zero(warmup):
        d = rule
    elif integer:
        d = rule - warmup
    else:  # as a float of the steps' dtype (JAX refuses a Python int past int32)
        d = rule - as_float(warmup, xp, rule)
    if integer:
        value = self._decay_value_integer(d, xp, compute)
    elif not is_zero(warmup) and self._absolute_steps:
        value = self._decay_value_absolute(rule, xp)
    else:
        value = self._decay_value(d, xp)
    for start, end, level in self._plateaus:
        if known and ((end is not None and low >= end) or high < start):
            continue
        first: Any = None if is_zero(start) else warmup + start
        last: Any = warmup + end if end is not None else None
        if integer:  # an edge past the dtype's range is never reached
            if first is not None and exceeds_dtype(xp, t, first):
                continue
            if last is not None and exceeds_dtype(xp, t, last):
                last = None
        else:
            first = None if first is None else ceil_edge(first, xp, compute)
            last = None if last is None else ceil_edge(last, xp, compute)
        if first is not None and last is not None:
            inside = (t >= first) & (t < last)
        elif last is not None:
            inside = t < last
        elif first is not None:
            inside = t >= first
        elif integer:
            return xp.full_like(t, level, dtype=compute)
        else:  # NaN steps stay NaN
            return xp.where(xp.isnan(t), t, level)
        value = xp.where(inside, level, value)
    return value
