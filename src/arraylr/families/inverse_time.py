r"""Inverse-time decay (``type="inverse_time"``, Keras' ``InverseTimeDecay``)."""

from __future__ import annotations

from typing import Any

from .._exact import as_float, exceeds_dtype
from .._roles import SHARED_EDGES
from .._scalar import SCALAR, Array, Namespace
from .._validation import check_bool, check_float, check_int
from ..base import BaseLR, WarmupType

__all__ = ["LearningRateInverseTime"]


@BaseLR.register("inverse_time")
class LearningRateInverseTime(BaseLR):
    r"""Inverse-time decay: the rate divided by a linear function of the step.

    With decay rate :math:`r` and :math:`k` = ``decay_steps``,

    .. math::

        \eta(d) = \max\left(\frac{\eta_0}{1 + r\, e(d)}, \eta_{end}\right),
        \qquad e(d) = \frac{d}{k} \ \text{or, with staircase,}\
        \left\lfloor \frac{d}{k} \right\rfloor,

    ``keras.optimizers.schedules.InverseTimeDecay(start_lr, decay_steps,
    decay_rate, staircase)`` (and optax's ``inverse_time_decay`` shape).  The
    decay goes on past ``num_steps``; ``stop_lr`` is an optional floor (default
    0: none), reached at step ``+inf``.

    Parameters
    ----------
    start_lr, num_steps
        See :class:`~arraylr.BaseLR`.
    decay_steps : int, optional
        :math:`k >= 1` (default 1000).
    decay_rate : float, optional
        :math:`r >= 0` (default 1.0; 0 gives a constant rate).
    staircase : bool, optional
        Decay in whole stairs of ``decay_steps`` (default ``False``).
    stop_lr, stop_lr_ratio : float, optional
        A floor under the decay (default ``stop_lr=0``: none).
    warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR`.

    Notes
    -----
    With ``staircase`` the stair of an integer step is found by integer division
    (exact at every step), as ``exp``'s is.

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="inverse_time", start_lr=1.0, num_steps=100,
    ...             decay_steps=10, decay_rate=0.5)
    >>> lr(0), lr(10), lr(15), lr(20)
    (1.0, 0.6666666666666666, 0.5714285714285714, 0.5)
    >>> BaseLR(**{**lr.to_dict(), "staircase": True})(15)
    0.6666666666666666
    """

    _propagates_nan = True
    _derived = ("decay_steps", "decay_rate", "staircase")
    _example = {"start_lr": 1.0, "num_steps": 10_000, "decay_steps": 500,
                "decay_rate": 1.0, "staircase": True, "warmup_steps": 500}  # fmt: skip
    _edges = SHARED_EDGES | {"decay_steps"}
    _differentiable = ("start_lr", "stop_lr", "stop_lr_ratio", "decay_rate")

    decay_steps: int
    decay_rate: float
    staircase: bool
    _slope: float

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        decay_steps: int = 1000,
        decay_rate: float = 1.0,
        staircase: bool = False,
        stop_lr: float | None = None,
        stop_lr_ratio: float | None = None,
        warmup_steps: int = 0,
        warmup_ratio: float | None = None,
        warmup_start_factor: float = 0.0,
        warmup_type: WarmupType | None = None,
    ) -> None:
        if stop_lr is None and stop_lr_ratio is None:
            stop_lr = 0.0
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
        self.decay_steps = check_int("decay_steps", decay_steps, minimum=1)
        self.decay_rate = check_float("decay_rate", decay_rate, nonnegative=True)
        self.staircase = check_bool("staircase", staircase)
        if self.stop_lr > self.start_lr:
            raise ValueError(
                f"stop_lr is the floor of a decay: it must be <= start_lr="
                f"{self.start_lr!r}, got stop_lr={self.stop_lr!r}"
            )
        self._settle(decay_rate=self.decay_rate)
        # tested in Python once, here: the formula never branches on a float
        # parameter (a population hands it arrays of them)
        self._flat = self.decay_rate == 0

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        out = super()._derive(p, s, xp)
        if "decay_rate" in p:
            rate = p["decay_rate"]
            out.update(decay_rate=rate, _slope=rate / s.number("decay_steps"))
        return out

    @property
    def final_lr(self) -> float:
        return self.start_lr if self._flat else self.stop_lr

    def _from_stairs(self, stairs: Any, xp: Namespace) -> Any:
        return xp.maximum(
            self.start_lr / (1.0 + self.decay_rate * stairs), self.stop_lr
        )

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        if self._flat:  # decay_rate 0: no decay (and no inf * 0)
            return xp.where(xp.isnan(step), step, self.start_lr)
        if self.staircase:
            if xp is SCALAR:
                return self._from_stairs(step // self.decay_steps, xp)
            past_end = step == xp.inf  # inf // k is NaN: the stairs are infinite
            finite = xp.where(past_end, 0.0, step)
            # floor(d / k) as NumPy's // forms it, (d - d mod k) / k rounded (the
            # remainder is exact), in operations autograd differentiates
            # (PyTorch has no derivative of floor_divide): slope 0 on each stair
            size = as_float(self.decay_steps, xp, finite)
            stairs = xp.round((finite - xp.remainder(finite, size)) / size)
            return self._from_stairs(xp.where(past_end, xp.inf, stairs), xp)
        return xp.maximum(self.start_lr / (1.0 + self._slope * step), self.stop_lr)

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        if not self.staircase or self._flat:
            return super()._decay_value_integer(step, xp, dtype)
        if exceeds_dtype(xp, step, self.decay_steps):  # every step on the first stair
            return xp.full_like(step, self.start_lr, dtype=dtype)
        return self._from_stairs(xp.astype(step // self.decay_steps, dtype), xp)
