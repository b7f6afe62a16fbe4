r"""Composition: child schedules one after another, ``type="sequence"``; child
schedules' factors multiplied, ``type="product"``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._exact import FLOAT32_MAX, ceil_float, exceeds_dtype, float_bits, split_float
from ._roles import shipped
from ._scalar import SCALAR, Array, Namespace
from ._validation import check_boundaries, check_float, check_int
from .base import BaseLR

__all__ = ["LearningRateProduct", "LearningRateSequence"]


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
    ...     {"type": "cosine", "start_lr": 0.001, "stop_lr": 0.0,
    ...      "num_steps": 900}])
    >>> lr.num_steps, lr(50), lr(100), lr(550)
    (1000, 0.00055, 0.001, 0.0005)
    """

    _propagates_nan = True
    _derived = ("boundaries",)
    _example = {
        "boundaries": [2000],
        "schedules": [
            {"type": "linear", "start_lr": 0.1, "stop_lr": 1.0},
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.05, "num_steps": 8000},
        ],
    }
    _draws = frozenset({"schedules", "boundaries", "num_steps"})

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

    def _derivation_refusal(self) -> str | None:
        return _childrens(self)

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        """One to three children end to end, each over its own steps."""
        kinds = _child_kinds()
        count = draw(st.integers(1, 3))
        lengths = [draw(st.integers(1, 2000)) for _ in range(count)]
        children = []
        for kind, length in zip(
            draw(st.lists(st.sampled_from(kinds), min_size=count, max_size=count)),
            lengths,
            strict=True,
        ):
            child = draw(configs(kind, max_steps=length))
            child["num_steps"] = length
            child.pop("warmup_steps", None)
            child.pop("warmup_ratio", None)
            children.append(child)
        bounds = [sum(lengths[: i + 1]) for i in range(count - 1)]
        return {"schedules": children, "boundaries": bounds, "num_steps": sum(lengths)}

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        lr = _child_value(self.children[0], step, dtype)
        for boundary, child in zip(self.boundaries, self.children[1:], strict=True):
            if exceeds_dtype(xp, step, boundary):  # no step reaches the child
                break
            lr = xp.where(
                step < boundary, lr, _child_value(child, step - boundary, dtype)
            )
        return lr


def _child_kinds() -> list[str]:
    """The types the strategies draw children of: every registered type of the
    package but the composites."""
    return sorted(
        name
        for name, cls in BaseLR.registered_types().items()
        if shipped(cls)
        and not issubclass(cls, (LearningRateSequence, LearningRateProduct))
    )


def _childrens(schedule: BaseLR) -> str:
    return (
        f"{type(schedule).__name__} (type={schedule.type_name!r}): its parameters "
        "are its children's"
    )


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


