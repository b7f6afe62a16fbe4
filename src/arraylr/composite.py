r"""Composition: child schedules one after another, ``type="sequence"``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._exact import ceil_float, exceeds_dtype, float_bits, split_float
from ._scalar import SCALAR, Array, Namespace
from ._validation import check_boundaries, check_int
from .base import BaseLR

__all__ = ["LearningRateSequence"]


def _needs_num_steps(name: Any) -> bool:
    """Whether schedule type ``name`` needs num_steps (a nested sequence works out
    its own length, so its config round-trips without one)."""
    try:
        cls = BaseLR._lookup(name)
    except ValueError:
        return True  # building the child reports the unknown type
    parameter = cls._init_signature().parameters.get("num_steps")
    return parameter is None or parameter.default is parameter.empty


@BaseLR.register("sequence")
class LearningRateSequence(BaseLR):
    r"""Run child schedules one after another, switching at given steps.

    With boundaries :math:`b_1 < \dots < b_k` and children
    :math:`\eta^{(0)}, \dots, \eta^{(k)}`,

    .. math::

        \eta(t) = \eta^{(j)}(t - b_j), \qquad b_j \le t < b_{j+1}
        \quad (b_0 = 0),

    so every child counts its own steps from 0, as ``optax.join_schedules`` and
    ``torch.optim.lr_scheduler.SequentialLR`` do.

    Parameters
    ----------
    schedules : sequence of dict or BaseLR
        The children: schedules, or config dicts (``type`` defaults to ``exp``;
        a missing ``num_steps`` is the length of the child's segment).
    boundaries : sequence of int
        ``len(schedules) - 1`` strictly increasing steps > 0.
    num_steps : int, optional
        The total length; default: the last boundary plus the last child's
        ``num_steps``.

    Attributes
    ----------
    children : tuple of BaseLR
        The built child schedules.

    Notes
    -----
    ``start_lr`` is the first child's and ``stop_lr`` the last child's; the scale
    of the agreement bounds (:attr:`scale`) is the largest of the children's.

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="sequence", boundaries=[100], schedules=[
    ...     {"type": "linear", "start_lr": 0.0001, "stop_lr": 0.001},
    ...     {"type": "cosine", "start_lr": 0.001, "stop_lr": 0.0, "num_steps": 900}])
    >>> lr.num_steps, lr(50), lr(100), lr(550)
    (1000, 0.00055, 0.001, 0.0005)
    """

    _propagates_nan = True
    _derived = ("boundaries",)

    children: tuple[BaseLR, ...]
    boundaries: tuple[int, ...]

    def __init__(
        self,
        schedules: Sequence[Mapping[str, Any] | BaseLR],
        boundaries: Sequence[int],
        num_steps: int | None = None,
    ) -> None:
        if isinstance(schedules, (str, bytes, Mapping)) or not isinstance(
            schedules, Sequence
        ):
            raise TypeError(
                f"schedules must be a list of schedules, got {schedules=!r}"
            )
        if not schedules:
            raise ValueError("schedules must hold at least one schedule, got []")
        marks = check_boundaries("boundaries", boundaries)
        if len(marks) != len(schedules) - 1:
            raise ValueError(
                f"boundaries needs len(schedules) - 1 = {len(schedules) - 1} entries, "
                f"got boundaries={list(marks)!r}"
            )
        if num_steps is not None:
            num_steps = check_int("num_steps", num_steps, minimum=1)
            if marks and marks[-1] >= num_steps:
                raise ValueError(
                    f"boundaries must be < num_steps={num_steps}, got "
                    f"boundaries={list(marks)!r}"
                )
        starts = (0, *marks)
        ends = (*marks, num_steps)
        children = []
        for i, child in enumerate(schedules):
            children.append(self._build_child(i, child, starts[i], ends[i]))
        if num_steps is None:
            num_steps = starts[-1] + children[-1].num_steps
        super().__init__(children[0].start_lr, num_steps, stop_lr=children[-1].stop_lr)
        self.children = tuple(children)
        self.boundaries = marks

    @staticmethod
    def _build_child(
        i: int, child: Mapping[str, Any] | BaseLR, start: int, end: int | None
    ) -> BaseLR:
        if isinstance(child, BaseLR):
            return child
        if not isinstance(child, Mapping):
            raise TypeError(
                f"schedules[{i}] must be a schedule or a config dict, got {child!r}"
            )
        config = {"type": "exp", **child}
        if "num_steps" not in config and _needs_num_steps(config["type"]):
            if end is None:
                raise ValueError(
                    f"schedules[{i}] needs num_steps (or give the sequence num_steps)"
                )
            config["num_steps"] = end - start
        try:
            schedule: BaseLR = BaseLR(**config)  # type: ignore[abstract]
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"schedules[{i}]: {exc}") from None
        return schedule

    def phases(self) -> list[tuple[int, str]]:
        marks = set(super().phases())
        starts = (0, *self.boundaries)
        for i, (start, child) in enumerate(zip(starts, self.children, strict=True)):
            if i:
                marks.add((start, f"schedule {i}"))
            for step, label in child.phases():
                if step != child.num_steps:
                    marks.add((start + step, f"schedule {i}: {label}"))
        return sorted(marks)

    @property
    def scale(self) -> float:
        return max(child.scale for child in self.children)

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        lr = _child_value(self.children[0], step)
        if xp is SCALAR:  # a Python int or float compares with an int exactly
            for boundary, child in zip(self.boundaries, self.children[1:], strict=True):
                lr = lr if step < boundary else _child_value(child, step - boundary)
            return lr
        bits = float_bits(xp, step.dtype)
        for boundary, child in zip(self.boundaries, self.children[1:], strict=True):
            # the edge rounded up to the dtype (no step on the wrong side of an
            # edge the dtype cannot hold), the child's step with one rounding
            hi, lo = split_float(boundary, bits)
            inside = step - hi
            if lo:
                inside = inside - lo
            edge = ceil_float(boundary, bits)
            lr = xp.where(step < edge, lr, _child_value(child, inside))
        return lr

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        lr = _child_value(self.children[0], step, dtype)
        for boundary, child in zip(self.boundaries, self.children[1:], strict=True):
            if exceeds_dtype(xp, step, boundary):  # no step reaches the child
                break
            lr = xp.where(
                step < boundary, lr, _child_value(child, step - boundary, dtype)
            )
        return lr


def _child_value(child: BaseLR, step: Any, dtype: object = None) -> Any:
    """A child's rates at ``step`` inside the sequence's own expression.

    A Python number takes the child's scalar route, as the sequence's did.  An
    array is evaluated as one expression of its namespace (``inner=True``), never
    by :meth:`BaseLR.value`'s shortcuts or the NumPy route of small PyTorch
    tensors (a NumPy array of one step is evaluated as a Python scalar there):
    the child's rates are then those of the expression the sequence is in,
    whatever size of block the backend layer hands it.  A child whose class
    overrides ``value`` is called through it.
    """
    if (
        type(step) is int
        or type(step) is float
        or type(child).value is not BaseLR.value
    ):
        return child.value(step) if dtype is None else child.value(step, dtype=dtype)
    return child._evaluate(step, dtype, inner=True)
