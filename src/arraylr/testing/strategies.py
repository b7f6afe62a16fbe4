"""Hypothesis strategies for schedules, built from each schedule's own parameters.

Requires ``hypothesis`` (``pip install hypothesis``).

:func:`configs` reads the ``__init__`` signature of a registered schedule: the
parameters every schedule shares (``start_lr``, ``num_steps``, ``stop_lr`` or
``stop_lr_ratio``, warmup) are drawn together so that they are valid, and every
other parameter is drawn from its annotation and default (``Literal`` choices,
``bool``, positive ``int`` up to twice the default, ``float`` in ``(0, 1]`` for a
default below 1 or within a factor of 10 of a larger default, ``None`` where the
default is ``None``).  Built-in schedules with list or interdependent parameters
(``piecewise``, ``cosine_restarts``, ``sequence``, ``product``) have
hand-written parts.
Configs the schedule rejects are filtered out, so a custom schedule's own
validation is respected.  Pass a strategy per parameter name to override the
guess::

    from hypothesis import given, strategies as st
    from arraylr.testing import assert_backends_agree, strategies as lrst

    @given(lrst.schedules("halving", period=st.integers(1, 50)))
    def test_halving_agrees(schedule):
        assert_backends_agree(schedule)
"""

from __future__ import annotations

import inspect
import math
import typing
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "arraylr.testing.strategies needs hypothesis: pip install hypothesis"
    ) from exc

from ..base import BaseLR
from ..population import Population

__all__ = ["configs", "populations", "schedules", "step_arrays", "steps"]

SHARED = {
    "start_lr",
    "num_steps",
    "stop_lr",
    "stop_lr_ratio",
    "warmup_steps",
    "warmup_ratio",
    "warmup_start_factor",
}

_log_lr = st.floats(min_value=-6.0, max_value=0.0).map(lambda e: 10.0**e)
_ratio = st.one_of(
    st.floats(min_value=-8.0, max_value=0.0).map(lambda e: 10.0**e),
    st.sampled_from([0.0, 1.0]),
)


MAX_STEP = 2**63 - 1


def _resolve(schedule: str | type[BaseLR]) -> type[BaseLR]:
    if isinstance(schedule, str):
        return BaseLR._lookup(schedule)
    if isinstance(schedule, type) and issubclass(schedule, BaseLR):
        return schedule
    raise TypeError(
        f"schedule must be a type name or a BaseLR subclass, got {schedule!r}"
    )


def _hints(cls: type[BaseLR]) -> dict[str, Any]:
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            hints.update(typing.get_type_hints(init))
        except Exception:
            continue
    return hints


def _around(default: Any) -> st.SearchStrategy[float]:
    """Floats of the default's sign and magnitude: a default of 1 or more (a
    factor, an exponent) within a factor of 10 either way, a negative one
    likewise on its side of 0, 0 in [-1, 1], and anything else (a ratio, no
    float default) in (0, 1]."""
    if isinstance(default, float) and default >= 1:
        return st.floats(default / 10, 10 * default)
    if isinstance(default, float) and default < 0:
        return st.floats(10 * default, default / 10)
    if isinstance(default, float) and default == 0:
        return st.floats(-1.0, 1.0)
    return st.floats(1e-6, 1.0)


