r"""Inverse square root decay (the transformer schedule): ``type="inverse_sqrt"``."""

from __future__ import annotations

from typing import Any

from .._exact import FLOAT32_MAX
from .._roles import SHARED_EDGES
from .._scalar import Namespace
from .._validation import check_float
from ..base import BaseLR, WarmupType

__all__ = ["LearningRateInverseSqrt"]


@BaseLR.register("inverse_sqrt")
class LearningRateInverseSqrt(BaseLR):
    r"""Inverse square root decay after warmup, with an optional floor.

    With timescale :math:`\tau` (default :math:`W`, or 10000 without warmup),

    .. math::

        \eta(d) = \max\left(\eta_0 \sqrt{\frac{\tau}{d + \tau}},\ \eta_{end}\right),

    which for :math:`\tau = W` is the transformer schedule
    :math:`\eta_0 \sqrt{W / \max(t, W)}` (and matches ``transformers``'
    ``get_inverse_sqrt_schedule``).

    Parameters
    ----------
    start_lr, num_steps, warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR`.
    stop_lr, stop_lr_ratio : float, optional
        A floor under the decay (default ``stop_lr=0``: none).
    timescale : float, optional
        :math:`\tau`, at least 1e-6 steps.

    Attributes
    ----------
    timescale : float
        :math:`\tau` as used.

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="inverse_sqrt", start_lr=1.0, num_steps=10**6,
    ...             warmup_steps=100)
    >>> lr(50), lr(100), lr(400)
    (0.5, 1.0, 0.5)
    """

    _propagates_nan = True
    _derived = ("timescale",)
    _example = {"start_lr": 1.0, "num_steps": 10_000, "warmup_steps": 500}
    _edges = SHARED_EDGES
    _differentiable = ("start_lr", "stop_lr", "stop_lr_ratio", "timescale")

    timescale: float
    _inverse_timescale: float

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        stop_lr: float | None = None,
        stop_lr_ratio: float | None = None,
        timescale: float | None = None,
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
        if timescale is None:
            self.timescale = float(self.warmup_steps or 10_000)
        else:
            self.timescale = check_float(
                "timescale", timescale, positive=True, at_most=FLOAT32_MAX
            )
            if self.timescale < 1e-6:
                raise ValueError(
                    f"timescale must be >= 1e-6 steps (d / timescale must not "
                    f"overflow float32), got timescale={timescale!r}"
                )
        self._settle(timescale=self.timescale)

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        out = super()._derive(p, s, xp)
        if "timescale" in p:  # else each member's own (from its warmup_steps)
            out.update(
                timescale=p["timescale"], _inverse_timescale=1.0 / p["timescale"]
            )
        return out

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        # sqrt(tau / (d + tau)) as sqrt(1 / (d / tau + 1)): XLA folds (t - W) + tau
        # into t + (tau - W), which cancels in float32 when tau is small beside W
        lr = self.start_lr * xp.sqrt(1.0 / (step * self._inverse_timescale + 1.0))
        return xp.maximum(lr, self.stop_lr)
