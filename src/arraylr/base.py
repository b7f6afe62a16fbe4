r"""``BaseLR``: shared parameters, warmup, the schedule registry and evaluation.

A schedule is a :class:`BaseLR` subclass that implements its decay rule once, in
``_decay_value(step, xp)``, with array-API operations of the namespace ``xp``.
:class:`BaseLR` supplies what is common to every schedule:

* parameter checks with errors naming the parameter and its value;
* the linear warmup

  .. math::

      \eta(t) = \eta_w + (\eta_0 - \eta_w)\,\frac{t}{W}, \qquad 0 \le t < W,

  followed by the decay rule at :math:`d = t - W`;
* evaluation on Python scalars (a fast route that returns ``float``) and on arrays
  of any array-API library (same namespace, device and shape as the step);
* the registry behind ``BaseLR(type="name", ...)`` and ``@BaseLR.register``;
* ``to_dict()``, equality, hashing and a readable ``repr``.
"""

from __future__ import annotations

import inspect
import math
import numbers
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import numpy as np

from ._backend import SCALAR, Array, Namespace, evaluate
from ._validation import check_float, check_int, suggest

__all__ = ["BaseLR"]

_S = TypeVar("_S", bound="type[BaseLR]")

_REGISTRY: dict[str, type[BaseLR]] = {}


def _plain(value: Any) -> Any:
    """``value`` as a plain JSON-serialisable Python object."""
    if isinstance(value, BaseLR):
        return value.to_dict()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _hashable(value: Any) -> Any:
    """A hashable image of a ``to_dict`` value."""
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


