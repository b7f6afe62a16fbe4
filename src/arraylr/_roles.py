"""What a schedule type declares about its attributes, and the source its
derivation reads (the contract layer, below :mod:`arraylr.base`).

A type's class says, for :class:`arraylr.Population` (which reads nothing
else about a type):

* ``_edges``: the integer attributes its formula reads only through the edge
  functions of :mod:`arraylr._exact` (declared on the exact class: a subclass
  may read them otherwise, and declares its own);
* ``_structure``: float attributes that are not per-member values, each
  :data:`STRUCTURE` (grouped by value) or a predicate (grouped by its result,
  such as :func:`is_one` for an exponent the formula tests against 1), merged
  along the MRO;
* ``_population_roles()``: a hook for roles that depend on a value (the edges
  and the attributes the formula does not read, for this schedule);
* ``_differentiable`` and ``_derive``: the config floats a population may take
  as arrays, and the one derivation of the values the formula reads from them
  (``__init__`` runs it on Python floats through :class:`Own`).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ._scalar import SCALAR, Namespace

__all__ = [
    "SHARED_EDGES",
    "STRUCTURE",
    "Declared",
    "Own",
    "is_one",
    "powers",
    "shipped",
]


class _Structure:
    """The mark of a float attribute held as structure."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "STRUCTURE"


STRUCTURE: Any = _Structure()
"""A ``_structure`` rule: members of one evaluation group share the value."""


def is_one(value: float) -> bool:
    """A ``_structure`` rule for a float the formula compares with 1 in Python
    (the formula reads a float copy of it, which may vary per member)."""
    return value == 1.0


SHARED_EDGES: frozenset[str] = frozenset(
    {"warmup_steps", "num_steps", "decay_num_steps", "_plateaus"}
)
"""The edges of :class:`arraylr.BaseLR`'s own arithmetic (warmup, phases and the
integers of ``_plateaus``), read through the edge functions: a family whose
formula does so too declares ``_edges = SHARED_EDGES | {...its own}``."""


def powers(st: Any) -> Any:
    """A hypothesis strategy (of ``st``, hypothesis's strategies) of exponents
    and powers up to 64, where the float32 bound must hold too (for a type's
    ``_draw``)."""
    return st.one_of(
        st.floats(0.1, 10.0),
        st.floats(1.0, 64.0),
        st.sampled_from([0.5, 2.0, 4.0, 4.5, 12.0, 25.0, 64.0]),
    )


def shipped(cls: type) -> bool:
    """Whether ``cls`` is a type arraylr ships: defined at the top of one of the
    package's modules (not a user's type, nor one a docstring example made)."""
    module = sys.modules.get(cls.__module__)
    return cls.__module__.startswith("arraylr.") and (
        getattr(module, cls.__name__, None) is cls
    )


class Own:
    """The source a family's ``_derive`` reads when ``__init__`` runs it: the
    schedule's own attributes, its edges as Python ints and the list
    parameters it was given (a population hands ``_derive`` another source,
    with per-member arrays, through the same methods)."""

    single = True
    """True for one schedule: a derivation may decide flags from its values
    (a population's members share their flags, which are structure)."""

    def __init__(self, schedule: Any, given: dict[str, Any]) -> None:
        self._schedule = schedule
        self._given = given

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schedule, name)

    def number(self, name: str, minimum: int | None = None) -> Any:
        """Edge ``name`` (at least ``minimum``)."""
        value = getattr(self._schedule, name)
        return value if minimum is None else max(value, minimum)

    def value(self, name: str) -> Any:
        """Float attribute ``name``."""
        return getattr(self._schedule, name)

    def given(self, name: str, index: int | None = None) -> Any:
        """The list parameter ``name`` as given (``None`` if not given), or its
        entry ``index`` as a float."""
        value = self._given.get(name)
        return value if index is None or value is None else float(value[index])


Derivation = Callable[[dict[str, Any], Any, Any], dict[str, Any]]


