r"""Piecewise constant (step / multi-step) schedules: ``type="piecewise"``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._roles import SHARED_EDGES
from .._scalar import Namespace
from .._validation import check_boundaries, check_float
from ..base import BaseLR, WarmupType, check_rate

__all__ = ["LearningRatePiecewise"]


@BaseLR.register("piecewise")
class LearningRatePiecewise(BaseLR):
    r"""Piecewise constant learning rate that changes at given steps.

    With boundaries :math:`b_1 < \dots < b_k` (absolute steps, after warmup) and
    :math:`v_0 = \eta_0`,

    .. math::

        \eta(t) = v_j, \qquad b_j \le t < b_{j+1},

    where either the values :math:`v_1, \dots, v_k` are given (``values``) or each
    is the previous one times a factor, :math:`v_j = v_{j-1} f_j` (``factors``,
    as ``torch.optim.lr_scheduler.MultiStepLR`` with ``factors=[gamma] * k`` and
    ``optax.piecewise_constant_schedule``).  The new value applies from the
    boundary step itself, exactly: integer steps are compared as integers and
    floating steps with the boundary rounded up to their dtype, so that float32
    step 16777216 stays before a boundary at 16777217.  Evaluated with one select
    per boundary, never a loop over steps.

    Parameters
    ----------
    start_lr, num_steps, warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR` (``stop_lr`` is the last value).
    boundaries : sequence of int
        Strictly increasing steps, each > ``warmup_steps``.
    values : sequence of float, optional
        The rate from each boundary on (one per boundary, >= 0).
    factors : sequence of float, optional
        Multiplicative factors (one per boundary, > 0). Exactly one of
        ``values`` and ``factors``.

    Attributes
    ----------
    levels : tuple of float
        :math:`(v_0, \dots, v_k)`.

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="piecewise", start_lr=1.0, num_steps=100,
    ...             boundaries=[30, 60], factors=[0.1, 0.1])
    >>> lr(29), lr(30), round(lr(99), 12)
    (1.0, 0.1, 0.01)
    """

    _derived = ("boundaries", "levels")
    _example = {"start_lr": 1.0, "num_steps": 10_000,
                "boundaries": [3000, 6000, 8000],
                "factors": [0.5, 0.5, 0.5]}  # fmt: skip
    # the formula reads the plateaus, not the boundaries they come from
    _edges = SHARED_EDGES | {"boundaries"}
    _differentiable = ("start_lr",)
    _draws = frozenset({"boundaries", "values", "factors"})
    _exclusive = (("values", "factors"),)

    boundaries: tuple[int, ...]
    levels: tuple[float, ...]

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        boundaries: Sequence[int],
        values: Sequence[float] | None = None,
        factors: Sequence[float] | None = None,
        warmup_steps: int = 0,
        warmup_ratio: float | None = None,
        warmup_start_factor: float = 0.0,
        warmup_type: WarmupType | None = None,
    ) -> None:
        marks = check_boundaries("boundaries", boundaries)
        if (values is None) == (factors is None):
            raise ValueError(
                "exactly one of values and factors must be given, got "
                f"values={values!r}, factors={factors!r}"
            )
        given, name = (values, "values") if values is not None else (factors, "factors")
        assert given is not None
        if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
            raise TypeError(f"{name} must be a list of numbers, got {name}={given!r}")
        if len(given) != len(marks):
            raise ValueError(
                f"{name} needs one entry per boundary ({len(marks)}), got "
                f"{name}={list(given)!r}"
            )
        start = check_float("start_lr", start_lr, positive=True)
        if values is not None:
            levels = [start]
            for i, item in enumerate(given):
                levels.append(check_float(f"values[{i}]", item, nonnegative=True))
        else:
            checked = [
                check_float(f"factors[{i}]", item, positive=True)
                for i, item in enumerate(given)
            ]
            levels = self._levels_of(start, checked)
        for i, level in enumerate(levels[1:]):
            if values is not None:
                check_rate(f"values[{i}]", given[i], level)
            else:
                check_rate(
                    f"factors[{i}]",
                    given[i],
                    level,
                    f"gives the rate from boundaries[{i}]",
                )
        super().__init__(
            start_lr,
            num_steps,
            stop_lr=levels[-1],
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            warmup_start_factor=warmup_start_factor,
            warmup_type=warmup_type,
        )
        if marks and marks[0] <= self.warmup_steps:
            raise ValueError(
                f"boundaries must be > warmup_steps={self.warmup_steps}, got "
                f"boundaries={list(marks)!r}"
            )
        self.boundaries = marks
        if values is not None:
            self._settle(values=levels[1:])
        else:
            self._settle(factors=checked)

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        start, marks = p["start_lr"], s.boundaries
        if s.given("factors") is not None:  # each level from the one before
            factors = [s.given("factors", j) for j in range(len(marks))]
            levels = cls._levels_of(start, factors)
        else:  # levels given as values (which stay as given)
            levels = [start, *(s.given("values", j) for j in range(len(marks)))]
        out = cls._base_values(p, s, levels[-1])
        out["levels"] = tuple(levels)
        # each level is a plateau of BaseLR: its edges are compared exactly
        # (integer steps as integers, floating steps against rounded-up edges)
        w = s.warmup_steps
        ends: tuple[Any, ...] = (*marks[1:], None) if marks else ()
        out["_plateaus"] = tuple(
            (b - w, None if e is None else e - w, v)
            for b, e, v in zip(marks, ends, levels[1:], strict=True)
        )
        return out

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        """Up to four boundaries past the warmup, with factors or values."""
        n = max(config["num_steps"], 2)
        config["num_steps"] = n
        low = config.get("warmup_steps", 0) + 1
        marks = sorted(draw(st.sets(st.integers(low, max(low, n)), max_size=4)))
        out: dict[str, Any] = {"boundaries": marks}
        if draw(st.booleans()):
            out["factors"] = [draw(st.floats(0.01, 1.0)) for _ in marks]
        else:
            top = config["start_lr"]
            levels = (draw(st.floats(0.0, 1.0)) * top for _ in marks)
            out["values"] = sorted(levels, reverse=True)
        return out

    @staticmethod
    def _levels_of(start_lr: Any, factors: Sequence[Any]) -> list[Any]:
        """The levels of ``factors``: ``start_lr``, then each level the one
        before times its factor (Python floats, or arrays for a population's
        parameters, see ``BaseLR._warmup_line``)."""
        levels = [start_lr]
        for factor in factors:
            levels.append(levels[-1] * factor)
        return levels

    @property
    def scale(self) -> float:
        return max(max(self.levels), self.warmup_start_lr)

    def phases(self) -> list[tuple[int, str]]:
        extra = [
            (b, f"step to {v:.6g}")
            for b, v in zip(self.boundaries, self.levels[1:], strict=True)
        ]
        return sorted(set(super().phases() + extra))

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        # start_lr before the first boundary; the levels are plateaus (BaseLR)
        return xp.full_like(step, self.start_lr)
