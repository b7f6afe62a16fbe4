"""The parameters layer: frozen, registered, serialisable, comparable objects.

:class:`Parameters` is what every schedule is made of before it is a schedule:
the keyword arguments it was built with, checked against its ``__init__``
(unknown keys refused with a did-you-mean, ``_``-prefixed comment keys dropped),
copied into immutable values (nothing a caller passes in stays aliased inside),
recorded, and frozen.  From that record come ``to_dict``, ``describe``, ``==``,
``hash``, pickling and ``repr``; and a family's registry (``@Family.register``
and ``Family(type="name", ...)``).  :class:`arraylr.BaseLR` is the family of
schedules.  Imports only the ground layer (validation).
"""

from __future__ import annotations

import inspect
import math
import numbers
from abc import ABCMeta
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import numpy as np

from ._validation import bounded_copy, suggest

__all__ = ["Parameters"]

_P = TypeVar("_P", bound="type[Parameters]")


def _plain(value: Any) -> Any:
    """``value`` as a plain JSON-serialisable Python object."""
    if isinstance(value, Parameters):
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
    """A hashable image of a recorded parameter: equal for equal configs, whether
    a child schedule was given as an object or as its ``to_dict()``."""
    if isinstance(value, Parameters):
        if type(value).__dict__.get("type_name") is None:  # unregistered: by object
            return (type(value), _hashable(value._params))
        return _hashable(value.to_dict())
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return _plain(value)


def _show(value: Any) -> str:
    """``repr`` text of a recorded parameter (child schedules by their repr)."""
    if isinstance(value, Parameters):
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(_plain(value))