def _guess(name: str, annotation: Any, default: Any) -> st.SearchStrategy[Any] | None:
    """A strategy for a schedule-specific parameter, from its annotation/default."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    optional = default is None or type(None) in typing.get_args(annotation)
    base = args[0] if origin is not None and len(args) == 1 else annotation
    if typing.get_origin(base) is typing.Literal:  # an optional Literal
        choices = st.sampled_from(typing.get_args(base))
        return st.one_of(st.none(), choices) if optional else choices
    strategy: st.SearchStrategy[Any]
    if base is bool or isinstance(default, bool):
        strategy = st.booleans()
    elif base is int or (isinstance(default, int) and not isinstance(default, bool)):
        top = max(10, 2 * default) if isinstance(default, int) and default > 0 else 1000
        strategy = st.integers(1, top)
    elif base is float or isinstance(default, float):
        strategy = _around(default)
    elif default is not inspect.Parameter.empty and default is not None:
        strategy = st.just(default)
    else:
        return None
    return st.one_of(st.none(), strategy) if optional else strategy


def _valid(cls: type[BaseLR], config: dict[str, Any]) -> bool:
    try:
        cls(**{k: v for k, v in config.items() if k != "type"})
    except (TypeError, ValueError):
        return False
    return True


_PROBES = {
    "stop_lr": 1e-5,
    "stop_lr_ratio": 1e-2,
    "warmup_steps": 10,
    "warmup_ratio": 0.1,
    "warmup_start_factor": 0.1,
}


def _accepted_shared(cls: type[BaseLR], names: set[str]) -> set[str]:
    """The shared parameters a caller may pass to ``cls``.

    A subclass taking ``**kwargs`` may still fix some shared parameters itself
    (``stop_lr=0.0``, say); probing with a small valid config finds which.
    """
    base: dict[str, Any] = {"start_lr": 1e-3, "num_steps": 100}
    for stop in (None, "stop_lr", "stop_lr_ratio"):
        trial = dict(base) if stop is None else {**base, stop: _PROBES[stop]}
        if _valid(cls, trial):
            base = trial
            break
    else:
        return names & SHARED
    accepted = {"start_lr", "num_steps"}
    stops = [k for k in ("stop_lr", "stop_lr_ratio") if k in base]
    for key in ("stop_lr", "stop_lr_ratio"):
        if stops:
            trial = {k: v for k, v in base.items() if k not in stops}
            if _valid(cls, {**trial, key: _PROBES[key]}):
                accepted.add(key)
    for key in ("warmup_steps", "warmup_ratio", "warmup_start_factor"):
        if key in names and _valid(cls, {**base, key: _PROBES[key]}):
            accepted.add(key)
    return accepted


@st.composite
def _shared(draw: st.DrawFn, names: set[str], max_steps: int) -> dict[str, Any]:
    num_steps = draw(
        st.one_of(st.integers(0, 20), st.integers(0, 5000), st.integers(0, max_steps))
    )
    out: dict[str, Any] = {"num_steps": num_steps}
    out["start_lr"] = draw(_log_lr)  # drawn always, so later draws keep their place
    if "start_lr" not in names:
        del out["start_lr"]
    ratio = draw(_ratio)
    if "stop_lr_ratio" in names and ("stop_lr" not in names or draw(st.booleans())):
        out["stop_lr_ratio"] = ratio
    elif "stop_lr" in names:
        out["stop_lr"] = out["start_lr"] * ratio
    if num_steps > 1 and "warmup_steps" in names and draw(st.booleans()):
        if "warmup_ratio" in names and draw(st.booleans()):
            out["warmup_ratio"] = draw(st.floats(0.0, 0.95))
        else:
            out["warmup_steps"] = draw(st.integers(0, num_steps - 1))
        if "warmup_start_factor" in names:
            out["warmup_start_factor"] = draw(
                st.sampled_from([0.0, 0.1, 1.0]) | st.floats(0.0, 1.0)
            )
    return out


def configs(
    schedule: str | type[BaseLR] | None = None,
    *,
    max_steps: int = 10**7,
    **overrides: st.SearchStrategy[Any],
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid config dicts (with ``type``) of a registered schedule.

    Parameters
    ----------
    schedule : str or BaseLR subclass, optional
        Default: any registered schedule.
    max_steps : int
        Largest ``num_steps`` drawn.
    **overrides : SearchStrategy
        A strategy per parameter name, replacing the one guessed from the
        signature (``None`` values leave the parameter out).

    Notes
    -----
    ``stop_lr <= start_lr`` always, so the drawn schedules decay.
    """
    if schedule is None:
        registered = sorted(BaseLR.registered_types())
        return st.sampled_from(registered).flatmap(
            lambda n: configs(n, max_steps=max_steps, **overrides)
        )
    cls = _resolve(schedule)
    if cls.type_name is None or cls.__dict__.get("type_name") is None:
        raise TypeError(f"{cls.__name__} is not registered (use @BaseLR.register)")
    params = cls._init_signature().parameters
    names = set(cls._parameter_names())
    hints = _hints(cls)
    shared = _accepted_shared(cls, names)
    extras: dict[str, st.SearchStrategy[Any]] = {}
    for name in cls._parameter_names():
        if name in overrides:
            extras[name] = overrides[name]
        elif name not in SHARED:
            param = params.get(name)
            default = param.default if param is not None else inspect.Parameter.empty
            guess = _guess(name, hints.get(name, Any), default)
            if guess is not None:
                extras[name] = guess

    # the type's own drawing of its parameters (declared on the exact class: a
    # subclass with other parameters has its own, or the guesses)
    special = "_draw" in cls.__dict__

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        config: dict[str, Any] = {"type": cls.type_name}
        config.update(draw(_shared(shared, max_steps)))
        drawn: set[str] = set()
        if special:
            for key, value in cls._draw(draw, st, config, configs).items():
                if key not in overrides:
                    config[key] = value
                    drawn.add(key)
            drawn |= cls._draws - set(overrides)
        for name, strategy in extras.items():
            if name in drawn:
                continue
            value = draw(strategy)
            if value is None:
                config.pop(name, None)
            else:
                config[name] = value
        return config

    return build().filter(lambda c: _valid(cls, c))


def schedules(
    schedule: str | type[BaseLR] | None = None,
    *,
    max_steps: int = 10**7,
    **overrides: st.SearchStrategy[Any],
) -> st.SearchStrategy[BaseLR]:
    """Schedules built from :func:`configs` (same arguments)."""
    return configs(schedule, max_steps=max_steps, **overrides).map(
        lambda c: BaseLR(**c)  # type: ignore[abstract]
    )