class Declared:
    """What a schedule type declares about itself, with BaseLR's defaults (a
    base of :class:`arraylr.BaseLR`): read by populations, the tests, the
    hypothesis strategies, the gallery and the CLI, which name no type.

    ``self`` is a schedule: its attributes (``start_lr``, ``type_name``, ...)
    are BaseLR's.
    """

    type_name: ClassVar[str | None]
    start_lr: float
    stop_lr: float
    warmup_start_factor: float
    warmup_start_lr: float
    warmup_steps: int

    _example: ClassVar[Mapping[str, Any] | None] = None
    """One config of the type (without ``type``): the gallery's picture, and
    the config of every test that needs one of this type."""

    _edges: ClassVar[frozenset[str]] = frozenset()
    """Integer attributes the formula reads only through the edge functions of
    :mod:`arraylr._exact` (read on the exact class: a subclass declares its
    own); a population holds them as integer arrays, one edge per member."""

    _structure: ClassVar[Mapping[str, Any]] = {}
    """Float attributes a population groups by (``_roles.STRUCTURE``: by value;
    a predicate: by its result), merged along the MRO."""

    _differentiable: ClassVar[tuple[str, ...]] = ()
    """The config floats ``Population.with_parameters`` takes as arrays, from
    which :meth:`_derive` computes the values the formula reads."""

    _draws: ClassVar[frozenset[str]] = frozenset()
    """Parameters :meth:`_draw` decides (even where it leaves them out)."""

    _exclusive: ClassVar[tuple[tuple[str, str], ...]] = (
        ("stop_lr", "stop_lr_ratio"),
        ("warmup_steps", "warmup_ratio"),
    )
    """Pairs of parameters that say the same thing two ways (give one): a sweep
    over one replaces the other (``arraylr plot --sweep``); joined along the
    MRO."""

    _quarters_of: ClassVar[str] = "decay"
    """What ``arraylr show`` marks the quarters of (``"run"`` for a cycle)."""

    @classmethod
    def _partners(cls, name: str) -> set[str]:
        """The parameters that say what ``name`` says another way."""
        found: set[str] = set()
        for klass in cls.__mro__:
            for a, b in klass.__dict__.get("_exclusive", ()):
                if name in (a, b):
                    found.add(b if name == a else a)
        return found

    @classmethod
    def _example_config(cls) -> dict[str, Any] | None:
        """A copy of the class's own ``_example`` with its ``type`` (``None``
        where the exact class declares none: a subclass's parameters differ)."""
        example = cls.__dict__.get("_example")
        if example is None:
            return None
        return {"type": cls.type_name, **copy.deepcopy(dict(example))}

    @staticmethod
    def _warmup_line(start_lr: Any, factor: Any, width: Any) -> tuple[Any, Any]:
        r"""``(warmup_start_lr, slope)``: :math:`\eta_w = f \eta_0` and the linear
        warmup's slope :math:`(\eta_0 - \eta_w) / \max(W, 1)` (``width``)."""
        warm = factor * start_lr
        return warm, (start_lr - warm) / width

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        """The values the formula reads, from the config floats ``p``, written
        once: ``__init__`` runs it on Python floats (``s`` an
        :class:`~arraylr._roles.Own`, ``xp`` ``SCALAR``) and a population on
        arrays, one value per member (``s`` gives their edges, ``number``,
        floats, ``value``, and list parameters, ``given``; other attributes are
        the first member's).  A plateau's edges are ignored by a population
        (each member has its own).  BaseLR's part: the warmup's values."""
        return cls._base_values(p, s, cls._stop(p, s))

    @staticmethod
    def _stop(p: dict[str, Any], s: Any) -> Any:
        """``stop_lr`` as the config gives it (through its ratio, or itself)."""
        if "stop_lr_ratio" in p:
            return p["start_lr"] * p["stop_lr_ratio"]
        return p["stop_lr"] if "stop_lr" in p else s.value("stop_lr")

    @staticmethod
    def _base_values(p: dict[str, Any], s: Any, stop: Any) -> dict[str, Any]:
        """BaseLR's values from ``start_lr``, ``stop`` and the warmup factor."""
        start = p["start_lr"]
        factor = p.get("warmup_start_factor", s.value("warmup_start_factor"))
        warm, slope = Declared._warmup_line(
            start, factor, s.number("warmup_steps", minimum=1)
        )
        return {
            "start_lr": start,
            "stop_lr": stop,
            "warmup_start_factor": factor,
            "warmup_start_lr": warm,
            "_warmup_slope": slope,
        }

    def _settle(self, **given: Any) -> None:
        """Set the values the formula reads, from :meth:`_derive` on this
        schedule's floats (``given``: its own, and its list parameters)."""
        p = {"start_lr": self.start_lr, "stop_lr": self.stop_lr}
        p["warmup_start_factor"] = self.warmup_start_factor
        p.update((k, v) for k, v in given.items() if type(v) is float)
        for name, value in type(self)._derive(p, Own(self, given), SCALAR).items():
            object.__setattr__(self, name, value)

    def _population_roles(self) -> tuple[frozenset[str], frozenset[str]]:
        """``(edges, unread)`` for this schedule: the class's ``_edges``, and
        attributes its formula does not read (left out of a population's
        structure).  Override where a role depends on a value."""
        return type(self).__dict__.get("_edges", frozenset()), frozenset()

    def _derivation_refusal(self) -> str | None:
        """Why ``with_parameters`` cannot derive this schedule's values
        (``None``: it can)."""
        if type(self)._differentiable:
            return None
        return (
            f"{type(self).__name__} (type={self.type_name!r}) declares no config "
            "floats a population may take as arrays (_differentiable)"
        )

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        """Optional: this type's own parameters, drawn together (hypothesis's
        ``draw`` and ``st``, the shared ones in ``config``, and
        :func:`arraylr.testing.strategies.configs` for children); the others
        are guessed from the signature."""
        return {}

    def _period_of(self) -> int | None:
        """The cycle length of a periodic schedule (the strategies draw steps
        many cycles on), else ``None``."""
        return None

    def _rate_range(self) -> tuple[float, float]:
        """The lowest and highest rates the schedule takes (``ScheduleLR``
        writes them as ``base_momentum``/``max_momentum`` of a momentum
        schedule, as torch's cycling schedulers do)."""
        warm = [self.warmup_start_lr] if self.warmup_steps else []
        schedule: Any = self  # BaseLR's scale (a property of each type)
        return min(self.start_lr, self.stop_lr, *warm), schedule.scale

    def _group_entries(self) -> dict[str, float]:
        """Rates ``ScheduleLR`` writes into each parameter group besides ``lr``
        (scaled as the group's rate is), as torch's scheduler of this shape
        does: onecycle's ``max_lr`` and ``min_lr``."""
        return {}

    def _end_note(self) -> str | None:
        """Why the rate at step ``num_steps`` is not ``stop_lr``, where a reader
        of ``arraylr show`` would ask (``None``: nothing to say)."""
        return None
