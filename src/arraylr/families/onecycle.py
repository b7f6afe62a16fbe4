r"""The one-cycle policy: ``type="onecycle"``."""

from __future__ import annotations

from typing import Any, Literal, get_args

from .._exact import as_float, is_zero
from .._roles import SHARED_EDGES
from .._scalar import Namespace
from .._validation import check_choice, check_float
from ..base import BaseLR, check_rate

__all__ = ["LearningRateOneCycle"]

Anneal = Literal["cos", "linear"]


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
    _example = {"start_lr": 1.0, "num_steps": 10_000, "pct_start": 0.3}
    _edges = SHARED_EDGES | {"up_steps"}
    _differentiable = ("start_lr", "div_factor", "final_div_factor")

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
        check_rate("start_lr", start_lr, peak)
        check_rate(
            "div_factor",
            div_factor,
            peak / div,
            f"with start_lr={peak!r} gives initial_lr",
        )
        check_rate(
            "final_div_factor",
            final_div_factor,
            peak / div / final,
            f"with start_lr={peak!r} and div_factor={div!r} gives the final rate",
        )
        _, stop = self._ends(peak, div, final)
        super().__init__(peak, num_steps, stop_lr=stop)
        if self.num_steps == 0:
            raise ValueError("onecycle needs num_steps > 0, got num_steps=0")
        pct = check_float("pct_start", pct_start, nonnegative=True)
        if pct >= 1:
            raise ValueError(
                f"pct_start must be in [0, 1), got pct_start={pct_start!r}"
            )
        self.pct_start = pct
        self.anneal = check_choice("anneal", anneal, get_args(Anneal))
        self.up_steps = int(pct * self.num_steps)
        self._settle(div_factor=div, final_div_factor=final)

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        start = p["start_lr"]
        div = p["div_factor"] if "div_factor" in p else s.value("div_factor")
        final = (
            p["final_div_factor"]
            if "final_div_factor" in p
            else s.value("final_div_factor")
        )
        initial, stop = cls._ends(start, div, final)
        out = cls._base_values(p, s, stop)
        out.update(div_factor=div, final_div_factor=final, initial_lr=initial)
        out["_plateaus"] = ((s.num_steps, None, stop),)
        return out

    def momentum_schedule(
        self, base_momentum: float = 0.85, max_momentum: float = 0.95
    ) -> BaseLR:
        r"""The momentum that moves against this rate, as torch's
        ``OneCycleLR(cycle_momentum=True)`` does (its defaults here too): from
        ``max_momentum`` down to ``base_momentum`` at the peak, then back up,
        with the same phases and shape (``anneal``):

        .. math::

            m(t) = \begin{cases}
                A(m_{max}, m_{base}, t / U) & t < U \\
                A(m_{base}, m_{max}, (t - U) / (T - U)) & U \le t < T \\
                m_{max} & t \ge T
            \end{cases}

        A ``cosine`` schedule (``linear`` for ``anneal="linear"``) from
        ``base_momentum`` to ``max_momentum`` after a warmup of :math:`U`
        steps from ``max_momentum``.  Give it to
        :class:`arraylr.torch.ScheduleLR` as ``momentum=``.

        Parameters
        ----------
        base_momentum : float, optional
            :math:`m_{base}`, the momentum at the peak rate (default 0.85).
        max_momentum : float, optional
            :math:`m_{max} \ge m_{base}` (default 0.95).

        Examples
        --------
        >>> from arraylr import BaseLR
        >>> lr = BaseLR(type="onecycle", start_lr=1.0, num_steps=100,
        ...             pct_start=0.25, anneal="linear")
        >>> m = lr.momentum_schedule(0.5, 1.0)
        >>> m(0), m(25), m(100)
        (1.0, 0.5, 1.0)
        """
        low = check_float("base_momentum", base_momentum, positive=True)
        high = check_float("max_momentum", max_momentum, positive=True)
        if high < low:
            raise ValueError(
                f"max_momentum must be >= base_momentum={base_momentum!r}, got "
                f"max_momentum={max_momentum!r}"
            )
        config: dict[str, Any] = {
            "type": "cosine" if self.anneal == "cos" else "linear",
            "start_lr": low,
            "stop_lr": high,
            "num_steps": self.num_steps,
            "warmup_steps": self.up_steps,
        }
        if self.up_steps:
            config["warmup_start_factor"] = high / low
            config["warmup_type"] = "cosine" if self.anneal == "cos" else "linear"
        return BaseLR(**config)  # type: ignore[abstract]

    @staticmethod
    def _ends(peak: Any, div: Any, final: Any) -> tuple[Any, Any]:
        """``(initial_lr, final rate)``: ``peak / div`` and ``peak / div /
        final`` (Python floats, or arrays for a population's parameters, see
        ``BaseLR._warmup_line``)."""
        initial = peak / div
        return initial, initial / final

    def _group_entries(self) -> dict[str, float]:
        # torch's OneCycleLR keeps them in each group (users read them)
        return {"max_lr": self.start_lr, "min_lr": self.stop_lr}

    @property
    def scale(self) -> float:
        return max(self.start_lr, self.initial_lr, self.stop_lr)

    def phases(self) -> list[tuple[int, str]]:
        return sorted(set([*super().phases(), (self.up_steps, "peak")]))

    def _interpolate(self, a: float, b: float, p: Any, xp: Namespace) -> Any:
        # a w + b (1 - w): exactly a at p = 0 and b at p = 1, in every dtype (the
        # start, the peak and the end are parameters: 0 ulp)
        if self.anneal == "cos":
            w = 0.5 * (xp.cos(xp.pi * p) + 1)
            return a * w + b * (1 - w)
        return a * (1 - p) + b * p

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        # up < num_steps: the fall has at least one step (and no 0 / 0)
        up, total = self.up_steps, self.num_steps
        top = as_float(up, xp, step)
        rising = self._interpolate(
            self.initial_lr, self.start_lr, step / (1.0 if is_zero(up) else top), xp
        )
        falling = self._interpolate(
            self.start_lr,
            self.stop_lr,
            (step - top) / as_float(total - up, xp, step),
            xp,
        )
        return xp.where(step < top, rising, falling)