@BaseLR.register("product")
class LearningRateProduct(BaseLR):
    r"""Multiply child schedules' factors: torch's ``ChainedScheduler``.

    The *factor* of a child schedule :math:`\eta^{(i)}` is its rate over its own
    ``start_lr``, :math:`f_i(t) = \eta^{(i)}(t) / \eta^{(i)}_0`.  With children
    :math:`\eta^{(1)}, \dots, \eta^{(k)}`,

    .. math::

        \eta(t) = \eta_0 \prod_{i=1}^{k} \frac{\eta^{(i)}(t)}{\eta^{(i)}_0},

    every child evaluated at the same step :math:`t`.  This is what torch does
    when several schedulers step one optimizer, or when ``ChainedScheduler``
    chains them: each multiplies the rate by its own factor, from the same
    ``base_lr``.  Build each child with ``start_lr=base_lr`` (or with
    ``start_lr=1`` as a bare factor) and the product's rate is torch's.
    Children keep their own lengths: past its ``num_steps`` a child holds its
    final rate.

    Parameters
    ----------
    schedules : sequence of dict or BaseLR
        The children: schedules, or config dicts (``type`` defaults to ``exp``;
        a missing ``num_steps`` is the product's).
    start_lr : float, optional
        :math:`\eta_0`, the rate the factors multiply (default: the first
        child's ``start_lr``).
    num_steps : int, optional
        The length of training (default: the longest child's ``num_steps``).

    Attributes
    ----------
    children : tuple of BaseLR
        The built child schedules.

    Notes
    -----
    ``stop_lr`` and the rate past the end are :math:`\eta_0` times the
    children's final factors; the scale of the agreement bounds (:attr:`scale`)
    is :math:`\eta_0 \prod_i S_i / \eta^{(i)}_0`, the product of the
    children's largest factors, a bound of every rate.

    Examples
    --------
    >>> from arraylr import BaseLR
    >>> lr = BaseLR(type="product", start_lr=0.5, num_steps=100, schedules=[
    ...     {"type": "linear", "start_lr": 1.0, "stop_lr": 0.5},
    ...     {"type": "piecewise", "start_lr": 1.0, "boundaries": [50],
    ...      "factors": [0.5]}])
    >>> lr(0), lr(50), lr(100)
    (0.5, 0.1875, 0.125)
    """

    _propagates_nan = True
    _derived = ("factor_of_children",)
    _example = {
        "num_steps": 10_000,
        "schedules": [
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "warmup_steps": 500},
            {"type": "piecewise", "start_lr": 1.0, "boundaries": [4000, 7000],
             "factors": [0.5, 0.5]},
        ],
    }  # fmt: skip
    _draws = frozenset({"schedules"})

    children: tuple[BaseLR, ...]
    factor_of_children: float

    def __init__(
        self,
        schedules: Sequence[Mapping[str, Any] | BaseLR],
        start_lr: float | None = None,
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
        if num_steps is not None:
            num_steps = check_int("num_steps", num_steps, minimum=0)
        children = [
            LearningRateSequence._build_child(i, child, 0, num_steps)
            for i, child in enumerate(schedules)
        ]
        if num_steps is None:
            num_steps = max(child.num_steps for child in children)
        base = (
            children[0].start_lr
            if start_lr is None
            else check_float("start_lr", start_lr, positive=True)
        )
        final = base
        for child in children:
            final *= child.final_lr / child.start_lr
        super().__init__(base, num_steps, stop_lr=final)
        self.children = tuple(children)
        factor = 1.0
        for child in children:
            factor *= child.scale / child.start_lr
        self.factor_of_children = factor
        if not base * factor <= FLOAT32_MAX:
            raise ValueError(
                f"product: start_lr={base!r} times the children's largest factors "
                f"({factor!r}) exceeds {FLOAT32_MAX:.4g}, the largest float32"
            )

    def _derivation_refusal(self) -> str | None:
        return _childrens(self)

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        """One to three children of the product's length or shorter (a shorter
        one holds its final rate), some as bare factors (``start_lr=1``)."""
        kinds = _child_kinds()
        count = draw(st.integers(1, 3))
        children = []
        for kind in draw(
            st.lists(st.sampled_from(kinds), min_size=count, max_size=count)
        ):
            length = draw(st.integers(1, max(1, config["num_steps"])))
            child = draw(configs(kind, max_steps=length))
            child["num_steps"] = min(child["num_steps"], length)
            if child.get("warmup_steps", 0) >= max(child["num_steps"], 1):
                child.pop("warmup_steps")
            children.append(child)
        return {"schedules": children}

    def phases(self) -> list[tuple[int, str]]:
        marks = set(super().phases())
        for i, child in enumerate(self.children):
            for step, label in child.phases():
                if 0 < step < self.num_steps:
                    marks.add((step, f"schedule {i}: {label}"))
        return sorted(marks)

    @property
    def scale(self) -> float:
        return self.start_lr * self.factor_of_children

    @property
    def final_lr(self) -> float:
        return self.stop_lr

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        lr: Any = self.start_lr
        for child in self.children:
            lr = lr * (_child_value(child, step) / child.start_lr)
        return lr

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        lr: Any = self.start_lr
        for child in self.children:  # integer steps: the children's exact edges
            lr = lr * (_child_value(child, step, dtype) / child.start_lr)
        return lr