class _ScheduleMeta(ABCMeta):
    """Metaclass that turns ``BaseLR(type=..., **config)`` into the right schedule.

    It also drops ``_``-prefixed keyword arguments (config comments), rejects
    unknown keywords with a did-you-mean, and records the parameters each
    schedule was built with (for ``to_dict``, ``==``, ``hash`` and ``repr``).
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs = {k: v for k, v in kwargs.items() if not k.startswith("_")}
        target: type[BaseLR] = cls  # type: ignore[assignment]
        if "type" in kwargs:
            target = cls._lookup(kwargs.pop("type"))  # type: ignore[attr-defined]
            if not issubclass(target, cls):
                raise TypeError(
                    f"type={target.type_name!r} is {target.__name__}, which is not "
                    f"a {cls.__name__}"
                )
        elif inspect.isabstract(cls):
            raise TypeError(
                f"{cls.__name__} is abstract: pass type=, one of "
                f"{', '.join(map(repr, sorted(_REGISTRY)))}"
            )
        signature = target._init_signature()
        valid = target._parameter_names()
        for key in kwargs:
            if key not in valid:
                raise TypeError(
                    f"{target.__name__} got an unexpected keyword argument "
                    f"{key!r}{suggest(key, valid)} (valid: {', '.join(valid)}; "
                    "keys starting with '_' are ignored as comments)"
                )
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{target.__name__}: {exc}") from None
        bound.apply_defaults()
        obj = type.__call__(target, *bound.args, **bound.kwargs)
        recorded: dict[str, Any] = {}
        for name, val in bound.arguments.items():
            kind = signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                recorded.update(val)
            elif kind is not inspect.Parameter.VAR_POSITIONAL:
                recorded[name] = val
        object.__setattr__(obj, "_params", recorded)
        object.__setattr__(obj, "_frozen", True)
        return obj


class BaseLR(metaclass=_ScheduleMeta):
    r"""Base class of every learning-rate schedule :math:`\eta(t)`.

    ``BaseLR(type="exp", ...)`` builds the schedule registered under that name
    (``exp``, ``cosine``, ``wsd`` and any registered with :meth:`register`).

    Parameters
    ----------
    start_lr : float
        :math:`\eta_0`, the learning rate at the end of warmup (finite, > 0).
    num_steps : int
        Total number of training steps, warmup included (>= 0).
    stop_lr : float, optional
        :math:`\eta_{end}`, the learning rate at the end of training (>= 0).
        Exactly one of ``stop_lr`` and ``stop_lr_ratio`` must be given.
    stop_lr_ratio : float, optional
        ``stop_lr = start_lr * stop_lr_ratio``.
    warmup_steps : int, optional
        :math:`W`, the number of linear warmup steps (default 0, no warmup).
        ``warmup_steps < num_steps`` when ``num_steps > 0``.
    warmup_ratio : float, optional
        ``warmup_steps = int(warmup_ratio * num_steps)`` (truncated). Exclusive
        with a non-zero ``warmup_steps``.
    warmup_start_factor : float, optional
        ``warmup_start_lr = warmup_start_factor * start_lr`` (default 0.0).

    Notes
    -----
    With :math:`T = \mathrm{num\_steps} - W` decay steps and :math:`\eta_w` the
    warmup start,

    .. math::

        \eta(t) = \begin{cases}
            \eta_w + (\eta_0 - \eta_w)\, t / W & 0 \le t < W \\
            \mathrm{decay}(t - W) & t \ge W
        \end{cases}

    Steps below 0 count as step 0; a NaN step gives NaN.  A Python ``int`` or
    ``float`` step returns a ``float`` computed in float64; an array step returns
    an array of the same namespace, device and shape (see :meth:`value`).

    Subclasses implement ``_decay_value(step, xp)``: the decay rule at the
    decay-phase step ``step >= 0``, written with the operations of ``xp`` (an
    array-API namespace, or arraylr's scalar namespace for Python numbers).
    They must not branch in Python on the step's values.  A rule that is constant
    on some intervals (before a decay starts, after it ends) can list them in
    ``_plateaus`` instead of selecting them itself.
    """

    type_name: ClassVar[str | None] = None
    """The name this class is registered under (``None`` if not registered)."""

    _propagates_nan: ClassVar[bool] = False
    """True when ``_decay_value`` already gives NaN for a NaN step."""

    _plateaus: tuple[tuple[int, int | None, float], ...] = ()
    """``(start, end, rate)``: decay-phase steps ``start <= d < end`` (``end``
    ``None``: no end) where the rate is the constant ``rate``.  Optional; BaseLR
    selects them over the formula (arrays) or returns them at once (scalars)."""

    _derived: ClassVar[tuple[str, ...]] = (
        "start_lr",
        "stop_lr",
        "num_steps",
        "warmup_steps",
        "warmup_start_lr",
        "decay_num_steps",
    )

    _params: dict[str, Any]
    _frozen: bool = False
    _signature: ClassVar[inspect.Signature | None] = None

    start_lr: float
    stop_lr: float
    num_steps: int
    warmup_steps: int
    warmup_start_factor: float
    warmup_start_lr: float
    decay_num_steps: int

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
        start_lr = check_float("start_lr", start_lr, positive=True)
        num_steps = check_int("num_steps", num_steps, minimum=0)
        if (stop_lr is None) == (stop_lr_ratio is None):
            raise ValueError(
                "exactly one of stop_lr and stop_lr_ratio must be given, got "
                f"stop_lr={stop_lr!r}, stop_lr_ratio={stop_lr_ratio!r}"
            )
        if stop_lr_ratio is not None:
            ratio = check_float("stop_lr_ratio", stop_lr_ratio, nonnegative=True)
            stop = start_lr * ratio
        else:
            stop = check_float("stop_lr", stop_lr, nonnegative=True)
        warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
        source = f"warmup_steps={warmup_steps}"
        if warmup_ratio is not None:
            if warmup_steps != 0:
                raise ValueError(
                    "warmup_steps and warmup_ratio are mutually exclusive, got "
                    f"warmup_steps={warmup_steps!r}, warmup_ratio={warmup_ratio!r}"
                )
            ratio = check_float("warmup_ratio", warmup_ratio, nonnegative=True)
            warmup_steps = int(ratio * num_steps)
            source = f"warmup_steps={warmup_steps} (from warmup_ratio={ratio!r})"
        if num_steps > 0 and warmup_steps >= num_steps:
            raise ValueError(
                f"warmup_steps must be < num_steps, got {source} with "
                f"num_steps={num_steps}"
            )
        if num_steps == 0 and warmup_steps != 0:
            raise ValueError(
                f"warmup_steps must be 0 when num_steps is 0, got {source}"
            )
        factor = check_float(
            "warmup_start_factor", warmup_start_factor, nonnegative=True
        )

        self.start_lr = start_lr
        self.stop_lr = stop
        self.num_steps = num_steps
        self.warmup_steps = warmup_steps
        self.warmup_start_factor = factor
        self.warmup_start_lr = factor * start_lr
        self.decay_num_steps = num_steps - warmup_steps
        self._warmup_rise = start_lr - self.warmup_start_lr

    # ------------------------------------------------------------------ formulas

    @abstractmethod
    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        """The decay rule at decay-phase step ``step`` (>= 0, floating or NaN).

        ``step`` is a floating array of the compute dtype, or a Python number when
        ``xp`` is the scalar namespace.  Use ``xp`` functions and operators only.
        """

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        """The decay rule for an integer step array; ``dtype`` is the compute dtype.

        Override where a rule needs the exact integer (a staircase); the default
        casts to ``dtype`` and calls :meth:`_decay_value`.
        """
        return self._decay_value(xp.astype(step, dtype), xp)

    def _warmup_value(self, step: Any) -> Any:
        """The warmup line at step ``step`` (used for ``0 <= step < W``)."""
        return self.warmup_start_lr + self._warmup_rise * (step / self.warmup_steps)

    def phases(self) -> list[tuple[int, str]]:
        """The steps where the schedule changes phase, with a label each, sorted.

        Used by ``arraylr show``/``plot`` and by :mod:`arraylr.testing` to visit
        every phase; schedules with phases of their own extend it.
        """
        marks = []
        if self.warmup_steps > 0:
            marks.append((self.warmup_steps, "end of warmup"))
        marks.append((self.num_steps, "end"))
        return sorted(set(marks))

    @property
    def scale(self) -> float:
        """``S``, the scale of the SPEC agreement bounds: the largest rate the
        schedule's parameters name (``max(start_lr, warmup_start_lr)`` here)."""
        return max(self.start_lr, self.warmup_start_lr)

    # ---------------------------------------------------------------- evaluation

    def value(self, step: Any, dtype: object = None) -> Any:
        """The learning rate at step ``step``.

        Parameters
        ----------
        step : int, float or array
            The training step(s), counted from the start of training. A Python
            ``int``/``float`` returns a Python ``float`` (float64). An array of any
            array-API library (NumPy, PyTorch on any device, JAX, CuPy, Dask,
            array-api-strict, ...) returns an array of that library, device and
            shape; NumPy scalars count as arrays and lists/tuples are converted
            with NumPy.
        dtype : dtype, optional
            Result dtype (a real floating dtype of the step's namespace). By
            default a floating step keeps its dtype and an integer or bool step
            gives float64 where the namespace has it, else its default real
            floating dtype. Half-precision results are computed in float32.

        Returns
        -------
        float or array
        """
        tp = type(step)
        if (tp is int or tp is float) and dtype is None:
            # The scalar route: the same formula on Python floats (SCALAR is the
            # math module's functions), the common case (t >= W) tested first.
            warmup = self.warmup_steps
            if step >= warmup:
                d = step - warmup
            elif step != step:  # NaN
                return math.nan
            elif step > 0 or warmup:  # warmup; steps below 0 count as step 0
                return float(self._warmup_value(step if step > 0 else 0))
            else:
                d = 0
            for start, end, level in self._plateaus:
                if d >= start and (end is None or d < end):
                    return level
            return float(self._decay_value(d, SCALAR))
        if (
            dtype is None
            and isinstance(step, (int, float))
            and not isinstance(step, np.generic)
        ):  # bool and other int/float subclasses
            return self.value(float(step) if isinstance(step, float) else int(step))
        return evaluate(self, step, dtype)

    __call__ = value

    # ------------------------------------------------------------------ registry

    @classmethod
    def register(cls, name: str) -> Callable[[_S], _S]:
        """Class decorator registering a schedule under ``type`` name ``name``.

        Examples
        --------
        >>> from arraylr import BaseLR
        >>> @BaseLR.register("halving")
        ... class Halving(BaseLR):
        ...     '''Halve the learning rate every ``period`` steps.'''
        ...     _propagates_nan = True
        ...     def __init__(self, start_lr, num_steps, stop_lr=0.0, period=100, **kw):
        ...         super().__init__(start_lr, num_steps, stop_lr=stop_lr, **kw)
        ...         self.period = period
        ...     def _decay_value(self, step, xp):
        ...         return self.start_lr * 0.5 ** xp.floor_divide(step, self.period)
        >>> BaseLR(type="halving", start_lr=1.0, num_steps=1000, period=10)(25)
        0.25
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got name={name!r}")

        def decorator(schedule: _S) -> _S:
            if not (isinstance(schedule, type) and issubclass(schedule, BaseLR)):
                raise TypeError(
                    f"@BaseLR.register({name!r}) decorates BaseLR subclasses, "
                    f"got {schedule!r}"
                )
            old = _REGISTRY.get(name)
            if old is not None and (old.__module__, old.__qualname__) != (
                schedule.__module__,
                schedule.__qualname__,
            ):
                raise ValueError(
                    f"type {name!r} is already registered to "
                    f"{old.__module__}.{old.__qualname__}"
                )
            schedule.type_name = name
            _REGISTRY[name] = schedule
            return schedule

        return decorator

    @staticmethod
    def registered_types() -> dict[str, type[BaseLR]]:
        """A copy of the registry: ``type`` name -> schedule class."""
        return dict(_REGISTRY)

    @staticmethod
    def _lookup(name: Any) -> type[BaseLR]:
        if not isinstance(name, str) or name not in _REGISTRY:
            hint = suggest(name, _REGISTRY) if isinstance(name, str) else ""
            raise ValueError(
                f"unknown schedule type={name!r}{hint} (known types: "
                f"{', '.join(map(repr, sorted(_REGISTRY)))})"
            )
        return _REGISTRY[name]

    @classmethod
    def _init_signature(cls) -> inspect.Signature:
        sig = cls.__dict__.get("_signature")
        if sig is None:
            full = inspect.signature(cls.__init__)
            sig = full.replace(parameters=list(full.parameters.values())[1:])
            cls._signature = sig
        return sig

    @classmethod
    def _parameter_names(cls) -> list[str]:
        """Keyword names accepted by ``cls``: its ``__init__``'s, and where that
        takes ``**kwargs``, those of the ``__init__`` methods it passes them on to.
        """
        names: list[str] = []
        for klass in cls.__mro__:
            if not (isinstance(klass, type) and issubclass(klass, BaseLR)):
                continue
            params = klass._init_signature().parameters.values()
            for p in params:
                named = p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                if named and p.name not in names:
                    names.append(p.name)
            if not any(p.kind is p.VAR_KEYWORD for p in params):
                break
        return names

    # ----------------------------------------------------------- introspection

    def to_dict(self) -> dict[str, Any]:
        """The schedule as a plain JSON-serialisable dict; ``BaseLR(**d)`` rebuilds it.

        Parameters that were left as ``None`` are omitted.
        """
        name = type(self).__dict__.get("type_name")
        if name is None:
            raise TypeError(
                f"{type(self).__name__} is not registered: decorate it with "
                '@BaseLR.register("name") to give it a type for to_dict()'
            )
        out: dict[str, Any] = {"type": name}
        for key, val in self._params.items():
            if val is not None:
                out[key] = _plain(val)
        return out

    def describe(self) -> dict[str, Any]:
        """Every resolved parameter and derived value, by name (for display)."""
        names: list[str] = []
        for klass in reversed(type(self).__mro__):
            for name in klass.__dict__.get("_derived", ()):
                if name not in names:
                    names.append(name)
        return {name: _plain(getattr(self, name)) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(
            f"{k}={_plain(v)!r}" for k, v in self._params.items() if v is not None
        )
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, BaseLR)
        return bool(_hashable(_plain(self._params)) == _hashable(_plain(other._params)))

    def __hash__(self) -> int:
        return hash((type(self), _hashable(_plain(self._params))))

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen:  # a class default until construction ends; reading
            # __dict__ here would materialise it and slow every attribute read
            raise AttributeError(
                f"{type(self).__name__} is immutable: build a new schedule instead "
                f"of setting {name!r}"
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._params))


def _rebuild(cls: type[BaseLR], params: dict[str, Any]) -> BaseLR:
    return cls(**params)
