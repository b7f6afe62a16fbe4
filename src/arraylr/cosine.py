r"""Cosine annealing: ``type="cosine"``."""

from __future__ import annotations

from typing import Any

from ._backend import Namespace
from .base import BaseLR

__all__ = ["LearningRateCosine"]


@BaseLR.register("cosine")
class LearningRateCosine(BaseLR):
    r"""Cosine annealing from ``start_lr`` to ``stop_lr``, with optional warmup.

    After warmup, at decay-phase step :math:`d = t - W`, with
    :math:`f = \eta_{end} / \eta_0` (``lr_min_factor``) and
    :math:`T = \mathrm{num\_steps} - W`,

    .. math::

        \eta(d) = \begin{cases}
            \eta_0 \left(f + \tfrac{1}{2}(1 - f)\left(1 + \cos\frac{\pi d}{T}\right)
            \right) & d < T \\
            \eta_0 f & d \ge T
        \end{cases}

    and :math:`\eta = \eta_0` at every step when :math:`T = 0`.

    Parameters
    ----------
    start_lr, num_steps, stop_lr, stop_lr_ratio, warmup_steps, warmup_ratio, \
warmup_start_factor
        See :class:`~arraylr.BaseLR`.

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
    _derived = ("lr_min_factor",)

    lr_min_factor: float

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        stop_lr: float | None = None,
        stop_lr_ratio: float | None = None,
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
        self.lr_min_factor = self.stop_lr / self.start_lr
        self._half_span = 0.5 * (1 - self.lr_min_factor)
        self._total = float(self.decay_num_steps)
        if self.decay_num_steps > 0:  # exactly start_lr * f from T on
            self._plateaus = (
                (self.decay_num_steps, None, self.start_lr * self.lr_min_factor),
            )

    @property
    def final_lr(self) -> float:
        # with no decay steps the rule is start_lr at every step (SPEC)
        return self.start_lr if self.decay_num_steps == 0 else self.stop_lr

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        total = self.decay_num_steps
        if total == 0:
            return xp.where(xp.isnan(step), step, self.start_lr)  # NaN stays NaN
        # start_lr (f + h (1 + cos(pi d / T))) as written: folding the constants
        # into A + B cos(...) saves two operations but gives start_lr + 1 ulp at
        # d = 0 for 8% of configs, where this form gives start_lr exactly
        wave = 1 + xp.cos(xp.pi * (step / self._total))
        return self.start_lr * (self.lr_min_factor + self._half_span * wave)
