r"""Cyclical learning rates (torch's ``CyclicLR``): ``type="cyclic"``."""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

from .._exact import as_float, exceeds_dtype, is_zero
from .._roles import SHARED_EDGES, STRUCTURE
from .._scalar import SCALAR, Array, Namespace
from .._validation import MAX_STEP, check_choice, check_float, check_int
from ..base import BaseLR, check_rate, cycle_position

__all__ = ["LearningRateCyclic"]

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
    warmup: the first up phase is one.  The position :math:`r` is exact at every
    step: computed in integers for integer steps, and as the remainder
    :math:`t \bmod C` (an exact floating operation) for floating steps, also past
    :math:`2^{24}` (float32) and :math:`2^{53}` (float64), where the rate of a
    floating step is that of the integer it holds: it never leaves
    :math:`[\eta_0, \eta_{max}]`.

    Momentum cycling (torch's ``cycle_momentum``): :meth:`momentum_schedule`
    gives the matching momentum schedule, for
    ``arraylr.torch.ScheduleLR(optimizer, lr, momentum=lr.momentum_schedule())``.

    Parameters
    ----------
    start_lr : float
        :math:`\eta_0`, the bottom of every cycle (torch's ``base_lr``).
    num_steps : int
        The length of training (for display; cycles continue past it).
    max_lr : float
        :math:`\eta_{max}`, the top of the first cycle (below
        :math:`\eta_0`: its bottom, a cycle that falls first).
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
    _example = {"start_lr": 0.1, "max_lr": 1.0, "num_steps": 10_000,
                "step_size_up": 1000, "step_size_down": 1500,
                "mode": "triangular2"}  # fmt: skip
    _edges = SHARED_EDGES | {"step_size_up", "step_size_down", "_cycle"}
    # _log_gamma is tested against 0 in Python, and read
    _structure = {"gamma": STRUCTURE, "_log_gamma": STRUCTURE}
    _differentiable = ("start_lr", "max_lr")
    _draws = frozenset({"max_lr", "step_size_up", "step_size_down", "mode", "gamma"})
    _quarters_of = "run"

    max_lr: float
    step_size_up: int
    step_size_down: int
    mode: str
    gamma: float
    _height: float

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
        # max_lr < start_lr: a cycle that falls first (torch's momentum cycle)
        top = check_float("max_lr", max_lr, positive=True)
        check_rate("max_lr", max_lr, top)
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
        self._settle(max_lr=top)

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        start = p["start_lr"]
        top = p["max_lr"] if "max_lr" in p else s.value("max_lr")
        out = cls._base_values(p, s, start)  # stop_lr: the bottom, start_lr
        out.update(max_lr=top, _height=top - start)
        # past every integer step, as at +inf: the bottom
        out["_plateaus"] = ((MAX_STEP + 1, None, start),)
        return out

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        out: dict[str, Any] = {
            "max_lr": config["start_lr"]
            * draw(st.sampled_from([1.0, 10.0]) | st.floats(1.0, 100.0)),
            "step_size_up": draw(st.integers(1, max(2, config["num_steps"] // 2))),
            "mode": mode,
        }
        if draw(st.booleans()):
            size = draw(st.integers(0, max(2, config["num_steps"] // 2)))
            out["step_size_down"] = size
        if mode == "exp_range":  # gamma belongs to exp_range alone
            out["gamma"] = draw(st.sampled_from([1.0, 0.99]) | st.floats(0.5, 1.0))
        return out

    def _rate_range(self) -> tuple[float, float]:
        return min(self.start_lr, self.max_lr), max(self.start_lr, self.max_lr)

    def _period_of(self) -> int | None:
        return self._cycle if self._cycle > 0 else None

    @property
    def scale(self) -> float:
        return max(self.max_lr, self.start_lr)

    def momentum_schedule(
        self, base_momentum: float = 0.8, max_momentum: float = 0.9
    ) -> LearningRateCyclic:
        r"""The momentum that cycles against this rate, as torch's ``CyclicLR``
        with ``cycle_momentum=True`` (its defaults here too):

        .. math::

            m(t) = m_{max} - (m_{max} - m_{base})\, h(t)\, s(t),

        ``max_momentum`` at the bottom of every cycle and ``base_momentum`` at
        the top, as a ``cyclic`` schedule whose ``max_lr`` is below its
        ``start_lr``.  Give it to :class:`arraylr.torch.ScheduleLR` as
        ``momentum=``; it sets ``momentum`` or ``betas[0]`` as torch does.

        Parameters
        ----------
        base_momentum : float, optional
            :math:`m_{base}`, the momentum at the top of a cycle (default 0.8).
        max_momentum : float, optional
            :math:`m_{max} \ge m_{base}`, the momentum at the bottom (default 0.9).

        Examples
        --------
        >>> from arraylr import BaseLR
        >>> lr = BaseLR(type="cyclic", start_lr=0.1, max_lr=1.0, num_steps=40,
        ...             step_size_up=10)
        >>> m = lr.momentum_schedule(0.5, 1.0)
        >>> m(0), m(5), m(10), m(20)
        (1.0, 0.75, 0.5, 1.0)
        """
        low = check_float("base_momentum", base_momentum, positive=True)
        high = check_float("max_momentum", max_momentum, positive=True)
        if high < low:
            raise ValueError(
                f"max_momentum must be >= base_momentum={base_momentum!r}, got "
                f"max_momentum={max_momentum!r}"
            )
        return LearningRateCyclic(
            start_lr=high,
            num_steps=self.num_steps,
            max_lr=low,
            step_size_up=self.step_size_up,
            step_size_down=self.step_size_down,
            mode=self.mode,  # type: ignore[arg-type]
            gamma=self.gamma,
        )

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
        up = as_float(self.step_size_up, xp, pos)
        rising = pos / up
        if is_zero(self.step_size_down):
            h = rising
        else:
            down = as_float(self.step_size_down, xp, pos)
            fall = (as_float(self._cycle, xp, pos) - pos) / down
            h = xp.where(pos <= up, rising, fall)
        height = self._height * h
        if self.mode == "triangular2":
            height = height * 0.5**cycles
        elif self.mode == "exp_range" and self._log_gamma != 0:
            height = height * xp.exp(step * self._log_gamma)
        elif self.mode == "triangular":
            # the upper half from max_lr down, so that the top is max_lr exactly
            # (start_lr + (max_lr - start_lr) rounds one ulp past it for some
            # pairs) and every rate lies between the two; the same function of
            # start_lr and max_lr on both sides, and so the same derivative
            return xp.where(
                h <= 0.5, self.start_lr + height, self.max_lr - self._height * (1 - h)
            )
        return self.start_lr + height

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        if xp is SCALAR:
            pos: Any
            size = float(self._cycle)
            if isinstance(step, int):  # exact integer division
                cycles, pos = divmod(step, self._cycle)
            else:  # fmod is exact: the position of any float step
                pos = math.fmod(step, size)
                cycles = round((step - pos) / size)
            return self._shape(step, cycles, pos, xp)
        step = xp.minimum(step, 2.0**63)  # +inf: no inf - inf (the plateau's then)
        # the position in the cycle, exactly (an exact remainder), also past
        # 2**24 (float32) or 2**53 (float64), where a step is an integer and
        # t - floor(t / C) C drifts out of [0, C)
        cycles, pos = cycle_position(step, self._cycle, xp)
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