class _ParametersMeta(ABCMeta):
    """Metaclass that turns ``Family(type=..., **config)`` into the registered
    class of that name (``BaseLR(type="cosine", ...)``).

    It also drops ``_``-prefixed keyword arguments (config comments), rejects
    unknown keywords with a did-you-mean, freezes copies of the arguments, and
    records the parameters each object was built with (for ``to_dict``, ``==``,
    ``hash`` and ``repr``).
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs = {k: v for k, v in kwargs.items() if not k.startswith("_")}
        target: type[Parameters] = cls  # type: ignore[assignment]
        if "type" in kwargs:
            target = cls._lookup(kwargs.pop("type"))  # type: ignore[attr-defined]
            if not issubclass(target, cls):
                raise TypeError(
                    f"type={target.type_name!r} is {target.__name__}, which is not "
                    f"a {cls.__name__}"
                )
        elif cls.__dict__.get("_default_type") is not None:
            # the family's default type (BaseLR's: "exp", as DeePMD-kit's)
            target = cls._lookup(cls.__dict__["_default_type"])  # type: ignore[attr-defined]
        elif inspect.isabstract(cls):
            raise TypeError(
                f"{cls.__name__} is abstract: pass type=, one of "
                f"{', '.join(map(repr, sorted(cls._registry)))}"  # type: ignore[attr-defined]
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
        # immutable copies, so that a caller who reuses its lists and dicts
        # changes neither the schedule nor what to_dict/==/hash/repr report
        for name in list(bound.arguments):
            bound.arguments[name] = bounded_copy(name, bound.arguments[name])
        obj = type.__call__(target, *bound.args, **bound.kwargs)
        recorded: dict[str, Any] = {}
        for name, val in bound.arguments.items():
            kind = signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                recorded.update(val)
            elif kind is not inspect.Parameter.VAR_POSITIONAL:
                recorded[name] = val
        obj._check_finite()
        object.__setattr__(obj, "_params", recorded)
        object.__setattr__(obj, "_frozen", True)
        return obj


class Parameters(metaclass=_ParametersMeta):
    """Base of objects made of frozen, recorded parameters (schedules).

    A direct subclass starts a *family* with a registry of its own
    (:class:`arraylr.BaseLR` is the family of schedules): ``@Family.register(
    "name")`` names a subclass, and ``Family(type="name", ...)`` builds it.
    Construction goes through ``__init__``, then :meth:`_check_finite`, then the
    object is frozen: setting or deleting an attribute raises
    ``AttributeError``.
    """

    type_name: ClassVar[str | None] = None
    """The name this class is registered under (``None`` if not registered)."""

    _default_type: ClassVar[str | None] = None
    """The type ``Family(...)`` builds without ``type=`` (read on the family's
    own class; ``None``: ``type`` is required)."""

    _registry: ClassVar[dict[str, type[Any]]] = {}
    """``type`` name -> class, one dict per family (see ``__init_subclass__``)."""

    _derived: ClassVar[tuple[str, ...]] = ()
    """Names of the resolved and derived values :meth:`describe` shows (each
    class lists its own; the lists of the classes of its MRO are joined)."""

    _signature: ClassVar[inspect.Signature | None] = None

    _params: dict[str, Any]
    _frozen: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if Parameters in cls.__bases__:  # a new family: a registry of its own
            cls._registry = {}

    @classmethod
    def _family(cls) -> type[Parameters]:
        """The class that starts ``cls``'s family (``BaseLR`` for schedules)."""
        for klass in reversed(cls.__mro__):
            if (
                isinstance(klass, type)
                and issubclass(klass, Parameters)
                and klass is not Parameters
            ):
                return klass
        return cls

    def _check_finite(self) -> None:
        """Refuse parameters whose derived values overflow (run after
        ``__init__``, before the object is frozen)."""
        for name, val in self.describe().items():
            if isinstance(val, float) and not math.isfinite(val):
                raise ValueError(
                    f"{type(self).__name__}: these parameters give {name}={val!r}, "
                    "which must be finite (a value overflows float64)"
                )

    # ------------------------------------------------------------------ registry

    @classmethod
    def register(cls, name: str) -> Callable[[_P], _P]:
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

        def decorator(schedule: _P) -> _P:
            if not (isinstance(schedule, type) and issubclass(schedule, cls)):
                raise TypeError(
                    f"@{cls.__name__}.register({name!r}) decorates {cls.__name__} "
                    f"subclasses, got {schedule!r}"
                )
            old = cls._registry.get(name)
            if old is not None and (old.__module__, old.__qualname__) != (
                schedule.__module__,
                schedule.__qualname__,
            ):
                raise ValueError(
                    f"type {name!r} is already registered to "
                    f"{old.__module__}.{old.__qualname__}"
                )
            schedule.type_name = name
            cls._registry[name] = schedule
            return schedule

        return decorator

    @classmethod
    def registered_types(cls) -> dict[str, type[Any]]:
        """A copy of the registry: ``type`` name -> schedule class."""
        return dict(cls._registry)

    @classmethod
    def _lookup(cls, name: Any) -> type[Any]:
        registry = cls._registry
        if not isinstance(name, str) or name not in registry:
            hint = suggest(name, registry) if isinstance(name, str) else ""
            raise ValueError(
                f"unknown schedule type={name!r}{hint} (known types: "
                f"{', '.join(map(repr, sorted(registry)))})"
            )
        return registry[name]

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
            if not (isinstance(klass, type) and issubclass(klass, Parameters)):
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
                f'@{type(self)._family().__name__}.register("name") to give it a '
                "type for to_dict()"
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
            f"{k}={_show(v)}" for k, v in self._params.items() if v is not None
        )
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Parameters)
        return bool(_hashable(self._params) == _hashable(other._params))

    def __hash__(self) -> int:
        return hash((type(self), _hashable(self._params)))

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
        return (_rebuild, (type(self), _thaw(self._params)))


def _thaw(value: Any) -> Any:
    """A frozen parameter as plain lists and dicts (child schedules kept)."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def _rebuild(cls: type[Parameters], params: dict[str, Any]) -> Parameters:
    return cls(**params)