@st.composite
def _variant(draw: st.DrawFn, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with some float parameters scaled and, sometimes, integer
    parameters (``warmup_steps``, ``num_steps``, ``decay_steps``, ...) moved: a
    member that shares the structure of ``config`` or differs in its edges."""
    out = dict(config)
    for key, value in config.items():
        if type(value) is float and value > 0 and draw(st.booleans()):
            out[key] = value * draw(st.sampled_from([0.5, 1.0]) | st.floats(0.25, 1.0))
        elif type(value) is int and value > 0 and draw(st.integers(0, 3)) == 0:
            out[key] = max(1, value + draw(st.integers(-value // 2, value)))
        elif (
            isinstance(value, (list, tuple))
            and value
            and all(type(v) is int and v > 0 for v in value)
            and draw(st.integers(0, 3)) == 0
        ):  # boundaries: all moved by one offset (kept increasing)
            shift = draw(st.integers(-min(value) // 2, min(value)))
            out[key] = [v + shift for v in value]
    n = config.get("num_steps")
    if not isinstance(n, int):
        return out
    if "warmup_steps" in config and n > 1 and draw(st.integers(0, 3)) == 0:
        out["warmup_steps"] = draw(st.integers(0, n - 1))
    return out


def populations(
    schedule: str | type[BaseLR] | None = None,
    *,
    max_members: int = 6,
    max_steps: int = 10**7,
    **overrides: st.SearchStrategy[Any],
) -> st.SearchStrategy[Population]:
    """Populations of one schedule type (arguments as :func:`configs`).

    Members are variants of one drawn config (float parameters scaled, now and
    then another ``warmup_steps``: they share its structure or differ in an
    integer) or configs drawn afresh (any structure), so that a population
    has groups of several members and members differing in integer parameters.
    """
    if schedule is None:
        registered = sorted(BaseLR.registered_types())
        return st.sampled_from(registered).flatmap(
            lambda n: populations(
                n, max_members=max_members, max_steps=max_steps, **overrides
            )
        )
    fresh = configs(schedule, max_steps=max_steps, **overrides)
    cls = _resolve(schedule)

    @st.composite
    def build(draw: st.DrawFn) -> Population:
        first = draw(fresh)
        members = [first]
        for _ in range(draw(st.integers(0, max_members - 1))):
            if draw(st.integers(0, 3)) == 0:
                members.append(draw(fresh))
                continue
            variant = draw(_variant(first))
            members.append(variant if _valid(cls, variant) else first)
        return Population(members)

    return build()


def steps(
    schedule: BaseLR, *, negative: bool = False, far: bool = True
) -> st.SearchStrategy[int]:
    """Integer steps of every phase: up to twice ``num_steps``, plus boundaries,
    and (``far=True``) steps up to ``2**63 - 1``: powers of two and their
    neighbours, any int64, and for a periodic schedule steps past
    ``cycle * 2**24`` (where float32 holds only some integers)."""
    n, w = schedule.num_steps, schedule.warmup_steps
    low = -10 if negative else 0
    marks = sorted({0, max(w - 1, 0), w, n, n + 1})
    near = st.one_of(st.sampled_from(marks), st.integers(low, 2 * n + 10))
    if not far:
        return near
    powers = st.tuples(st.integers(24, 62), st.integers(-2, 2)).map(
        lambda p: 2 ** p[0] + p[1]
    )
    parts = [powers, st.integers(0, MAX_STEP)]
    cycle = schedule._period_of()
    if cycle is not None:
        parts.append(
            st.tuples(st.integers(1, 64), st.integers(0, cycle)).map(
                lambda c: min(cycle * 2**24 * c[0] + c[1], MAX_STEP)
            )
        )
    # the near steps most of the time: every phase of the schedule is there
    return st.one_of(near, near, near, *parts)


def step_arrays(
    schedule: BaseLR,
    *,
    dtype: Any = np.int64,
    max_size: int = 64,
    negative: bool = False,
) -> st.SearchStrategy[np.ndarray]:
    """NumPy arrays of :func:`steps` (1-d, up to ``max_size``) in ``dtype``.

    Floating dtypes get steps they represent exactly (large ones rounded to the
    dtype: integers it holds, past ``2**24`` for float32), plus some fractional
    ones.
    """
    dt = np.dtype(dtype)
    elements: st.SearchStrategy[Any] = steps(schedule, negative=negative)
    if dt.kind == "f":
        limit = 2 ** (np.finfo(dt).nmant + 1)
        top = min(2 * schedule.num_steps + 10, limit)
        exact = elements.map(lambda s: float(dt.type(s)))  # an integer of the dtype
        frac = st.floats(-10.0 if negative else 0.0, float(top), width=dt.itemsize * 8)
        elements = st.one_of(exact, frac.filter(math.isfinite))
    elif dt.kind in "iu":  # far steps clipped to what the dtype holds
        info = np.iinfo(dt)
        low, high = int(info.min), int(info.max)
        elements = elements.map(lambda s: min(max(s, low), high))
    return hnp.arrays(dt, st.integers(1, max_size), elements=elements)
