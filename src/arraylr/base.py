r"""``BaseLR``: the schedule contract (shared parameters, warmup, phases, evaluation).

A schedule is a :class:`BaseLR` subclass that implements its decay rule once, in
``_decay_value(step, xp)``, with array-API operations of the namespace ``xp``.
:class:`BaseLR` supplies what is common to every schedule:

* the shared parameters, checked with errors naming the parameter and its value;
* the linear warmup

  .. math::

      \eta(t) = \eta_w + (\eta_0 - \eta_w)\,\frac{t}{W}, \qquad 0 \le t < W,

  followed by the decay rule at :math:`d = t - W`;
* evaluation on Python scalars (a fast route that returns ``float``) and on arrays
  of any array-API library (same namespace, device and shape as the step);
* the phases of a schedule, its scale and its rate past the end.

The registry behind ``BaseLR(type="name", ...)`` and ``@BaseLR.register``,
``to_dict()``, equality, hashing, pickling and ``repr`` come from
:class:`~arraylr._parameters.Parameters`; namespaces, dtypes and the routes of
array steps from :mod:`arraylr._backend`, which hands this module prepared arrays
and never calls a schedule; composing the phases over those arrays from
:mod:`arraylr._phases`; what a type declares about itself, with BaseLR's
defaults, from :class:`arraylr._roles.Declared`.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from abc import abstractmethod
from typing import Any, ClassVar, Literal, get_args

import numpy as np

from . import _backend
from ._backend import BLOCKS, HOST, NUMPY_SCALARS, Plan
from ._exact import FLOAT32_MAX, FLOAT32_TINY, FLUSH_SCALE, as_float
from ._parameters import Parameters
from ._phases import check_rate, compose, cycle_position
from ._roles import Declared
from ._scalar import SCALAR, Array, Namespace, zero_safe
from ._validation import check_choice, check_float, check_int, check_ratio

__all__ = ["WARMUP_TYPES", "BaseLR", "WarmupType", "check_rate", "cycle_position"]

WarmupType = Literal["linear", "cosine", "1-sqrt"]
WARMUP_TYPES: tuple[str, ...] = get_args(WarmupType)

_HUGE = sys.float_info.max
"""Scalar steps above this (``+inf``, or Python ints no float holds) give
:attr:`BaseLR.final_lr`."""


_NO_STEP: Any = object()
"""The default of ``value``'s step: a call without one (Keras calls a plain
callable learning rate so) gets a message saying what to do."""


def _is_numpy_scalar(step: Any) -> bool:
    """True for NumPy scalars (longdouble among them: a ``numbers.Real`` that
    takes the array route, its precision kept)."""
    return isinstance(step, np.generic)


class BaseLR(Parameters, Declared):
    r"""Base class of every learning-rate schedule :math:`\eta(t)`.

    ``BaseLR(type="exp", ...)`` builds the schedule registered under that name
    (``exp``, ``cosine``, ``wsd`` and any registered with :meth:`register`);
    without ``type``, an ``exp`` schedule (the default of a config, as in
    DeePMD-kit).

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
    warmup_type : {"linear", "cosine", "1-sqrt"}, optional
        The shape :math:`f` of the warmup (default ``None``, which is
        ``"linear"``), with transformers' ``get_wsd_schedule`` formulas.

    Notes
    -----
    With :math:`T = \mathrm{num\_steps} - W` decay steps and :math:`\eta_w` the
    warmup start,

    .. math::

        \eta(t) = \begin{cases}
            \eta_w + (\eta_0 - \eta_w)\, f(t / W) & 0 \le t < W \\
            \mathrm{decay}(t - W) & t \ge W
        \end{cases}

    where :math:`f(p) = p` (``linear``), :math:`\tfrac{1}{2}(1 - \cos \pi p)`
    (``cosine``) or :math:`1 - \sqrt{1 - p}` (``1-sqrt``).

    Steps below 0 count as step 0; a NaN step gives NaN.  A Python ``int`` or
    ``float`` step returns a ``float`` computed in float64; an array step returns
    an array of the same namespace, device and shape (see :meth:`value`).

    Subclasses implement ``_decay_value(step, xp)``: the decay rule at the
    decay-phase step ``step >= 0``, written with the operations of ``xp`` (an
    array-API namespace, or arraylr's scalar namespace for Python numbers).
    They must not branch in Python on the step's values.  A rule that is constant
    on some intervals (before a decay starts, after it ends) can list them in
    ``_plateaus`` instead of selecting them itself.  What else a type knows
    (an example config, its parameters' roles in a population, the one
    derivation of the values its formula reads) it declares on its class, with
    the defaults of :class:`arraylr._roles.Declared` (ARCHITECTURE.md).
    """

    _default_type = "exp"  # BaseLR(...) without type=, as DeePMD-kit's configs

    _tiny_scale: bool = False
    """Whether the scale is below :data:`FLUSH_SCALE` (set after ``__init__``)."""

    _propagates_nan: ClassVar[bool] = False
    """True when ``_decay_value`` already gives NaN for a NaN step."""

    _absolute_steps: ClassVar[bool] = False
    """True for a rule that takes floating steps after a warmup as absolute
    steps, in ``_decay_value_absolute(t, xp)`` (``t - W`` rounds past 2**24 in
    float32, which moves a periodic rule by a whole cycle)."""

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
        "warmup_type",
        "decay_num_steps",
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # ``__call__`` is ``value`` itself (one call less on the scalar route); a
        # subclass that overrides ``value`` gets its own ``value`` as ``__call__``
        if "value" in cls.__dict__ and "__call__" not in cls.__dict__:
            setattr(cls, "__call__", cls.__dict__["value"])  # noqa: B010

    start_lr: float
    stop_lr: float
    num_steps: int
    warmup_steps: int
    warmup_start_factor: float
    warmup_start_lr: float
    warmup_type: str
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
        warmup_type: WarmupType | None = None,
    ) -> None:
        start_lr = check_float("start_lr", start_lr, positive=True)
        check_rate("start_lr", start_lr, start_lr)
        if start_lr < FLOAT32_TINY:
            raise ValueError(
                f"start_lr must be >= {FLOAT32_TINY:.6g} (the smallest normal float32, "
                f"so that every dtype holds it), got start_lr={start_lr!r}"
            )
        num_steps = check_int("num_steps", num_steps, minimum=0)
        if (stop_lr is None) == (stop_lr_ratio is None):
            raise ValueError(
                "exactly one of stop_lr and stop_lr_ratio must be given, got "
                f"stop_lr={stop_lr!r}, stop_lr_ratio={stop_lr_ratio!r}"
            )
        if stop_lr_ratio is not None:
            ratio = check_float("stop_lr_ratio", stop_lr_ratio, nonnegative=True)
            stop = start_lr * ratio
            check_rate(
                "stop_lr_ratio",
                stop_lr_ratio,
                stop,
                f"with start_lr={start_lr!r} gives stop_lr",
            )
        else:
            stop = check_float("stop_lr", stop_lr, nonnegative=True)
            check_rate("stop_lr", stop_lr, stop)
        warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
        source = f"warmup_steps={warmup_steps}"
        if warmup_ratio is not None:
            if warmup_steps != 0:
                raise ValueError(
                    "warmup_steps and warmup_ratio are mutually exclusive, got "
                    f"warmup_steps={warmup_steps!r}, warmup_ratio={warmup_ratio!r}"
                )
            ratio = check_ratio("warmup_ratio", warmup_ratio)
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
        check_rate(
            "warmup_start_factor",
            warmup_start_factor,
            factor * start_lr,
            f"with start_lr={start_lr!r} gives warmup_start_lr",
        )

        self.start_lr = start_lr
        self.stop_lr = stop
        self.num_steps = num_steps
        self.warmup_steps = warmup_steps
        self.warmup_start_factor = factor
        self.warmup_start_lr, self._warmup_slope = self._warmup_line(
            start_lr, factor, max(warmup_steps, 1)
        )
        # a flag rather than a test of warmup_start_lr in _warmup_value, so that a
        # population (arraylr.population) can hold warmup_start_lr as an array
        self._warmup_from_zero = self.warmup_start_lr == 0
        self.decay_num_steps = num_steps - warmup_steps
        self.warmup_type = (
            "linear"
            if warmup_type is None
            else check_choice("warmup_type", warmup_type, WARMUP_TYPES)
        )

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

    def _decay_value_absolute(self, step: Any, xp: Namespace) -> Any:
        """The decay rule at floating absolute steps ``step >= W`` (used when
        ``_absolute_steps`` is set; the default subtracts the warmup)."""
        # as a float of the steps' dtype (JAX refuses a Python int past int32;
        # a population's edges are arrays)
        return self._decay_value(step - as_float(self.warmup_steps, xp, step), xp)

    def _warmup_value(self, step: Any, xp: Namespace) -> Any:
        """The warmup at step ``step`` (used for ``0 <= step < W``)."""
        if self.warmup_type == "linear":
            rise = step * self._warmup_slope
        else:
            width = as_float(self.warmup_steps, xp, step)
            if self.warmup_type == "cosine":
                shape = 0.5 * (1.0 - xp.cos((xp.pi / width) * step))
            else:
                # "1-sqrt": 1 - sqrt(1 - t/W) with 1 - t/W formed as (W - t) / W,
                # exact for integer steps, as the square root near t = W magnifies
                # its error; steps past W (selected away later) give 1, not NaN,
                # and a finite gradient (zero_safe: no inf * 0 under jax.grad)
                left = xp.maximum(width - step, 0.0) / width
                shape = 1.0 - zero_safe(xp.sqrt, left, xp)
            rise = shape * (self.start_lr - self.warmup_start_lr)
        return rise if self._warmup_from_zero else self.warmup_start_lr + rise

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
        """``S``, the scale of the agreement bounds: the largest rate the
        schedule's parameters name (``max(start_lr, warmup_start_lr, stop_lr)``
        here; ``stop_lr`` counts for schedules that rise)."""
        return max(self.start_lr, self.warmup_start_lr, self.stop_lr)

    @property
    def final_lr(self) -> float:
        """The rate past the end: the value at step ``+inf`` (and at Python
        ``int`` steps too large for a float), the same on every route.
        ``stop_lr`` unless a schedule says otherwise."""
        return self.stop_lr

    def _check_finite(self) -> None:
        """Refuse a config whose derived values overflow, or whose rates do not
        fit float32 (run after ``__init__``)."""
        super()._check_finite()
        if self.scale > FLOAT32_MAX:
            raise ValueError(
                f"{type(self).__name__}: the largest rate of these parameters is "
                f"{self.scale!r} (start_lr={self.start_lr!r}); rates must be at most "
                f"{FLOAT32_MAX:.4g}, the largest float32, so every dtype holds them"
            )
        # decided once (not per call: a traced or population parameter cannot be
        # compared in Python, and the scale costs a few lookups)
        self._tiny_scale = self.scale < FLUSH_SCALE

    # ---------------------------------------------------------------- evaluation

    def value(self, step: Any = _NO_STEP, dtype: object = None) -> Any:
        """The learning rate at step ``step``.

        Parameters
        ----------
        step : int, float or array
            The training step(s), counted from the start of training. A Python
            ``int``/``float`` returns a Python ``float`` (float64). An array of any
            array-API library (NumPy, PyTorch on any device, JAX, CuPy, Dask,
            array-api-strict, ...) returns an array of that library, device and
            shape; NumPy scalars count as arrays and lists/tuples are converted
            with NumPy.  Steps below 0 count as 0, a NaN step gives NaN, and
            ``+inf`` (or a Python ``int`` beyond float range) gives
            :attr:`final_lr`.
        dtype : dtype, optional
            Result dtype (a real floating dtype of the step's namespace). By
            default a floating step keeps its dtype and an integer or bool step
            gives float64 where the namespace has it, else its default real
            floating dtype. Half-precision results are computed in float32.
            Under JAX, XLA flushes float32 values below 1.18e-38 to 0: float32
            results keep the agreement bound for ``scale >= 1.23e-32``, and
            below that scale a float32 evaluation warns (``RuntimeWarning``).

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
                if step > _HUGE:  # +inf, or an int no float can hold
                    return self.final_lr
                d = step - warmup
            elif step != step:  # NaN
                return math.nan
            elif step > 0 or warmup:  # warmup; steps below 0 count as step 0
                return float(self._warmup_value(step if step > 0 else 0, SCALAR))
            else:
                d = 0
            for start, end, level in self._plateaus:
                if d >= start and (end is None or d < end):
                    return level
            return float(self._decay_value(d, SCALAR))
        if dtype is None:
            # the conversions below call BaseLR's value, not self.value: a
            # subclass overriding value() has been called once already
            route = NUMPY_SCALARS.get(tp)
            if route is not None:  # a NumPy scalar: the scalar route, same kind out
                return route[1](BaseLR.value(self, route[0](step)))
            if tp is np.ndarray:
                if step.size == 1:  # one step (0-d or not): likewise, same shape
                    route = NUMPY_SCALARS.get(step.dtype.type)
                    if route is not None:
                        rate = BaseLR.value(self, route[0](step.item()))
                        return np.full(step.shape, rate, dtype=route[1])
                return self._evaluate(step)
            if isinstance(step, numbers.Real) and not _is_numpy_scalar(step):
                # bool, int/float subclasses, Fraction: Python numbers
                if isinstance(step, numbers.Integral):
                    return BaseLR.value(self, int(step))
                return BaseLR.value(self, float(step))
        if step is _NO_STEP:
            raise TypeError(
                f"{type(self).__name__}.value() needs the step: schedule(step). A "
                "schedule given straight to a Keras optimizer as learning_rate is "
                "called without one; wrap it: learning_rate="
                "arraylr.keras.KerasSchedule(schedule)"
            )
        return self._evaluate(step, dtype)

    __call__ = value

    def _evaluate(self, step: Any, dtype: object = None, inner: bool = False) -> Any:
        """The rates at an array step: the backend layer prepares the step
        (namespace, dtypes, route), this schedule composes its formula on what it
        is handed, and the backend layer assembles the result.

        ``inner=True`` is for a schedule evaluated inside another's formula (a
        sequence's children): one expression in the step's own namespace (see
        :func:`arraylr._backend.prepare`).
        """
        route, plan, array, restore = _backend.prepare(step, dtype, inner=inner)
        if self._tiny_scale and _backend.flushes_subnormals(plan):
            warnings.warn(
                f"{type(self).__name__} with scale {self.scale:.4g} in float32 under "
                "JAX: XLA flushes rates below 1.18e-38 (subnormal) to 0, so the "
                f"float32 agreement bound holds only for scale >= {FLUSH_SCALE:.4g}; "
                "use float64 (jax_enable_x64) for rates this small",
                RuntimeWarning,
                stacklevel=3,
            )
        if route == HOST:  # a NumPy view of a small PyTorch CPU tensor
            # BaseLR's own value: a subclass that overrides value() was called on
            # the tensor already, and is not called a second time on its view
            rates = BaseLR.value(self, array, _backend.host_dtype(plan))
            return _backend.from_host(rates)
        if route == BLOCKS:
            result, pieces = _backend.blocks(plan, array)
            for block, low, high, target in pieces:
                target[...] = self._compose(plan, block, low, high)
        else:
            result = self._compose(plan, array)
        return _backend.finish(plan, array, result, restore)

    def _compose(
        self, plan: Plan, step: Array, low: Any = None, high: Any = None
    ) -> Array:
        """The rates at a prepared step array (:func:`arraylr._phases.compose`)."""
        return compose(self, plan, step, low, high)
