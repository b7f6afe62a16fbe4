r"""Populations: many schedules of one type, evaluated in one vectorised call.

A :class:`Population` holds ``M`` schedules of one type (its *members*) and
evaluates them together: at steps of shape ``S`` it returns rates of shape
``(M, *S)`` with

.. math::

    \mathrm{rates}[i, \ldots] = \eta_i(\mathrm{steps}[\ldots]),

computed by the family's own formula, written once (``arraylr._phases.compose`` and
the family's ``_decay_value``): the members' float parameters are handed to it
as arrays of shape ``(k, 1, ..., 1)`` that broadcast against the steps, so the
formula runs once for ``k`` members, with no Python loop over them.

What may vary per member, and how
---------------------------------
A schedule's formula reads its parameters as attributes of the schedule.  Every
attribute is sorted into one of four kinds, once, when the population is built,
from what the members' class declares (``_edges``, ``_structure`` and the
``_population_roles`` hook, see :mod:`arraylr._roles`; this module names no
type):

* **float values** (``start_lr``, ``stop_lr``, ``lr_min_factor``, a plateau's
  level, ``exp``'s ``_log_rate``, ...): held as one array per value, a member per
  row.  They may differ between any members.
* **edges**: the integer attributes a class declares in ``_edges``, for the
  built-in types the integer parameters of every type but the composites
  (``warmup_steps``, ``num_steps``, ``decay_steps``, ``decay_phase_steps``,
  piecewise ``boundaries``, cyclic's ``step_size_up``/``step_size_down``,
  onecycle's peak step, polynomial's cycle, cosine_restarts' ``period`` with
  ``period_mult=1``, every phase edge derived from them): held as one integer
  array per edge, a member per row, in the widest signed integer dtype of the
  steps' namespace.  The formula compares steps with them exactly, as it does
  with a single schedule's Python ints: integer steps as integers, floating
  steps with each edge rounded up to their dtype, ``T - d`` near an edge from
  a hi + lo split, a cycle position by integer division, all element-wise
  (``arraylr._exact``, ``arraylr._phases.cycle_position``).  They may differ
  between members, but an edge that is 0 takes another code path (no warmup,
  no decay, no falling half of a cycle), so members with a 0 edge and members
  without are evaluated apart.
* **structure**: every other integer, strings and flags (``warmup_type``,
  ``decay_type``, ``smooth``, ``cycle``, ``mode``), the children of
  ``sequence`` and ``product`` and their ``boundaries``, cosine_restarts with
  ``period_mult >= 2`` (its cycle starts, lengths and peaks are tables computed
  in Python, and
  ``period_mult`` itself), and the few floats a formula tests in Python, which
  the class declares in ``_structure`` (cosine's and polynomial's
  ``exponent``/``power`` against 1, cosine_restarts' ``peak_decay`` against 1
  and its table of growing peaks, cyclic's ``gamma``).  Members are put in
  *groups* of equal structure; each
  group is one vectorised evaluation, and the rates are put back in member
  order.

So a sweep over ``start_lr``, ``warmup_steps`` and ``num_steps`` of a cosine
schedule, over cyclic's step sizes or over cosine_restarts' ``period`` is one
evaluation (two if some warmups are 0), each member's phase edges exactly its
own; a sweep over the children of a sequence is one evaluation per distinct
child.  :attr:`Population.groups` says how many there are.  Where the steps'
integer dtype cannot hold an edge (JAX without x64 holds integers as int32:
edges past ``2**31 - 1``), the members of a group are evaluated in one call per
distinct set of edges instead, exactly.

A population holds one schedule type: members of different types are refused
with a ``TypeError`` naming both (build one population per type).

JAX
---
:func:`register_jax` registers :class:`Population` and every registered
schedule class as JAX pytrees: the float values are the leaves; the structure
and the edges are static (auxiliary data: integers stay exact Python ints and
NumPy arrays under tracing, and ``jax.grad`` needs floating leaves).  A
population or a schedule can then be an argument of a ``jax.jit`` function (a
new population of the same structure and edges reuses the compiled function),
and ``jax.vmap`` maps over the members of a population whose members share
their edges and structure (a ``TypeError`` says so otherwise: call the
population instead, which evaluates its members together).  ``jax.grad`` of a
loss with respect to a schedule (or a population) gives, in the same shape,
the derivative with respect to each float value the formula reads *as the
formula reads it*: ``start_lr`` with ``lr_min_factor`` held fixed, say, not
with ``stop_lr`` held fixed.

Gradients with respect to a config's parameters
-----------------------------------------------
:meth:`Population.with_parameters` takes float parameters of the config
(``start_lr``, ``stop_lr`` or ``stop_lr_ratio``, ``warmup_start_factor``, exp's
``decay_rate``, inverse_sqrt's ``timescale``) as arrays of any library (JAX
tracers, PyTorch tensors with ``requires_grad``) and derives the values the
formula reads from them with that library's operations: the class's own
derivation, ``_derive``, which its ``__init__`` runs on Python floats (the
tests check that both give the members' rates), so that ``jax.grad`` and
autograd give d rate / d parameter.  The parameters are those the class
declares in ``_differentiable``; for the built-in types: exp, cosine, wsd,
constant, linear, polynomial, inverse_sqrt, inverse_time (``decay_rate`` too),
cyclic (``max_lr``), onecycle (``div_factor``, ``final_div_factor``),
piecewise (``start_lr``; levels given as ``factors`` move with it, ``values``
stay) and cosine_restarts with ``period_mult=1``.  Not supported (a
``TypeError`` saying why, ``_derivation_refusal``): cosine_restarts with
``period_mult >= 2``, whose table of cycle peaks is computed in Python, and
the composite types, whose parameters are their children's (their gradients
with respect to the values the formula reads come from :func:`register_jax`).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import array_api_compat
import numpy as np

from . import _backend
from ._backend import HOST, Plan
from ._roles import STRUCTURE
from ._scalar import Array, Namespace
from ._validation import short_repr
from .base import BaseLR

__all__ = ["Population", "register_jax"]


_SKIP = frozenset({"_params", "_frozen"})

_INT_LIMIT = 2**63
"""Edges at or past this (no int64 holds them) stay structure."""


class _Free:
    """The mark of a float value held as an array in a group's key."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FREE"


_FREE = _Free()


def _rules(cls: type) -> dict[str, Any]:
    """The class's ``_structure`` rules, merged along its MRO."""
    rules: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        rules.update(klass.__dict__.get("_structure", {}))
    return rules


def _key(value: Any, rule: Any, floats: list[float], ints: list[int] | None) -> Any:
    """The structure of an attribute's value, its float values (appended to
    ``floats``) replaced by :data:`_FREE`, and, where ``ints`` is a list (an
    edge attribute), its integers (appended to ``ints``) by ``("i", zero)``:
    edges may differ between members of a group, but not in being 0."""
    if rule is STRUCTURE:
        return ("v", value)
    if rule is not None:
        return ("b", bool(rule(value)))
    return _walk(value, floats, ints)


def _walk(value: Any, floats: list[float], ints: list[int] | None) -> Any:
    if type(value) is float:
        floats.append(value)
        return _FREE
    if ints is not None and type(value) is int and abs(value) < _INT_LIMIT:
        ints.append(value)
        return ("i", value == 0)
    if type(value) is tuple:
        return ("t", tuple(_walk(v, floats, ints) for v in value))
    try:
        hash(value)
    except TypeError:  # unhashable: a structure of its own (by identity)
        return ("id", id(value))
    return ("v", value)


def _fill(value: Any, key: Any, values: Iterator[Any], ints: Iterator[Any]) -> Any:
    """``value`` with the float values marked free in ``key`` taken from
    ``values``, and its edges from ``ints``, in order."""
    if key is _FREE:
        return next(values)
    if key[0] == "i":
        return next(ints)
    if key[0] == "t":
        return tuple(
            _fill(v, k, values, ints) for v, k in zip(value, key[1], strict=True)
        )
    return value


class _Stand:
    """A group's first member, compared equal to any other: a JAX auxiliary
    datum whose float values the traced computation never reads (structure is
    compared through the group's key)."""

    __slots__ = ("schedule",)

    def __init__(self, schedule: BaseLR) -> None:
        self.schedule = schedule

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Stand)

    def __hash__(self) -> int:
        return 0


def _structure(schedule: BaseLR) -> tuple[tuple[Any, ...], list[float], list[int]]:
    """``(key, floats, ints)``: the schedule's structure (equal for schedules a
    group can hold), its float values and its edges, in the key's order."""
    rules = _rules(type(schedule))
    edges, unread = schedule._population_roles()
    floats: list[float] = []
    ints: list[int] = []
    # the parameters a config gives (stop_lr or stop_lr_ratio, a decay_rate
    # given or derived): with_parameters derives a group's values from them
    given = tuple(sorted(k for k, v in schedule._params.items() if v is not None))
    parts: list[Any] = [("(given)", ("v", given))]
    for name in sorted(schedule.__dict__):
        if name in _SKIP or name in unread:
            continue
        value = schedule.__dict__[name]
        here = ints if name in edges else None
        parts.append((name, _key(value, rules.get(name), floats, here)))
    return (type(schedule), tuple(parts)), floats, ints


class _Group:
    """Members of one structure: their indices, the key, each float value as a
    NumPy float64 array of one entry per member (a Python float where the
    members share it), and each edge as a tuple of one Python int per member
    (an int where they share it)."""

    __slots__ = ("host", "indices", "ints", "key", "stand", "top", "values")

    def __init__(
        self,
        indices: tuple[int, ...],
        key: tuple[Any, ...],
        stand: BaseLR,
        values: tuple[Any, ...],
        ints: tuple[Any, ...] = (),
    ) -> None:
        self.indices = indices
        self.key = key
        self.stand = stand
        self.values = values
        self.ints = ints
        varying = [abs(v) for column in ints if type(column) is tuple for v in column]
        self.top = max(varying) if varying else None
        """The largest edge that differs between members (``None``: none do)."""
        self.host = all(isinstance(v, (float, np.ndarray)) for v in values)
        """Whether every float value is NumPy's or Python's (not a tensor)."""

    def view(self, values: Iterable[Any], ints: Iterable[Any] | None = None) -> BaseLR:
        """A schedule object of the members' class whose float values are
        ``values`` and whose edges are ``ints`` (arrays, one row per member;
        by default the group's own edges, which must then be shared), for the
        formula to read."""
        stand = self.stand
        view = object.__new__(type(stand))
        attrs = dict(stand.__dict__)
        it = iter(values)
        edges = iter(self.ints if ints is None else ints)
        for name, key in self.key[1]:
            if key is _FREE or key[0] in "ti":
                attrs[name] = _fill(attrs[name], key, it, edges)
        view.__dict__.update(attrs)
        return view

    def split(self) -> list[_Group]:
        """The group as groups of shared edges (one per distinct set of them),
        for steps whose integer dtype cannot hold every edge."""
        found: dict[tuple[int, ...], list[int]] = {}
        for row in range(len(self.indices)):
            edges = tuple(c[row] if type(c) is tuple else c for c in self.ints)
            found.setdefault(edges, []).append(row)
        return [
            _Group(
                tuple(self.indices[r] for r in rows),
                self.key,
                self.stand,
                tuple(_rows(value, rows) for value in self.values),
                edges,
            )
            for edges, rows in found.items()
        ]


def _rows(value: Any, rows: list[int]) -> Any:
    """Entries ``rows`` of a group's float value (a float: shared, kept)."""
    if isinstance(value, float):
        return value
    if isinstance(value, np.ndarray):
        return value[np.asarray(rows)]
    xp = array_api_compat.array_namespace(value)
    index = xp.asarray(np.asarray(rows), device=_backend.xp_device(value))
    return xp.take(value, index, axis=0)


def _groups(members: Sequence[BaseLR]) -> tuple[_Group, ...]:
    found: dict[Any, list[int]] = {}
    floats: list[list[float]] = []
    edges: list[list[int]] = []
    for i, member in enumerate(members):
        key, drawn, drawn_ints = _structure(member)
        found.setdefault(key, []).append(i)
        floats.append(drawn)
        edges.append(drawn_ints)
    groups = []
    for key, indices in found.items():
        columns = zip(*(floats[i] for i in indices), strict=True)
        values: tuple[Any, ...] = tuple(
            column[0]
            if all(v == column[0] for v in column)
            else np.asarray(column, dtype=np.float64)
            for column in columns
        )
        int_columns = zip(*(edges[i] for i in indices), strict=True)
        ints: tuple[Any, ...] = tuple(
            column[0] if all(v == column[0] for v in column) else tuple(column)
            for column in int_columns
        )
        groups.append(_Group(tuple(indices), key, members[indices[0]], values, ints))
    return tuple(groups)


class _Broadcasting:
    """The step's namespace, with ``full_like`` accepting an array fill value
    (a plateau level or a constant rate that differs per member), broadcast
    against ``x``."""

    def __init__(self, xp: Namespace) -> None:
        self._xp = xp

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._xp, name)
        setattr(self, name, attr)
        return attr

    def full_like(self, x: Array, fill_value: Any, /, **kwargs: Any) -> Array:
        if isinstance(fill_value, (int, float)):
            return self._xp.full_like(x, fill_value, **kwargs)
        zeros = self._xp.zeros_like(x, **kwargs)
        return zeros + self._xp.astype(fill_value, zeros.dtype)


_WRAPPED: dict[int, tuple[Plan, Plan]] = {}


def _wrapped(plan: Plan, traced: bool = False) -> Plan:
    """``plan`` with the broadcasting namespace (remembered per plan, except
    for a step ``torch.compile`` traces: dynamo would guard on the cache)."""
    cached = None if traced else _WRAPPED.get(id(plan))
    if cached is not None and cached[0] is plan:
        return cached[1]
    wrapped = Plan(
        _Broadcasting(plan.xp),
        plan.out_dtype,
        plan.compute,
        plan.wide_int,
        plan.kind,
        plan.widen,
    )
    if not traced and len(_WRAPPED) < 256:
        _WRAPPED[id(plan)] = (plan, wrapped)
    return wrapped


# ------------------------------------------- parameters -> what a formula reads


class _Derivation:
    """What a type's ``_derive`` reads of a group besides the parameters
    given (the population's counterpart of :class:`arraylr._roles.Own`): the
    first member's attributes (for the tests every member of a group shares:
    flags, which edges are 0), and per member its edges (:meth:`number`),
    float values (:meth:`value`) and list parameters (:meth:`given`), as
    arrays like the given parameters."""

    single = False

    def __init__(
        self,
        group: _Group,
        members: Sequence[BaseLR],
        xp: Namespace,
        like: Any,
    ) -> None:
        self._group, self._members, self._xp, self._like = group, members, xp, like
        self._floats: dict[str, list[Any]] = {}
        self._ints: dict[str, Any] = {}
        values, ints = iter(group.values), iter(group.ints)
        for name, key in group.key[1]:
            if key is _FREE:
                self._floats[name] = [next(values)]
            elif key[0] == "i":
                self._ints[name] = next(ints)
            else:
                self._floats[name] = [next(values) for _ in range(_count(key, "f"))]
                for _ in range(_count(key, "i")):
                    next(ints)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._group.stand, name)

    def _array(self, values: Any) -> Any:
        array = np.asarray(values, dtype=np.float64)
        if self._like is None:
            return array
        like = self._like
        return self._xp.asarray(
            array, dtype=like.dtype, device=_backend.xp_device(like)
        )

    def number(self, name: str, minimum: int | None = None) -> Any:
        """Edge ``name`` of every member (an int where they share it)."""
        column = self._ints.get(name, getattr(self._group.stand, name))
        if type(column) is int:
            return column if minimum is None else max(column, minimum)
        values = np.asarray(column, dtype=np.float64)
        return self._array(values if minimum is None else np.maximum(values, minimum))

    def value(self, name: str) -> Any:
        """Float value ``name`` of every member (a float where they share it)."""
        columns = self._floats.get(name)
        if columns is None:
            return getattr(self._group.stand, name)
        return columns[0] if isinstance(columns[0], float) else self._array(columns[0])

    def given(self, name: str, index: int | None = None) -> Any:
        """The list parameter ``name`` as the members' configs give it (``None``
        if not given: the members share that), or its entry ``index`` of every
        member."""
        if index is None or self._group.stand._params.get(name) is None:
            return self._group.stand._params.get(name)
        return self._array([float(m._params[name][index]) for m in self._members])


def _collect(value: Any, key: Any, out: list[Any]) -> None:
    """Append the values of ``value`` at the positions ``key`` marks free."""
    if key is _FREE:
        out.append(value)
    elif key[0] == "t":
        for v, k in zip(value, key[1], strict=True):
            _collect(v, k, out)


def _count(key: Any, mark: str) -> int:
    """How many float values (``mark`` ``"f"``) or edges (``"i"``) ``key``
    marks free, a tuple's included."""
    if key is _FREE:
        return int(mark == "f")
    if key[0] == "t":
        return sum(_count(k, mark) for k in key[1])
    return int(key[0] == mark)


def _library(value: Any) -> str:
    """The array library of ``value`` by name (``numpy``, ``torch``, ``jax``...)."""
    if isinstance(value, (float, int, np.ndarray, np.generic)):
        return "numpy"
    return type(value).__module__.split(".")[0].replace("jaxlib", "jax")


def _mapped_edges() -> TypeError:
    return TypeError(
        "this population's members differ in integer parameters (edges such as "
        "warmup_steps), which are static: jax.vmap maps only over float values. "
        "Call the population instead (its members are one evaluation), or vmap "
        "over a population whose members share them"
    )


class Population:
    r"""Schedules of one type, evaluated together: ``rates[i] = members[i](steps)``.

    Parameters
    ----------
    members : sequence of BaseLR or dict
        The schedules, or their configs (as ``BaseLR(**config)`` takes them,
        ``type`` included); each is validated as a single schedule is, errors
        naming ``members[i]``.  All of one type (else ``TypeError``).

    Notes
    -----
    At steps :math:`t` of shape ``S`` the population returns an array of shape
    ``(M, *S)`` (``M = len(population)``) in the namespace, device and dtype a
    single schedule would give,

    .. math::

        \mathrm{rates}[i, \ldots] = \eta_i(t[\ldots]),

    evaluated by the family's formula with each float parameter an array over
    the members (see :mod:`arraylr.population` for what varies and how).
    Integer and bool steps, and steps of any shape, are taken as a single
    schedule takes them; each member agrees with the same schedule evaluated
    alone within the agreement bounds of the documentation (``4 eps64 S``,
    ``8 eps32 S``), phase edges exact.  A Python or NumPy scalar step gives a
    NumPy array of ``M`` rates.

    Examples
    --------
    >>> import numpy as np
    >>> from arraylr.population import Population
    >>> pop = Population.sweep({"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0,
    ...                         "num_steps": 100}, start_lr=[1.0, 2.0, 4.0])
    >>> pop(np.array([0, 50, 100])).tolist()
    [[1.0, 0.5, 0.0], [2.0, 1.0, 0.0], [4.0, 2.0, 0.0]]
    """

    _members: tuple[BaseLR, ...] | None
    _groups: tuple[_Group, ...]
    _mapped: bool = False
    """Whether jax.vmap mapped over members of several groups (refused)."""

    def __init__(self, members: Iterable[BaseLR | Mapping[str, Any]]) -> None:
        if isinstance(members, (str, bytes, Mapping)) or not isinstance(
            members, Iterable
        ):
            raise TypeError(
                "members must be a list of schedules or configs, got "
                f"members={short_repr(members)}"
            )
        built: list[BaseLR] = []
        for i, member in enumerate(members):
            if isinstance(member, BaseLR):
                built.append(member)
            elif isinstance(member, Mapping):
                try:
                    built.append(BaseLR(**member))  # type: ignore[abstract]
                except (TypeError, ValueError) as exc:
                    raise type(exc)(f"members[{i}]: {exc}") from None
            else:
                raise TypeError(
                    f"members[{i}] must be a schedule or a config dict, got "
                    f"members[{i}]={short_repr(member)}"
                )
        if not built:
            raise ValueError("members must hold at least one schedule, got []")
        first = type(built[0])
        for i, member in enumerate(built):
            if type(member) is not first:
                raise TypeError(
                    "a population holds schedules of one type: members[0] is "
                    f"{first.__name__} (type={first.type_name!r}) and members[{i}] "
                    f"is {type(member).__name__} (type={type(member).type_name!r}); "
                    "build one population per type"
                )
        self._members = tuple(built)
        self._groups = _groups(self._members)

    @classmethod
    def sweep(
        cls,
        config: BaseLR | Mapping[str, Any],
        *,
        grid: bool = False,
        **values: Sequence[Any],
    ) -> Population:
        """A population of ``config`` with parameters swept over ``values``.

        Parameters
        ----------
        config : BaseLR or dict
            The schedule (or its config) every member starts from.
        grid : bool, optional
            ``False`` (default): member ``i`` takes the ``i``-th value of every
            sequence (all of one length).  ``True``: every combination, the
            last parameter varying fastest.
        **values : sequence
            Parameter name -> the values it takes.

        Examples
        --------
        >>> from arraylr.population import Population
        >>> base = {"type": "exp", "start_lr": 1e-3, "stop_lr": 1e-5,
        ...         "num_steps": 1000}
        >>> len(Population.sweep(base, start_lr=[1e-3, 3e-3], warmup_steps=[0, 10],
        ...                      grid=True))
        4
        """
        base = config.to_dict() if isinstance(config, BaseLR) else dict(config)
        if not values:
            raise ValueError("sweep needs at least one parameter to sweep over")
        names = list(values)
        lists = []
        for name in names:
            given = values[name]
            if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
                raise TypeError(
                    f"{name} must be a sequence of values, got "
                    f"{name}={short_repr(given)}"
                )
            lists.append(list(given))
            if not lists[-1]:
                raise ValueError(f"{name} must hold at least one value, got []")
        if grid:
            rows = list(itertools.product(*lists))
        else:
            lengths = {len(v) for v in lists}
            if len(lengths) > 1:
                raise ValueError(
                    "the swept sequences must have one length (or pass grid=True), "
                    "got "
                    + ", ".join(
                        f"{n}: {len(v)}" for n, v in zip(names, lists, strict=True)
                    )
                )
            rows = list(zip(*lists, strict=True))
        return cls([{**base, **dict(zip(names, row, strict=True))} for row in rows])

    # ------------------------------------------------------------- members

    @property
    def members(self) -> tuple[BaseLR, ...]:
        """The member schedules, in order."""
        if self._members is None:
            raise TypeError(
                "this population was made from arrays of values (with_parameters, "
                "with_leaves, or JAX rebuilding it inside jax.jit/vmap/grad): it "
                "evaluates, but has no member schedules"
            )
        return self._members

    @property
    def groups(self) -> int:
        """The number of vectorised evaluations a call makes (one per distinct
        structure among the members)."""
        return len(self._groups)

    def __len__(self) -> int:
        return sum(len(group.indices) for group in self._groups)

    def __getitem__(self, index: int) -> BaseLR:
        return self.members[index]

    def __iter__(self) -> Iterator[BaseLR]:
        return iter(self.members)

    @property
    def scale(self) -> float:
        """The largest member scale (the scale of the agreement bounds)."""
        return max(member.scale for member in self.members)

    def phases(self) -> list[tuple[int, str]]:
        """Every member's phase changes, labelled ``member i: ...``, sorted."""
        return sorted(
            (step, f"member {i}: {label}")
            for i, member in enumerate(self.members)
            for step, label in member.phases()
        )

    # -------------------------------------------------------- serialisation

    def to_dict(self) -> dict[str, Any]:
        """``{"type": "population", "members": [member.to_dict(), ...]}``: plain
        and JSON-serialisable; :meth:`from_dict` rebuilds an equal population."""
        return {
            "type": "population",
            "members": [member.to_dict() for member in self.members],
        }

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> Population:
        """The population of a :meth:`to_dict` dict (``type`` optional)."""
        if not isinstance(config, Mapping):
            raise TypeError(f"config must be a dict, got config={short_repr(config)}")
        extra = set(config) - {"type", "members"}
        extra = {k for k in extra if not str(k).startswith("_")}
        if config.get("type", "population") != "population" or extra:
            raise ValueError(
                "a population config is {'type': 'population', 'members': [...]}, "
                f"got config={short_repr(dict(config))}"
            )
        if "members" not in config:
            raise ValueError("a population config needs 'members'")
        return cls(config["members"])

    def __reduce__(self) -> tuple[Any, ...]:
        if self._members is None:
            raise TypeError(
                "a population made from arrays of values (with_parameters, "
                "with_leaves) has no member configs to pickle or save: save the "
                "population it came from (to_dict) and the values you gave"
            )
        return (Population, (list(self.members),))

    def __deepcopy__(self, memo: dict[int, Any]) -> Population:
        if self._members is not None:
            return Population(list(self._members))
        import copy

        return Population._from_leaves(
            self._aux(), copy.deepcopy(self._leaves_as_given(), memo)
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Population):
            return NotImplemented
        if self._members is None or other._members is None:
            return self is other  # values as arrays: equal to itself only
        return self.members == other.members

    def __hash__(self) -> int:
        if self._members is None:
            return id(self)
        return hash(self.members)

    def __repr__(self) -> str:
        if self._members is None:
            kind = type(self._groups[0].stand).type_name
            return (
                f"Population(<{len(self)} members of type {kind!r}, values given as "
                f"arrays, {self.groups} evaluation(s)>)"
            )
        members = self.members
        shown = ", ".join(repr(m) for m in members[:3])
        more = f", ... ({len(members)} members)" if len(members) > 3 else ""
        return f"Population([{shown}{more}])"

    # ---------------------------------------------------------------- leaves

    def leaves(self) -> tuple[Any, ...]:
        """The float values the formula reads, one array per value and group
        (float64, an entry per member of the group), group by group: the leaves
        of the JAX pytree, and what :meth:`with_leaves` takes back."""
        out: list[Any] = []
        for group in self._groups:
            k = len(group.indices)
            for value in group.values:
                out.append(np.full(k, value) if isinstance(value, float) else value)
        return tuple(out)

    def _leaves_as_given(self) -> list[Any]:
        """The groups' float values as they are held (shared ones as floats)."""
        return [value for group in self._groups for value in group.values]

    def with_leaves(self, leaves: Iterable[Any]) -> Population:
        """This population's structure with the float values ``leaves`` (as
        :meth:`leaves` orders them): arrays of any library, PyTorch tensors
        with ``requires_grad`` among them, whose gradients then flow through
        the rates.  The result evaluates but has no member schedules."""
        leaves = tuple(leaves)
        expected = sum(len(group.values) for group in self._groups)
        if len(leaves) != expected:
            raise ValueError(
                f"leaves must hold {expected} arrays (as leaves() gives them), got "
                f"{len(leaves)}"
            )
        return Population._from_leaves(self._aux(), leaves)

    def parameters(self) -> dict[str, np.ndarray]:
        """The float parameters :meth:`with_parameters` takes, as given to every
        member: name -> float64 array of one value per member.

        ``start_lr``, and ``stop_lr`` or ``stop_lr_ratio`` (whichever every
        member was given), ``warmup_start_factor`` where no member's is 0,
        ``decay_rate`` (exp where given, inverse_time), ``timescale``
        (inverse_sqrt, where given), ``max_lr`` (cyclic), ``div_factor`` and
        ``final_div_factor`` (onecycle).  Types: exp, cosine, wsd, constant,
        linear, polynomial, inverse_sqrt, inverse_time, cyclic, onecycle,
        piecewise, cosine_restarts with ``period_mult=1`` (others raise
        ``TypeError``).
        """
        return self._float_parameters()

    def _float_parameters(self) -> dict[str, Any]:
        """The parameters :meth:`with_parameters` takes (given by every member),
        per member (float64)."""
        members = self.members
        names, _ = self._derivation()
        settable: dict[str, Any] = {}
        for name in (*names, "warmup_start_factor"):
            given = [m._params.get(name) for m in members]
            if any(v is None or isinstance(v, bool) for v in given):
                continue
            array = np.asarray([float(v) for v in given if v is not None])
            if name == "warmup_start_factor" and not np.all(array > 0):
                continue  # 0 selects the formula's other path: not a variable
            settable[name] = array
        return settable

    def with_parameters(self, **values: Any) -> Population:
        """This population with float parameters replaced by arrays (one value
        per member): JAX arrays or tracers, PyTorch tensors with
        ``requires_grad``, NumPy arrays.  Every value the formula reads is
        computed from them with the array library's operations, so that
        ``jax.grad`` and PyTorch autograd differentiate the rates with respect
        to these parameters, as each member's config has them (``stop_lr``
        held where a config gives ``stop_lr``, moving with ``start_lr`` where
        it gives ``stop_lr_ratio``; exp's ``decay_rate`` derived again unless
        given).  The others keep the members' values.

        The values must keep each member's code path: ``stop_lr`` below
        ``start_lr`` for exp, a positive ``warmup_start_factor`` (structure is
        not traced).  The result evaluates but has no member schedules.

        Examples
        --------
        >>> import numpy as np
        >>> from arraylr import Population
        >>> pop = Population.sweep({"type": "linear", "start_lr": 1.0,
        ...                         "stop_lr": 0.0, "num_steps": 10},
        ...                        start_lr=[1.0, 2.0])
        >>> pop.with_parameters(start_lr=np.array([4.0, 8.0]))(5).tolist()
        [2.0, 4.0]
        """
        names, derive = self._derivation()
        settable = self._float_parameters()
        for name in values:
            if name not in settable:
                raise TypeError(
                    f"with_parameters got {name}=..., which is not a float parameter "
                    f"every member gives (valid: {', '.join(settable)})"
                )
        count = len(self)
        for name, value in list(values.items()):
            if isinstance(value, (list, tuple)):  # Python numbers: NumPy's
                with contextlib.suppress(TypeError, ValueError):
                    value = values[name] = np.asarray(value, dtype=np.float64)
            if not (hasattr(value, "shape") and hasattr(value, "dtype")):
                raise TypeError(
                    f"{name} must be an array of one value per member (shape "
                    f"({count},)): a NumPy or JAX array, a PyTorch tensor, or a list "
                    f"of numbers; got {name}={short_repr(value)}"
                )
            if tuple(value.shape) != (count,):
                raise ValueError(
                    f"{name} must hold one value per member (shape ({count},)), got "
                    f"shape {tuple(value.shape)}"
                )
        libraries = {_library(v) for v in values.values()}
        if len(libraries) > 1:
            raise TypeError(
                "with_parameters takes the values of one array library, got "
                + ", ".join(f"{n}: {_library(v)}" for n, v in values.items())
            )
        given = list(values.values())
        xp = array_api_compat.array_namespace(*given) if given else np
        like = given[0] if given else None
        device = None if like is None else _backend.xp_device(like)
        members = self.members
        leaves: list[Any] = []
        for group in self._groups:
            rows = list(group.indices)
            stand = group.stand
            p: dict[str, Any] = {}
            for name in dict.fromkeys((*names, "warmup_start_factor", "stop_lr")):
                if name in values:
                    value = values[name]
                    if rows != list(range(count)):
                        index = xp.asarray(np.asarray(rows), device=device)
                        value = xp.take(value, index, axis=0)
                    p[name] = value
                    continue
                recorded = stand._params.get(name)
                if recorded is not None and not isinstance(recorded, bool):
                    # as given (every member of the group gives it)
                    given_values = [members[i]._params[name] for i in rows]
                elif name == "stop_lr":  # the resolved value
                    given_values = [members[i].stop_lr for i in rows]
                else:
                    continue  # not given: derived (or the member's own value)
                array = np.asarray([float(v) for v in given_values])
                p[name] = (
                    array
                    if like is None
                    else xp.asarray(array, dtype=like.dtype, device=device)
                )
            if "stop_lr_ratio" in p and "stop_lr" not in values:
                del p["stop_lr"]  # the config's ratio moves stop_lr with start_lr
            rows_members = [members[i] for i in rows]
            derived = derive(p, _Derivation(group, rows_members, xp, like), xp)
            it = iter(group.values)
            for name, key in group.key[1]:
                taken = [next(it) for _ in range(_count(key, "f"))]
                if name in derived:
                    _collect(derived[name], key, leaves)
                else:
                    leaves.extend(taken)
        return Population._from_leaves(self._aux(), leaves)

    def _derivation(self) -> tuple[tuple[str, ...], Any]:
        """The config floats the members' type takes as arrays and its
        derivation (``_differentiable``, ``_derive``), or a ``TypeError``
        saying why there is none."""
        for group in self._groups:
            refusal = group.stand._derivation_refusal()
            if refusal is not None:
                supported = sorted(
                    name
                    for name, cls in BaseLR.registered_types().items()
                    if cls._differentiable
                )
                raise TypeError(
                    f"with_parameters/parameters do not support {refusal}; jax.grad "
                    "with respect to the population itself differentiates the "
                    "values the formula reads. Supported: " + ", ".join(supported)
                )
        cls = type(self._groups[0].stand)
        return cls._differentiable, cls._derive

    def _aux(self) -> tuple[Any, ...]:
        return tuple(
            (
                group.indices,
                group.key,
                _Stand(group.stand),
                len(group.values),
                group.ints,
            )
            for group in self._groups
        )

    @staticmethod
    def _from_leaves(aux: Any, leaves: Iterable[Any]) -> Population:
        population = object.__new__(Population)
        it = iter(leaves)
        groups = []
        for indices, key, stand, count, ints in aux:
            values = tuple(itertools.islice(it, count))
            groups.append(_Group(indices, key, stand.schedule, values, ints))
        population._members = None
        population._groups = tuple(groups)
        return population

    # ------------------------------------------------------------ evaluation

    def value(self, step: Any, dtype: object = None) -> Any:
        """The rates of every member at ``step``: shape ``(M, *step.shape)``.

        Parameters
        ----------
        step : int, float or array
            As :meth:`BaseLR.value` takes it; a Python or NumPy scalar is
            evaluated as a 0-d NumPy array (the result: a NumPy array of ``M``
            rates).
        dtype : dtype, optional
            As :meth:`BaseLR.value`.

        Returns
        -------
        array
            The namespace and device of ``step``; its dtype as a single
            schedule's result would have it.
        """
        scalar = isinstance(step, np.generic) or type(step) in (int, float)
        if scalar or (isinstance(step, np.ndarray) and type(step) is not np.ndarray):
            step = np.asarray(step)  # NumPy subclasses as plain arrays
        if not all(group.host for group in self._groups):
            self._check_library(step)
        route, plan, array, restore = _backend.prepare(step, dtype)
        if route == HOST:
            if all(
                group.host for group in self._groups
            ):  # a small PyTorch CPU tensor: NumPy on its memory, as a single
                # schedule takes it (a PyTorch operation costs more to dispatch
                # than the few elements it computes)
                rates = self.value(array, _backend.host_dtype(plan))
                return _backend.from_host(rates)
            # values held as tensors (with_parameters): PyTorch's operations
            route, plan, array, restore = _backend.prepare(step, dtype, inner=True)
        # one expression (no blocks: the member axis is the population's own);
        # restore: a DTensor's rates from its local shard
        traced = _backend.is_traced(array)
        rates = self._rates(plan, array, traced)
        return _backend.finish(plan, array, rates, restore)

    __call__ = value

    def _check_library(self, step: Any) -> None:
        """Values held as arrays of a library (with_parameters) meet steps of
        that library only: a ``TypeError`` names both otherwise."""
        held = {_library(v) for g in self._groups for v in g.values if not g.host} - {
            "numpy"
        }
        steps = _library(step)
        if held and held != {steps}:
            raise TypeError(
                f"this population's values are {' and '.join(sorted(held))} arrays "
                f"(with_parameters/with_leaves) and the steps are {steps}'s: "
                f"evaluate it at {' or '.join(sorted(held))} steps (the values keep "
                "their library, and their gradients, only there)"
            )

    def _arrays(
        self, group: _Group, plan: Plan, array: Array
    ) -> tuple[list[Any], list[Any]]:
        """The group's float values as arrays of the step's namespace, compute
        dtype and device, and its edges as arrays of its widest signed integer
        dtype, shaped ``(k, 1, ..., 1)`` against the steps (shared values stay
        Python numbers)."""
        xp = plan.xp
        device = _backend.xp_device(array)
        ones = (1,) * array.ndim
        out: list[Any] = []
        for value in group.values:
            if isinstance(value, float):
                out.append(value)
                continue
            if isinstance(value, np.ndarray):
                value = xp.asarray(value, dtype=plan.compute, device=device)
            elif value.dtype != plan.compute:
                value = xp.astype(value, plan.compute)
            out.append(xp.reshape(value, (*value.shape, *ones)))
        ints: list[Any] = []
        for column in group.ints:
            if type(column) is int:
                ints.append(column)
                continue
            edges = xp.asarray(
                np.asarray(column, dtype=np.int64), dtype=plan.wide_int, device=device
            )
            ints.append(xp.reshape(edges, (len(column), *ones)))
        return out, ints

    def _prepared(
        self, index: Any, group: _Group, plan: Plan, array: Array, traced: bool
    ) -> tuple[BaseLR, tuple[int, ...]]:
        """The view of ``group`` (unit ``index`` of :meth:`_units`: its float
        values and edges as arrays against steps of ``array.ndim`` axes) and
        the shape of its member axes; remembered per plan where the values are
        NumPy's (the plans of NumPy and PyTorch arrays are cached objects: a
        training loop's step pays for none of it)."""
        # remembered for NumPy arrays and PyTorch tensors only, whose plans are
        # cached objects (a JAX step gets a fresh plan: nothing would be reused)
        kind = type(array)
        host = (
            (kind is np.ndarray or kind.__module__ == "torch")
            and group.host
            and not traced
        )
        cache: dict[tuple[Any, int, int], Any] = self.__dict__.setdefault("_views", {})
        key = (index, id(plan), array.ndim)
        if host:
            hit = cache.get(key)
            if hit is not None and hit[0] is plan:
                return hit[1], hit[2]
        params, ints = self._arrays(group, plan, array)
        lead = next(
            (tuple(p.shape[: p.ndim - array.ndim]) for p in params
             if not isinstance(p, float)),
            (len(group.indices),),
        )  # fmt: skip
        view = group.view(params, ints)
        if host:
            if len(cache) >= 64:
                cache.clear()
            cache[key] = (plan, view, lead)
        return view, lead

    def _units(self, plan: Plan, traced: bool) -> list[tuple[Any, _Group]]:
        """The evaluations a call makes: a group each, or, where the steps'
        widest integer dtype cannot hold a group's edges (int32: JAX without
        x64, edges past 2**31 - 1), one per distinct set of edges in it."""
        if self._mapped:
            raise TypeError(
                f"jax.vmap maps over the members of one evaluation, and this "
                f"population's members are {self.groups} evaluations (they differ in "
                "structure, or in being 0 at an edge such as warmup_steps): call "
                "the population instead (its members are evaluated together), "
                "or vmap over a population of members of one evaluation"
            )
        units: list[tuple[Any, _Group]] = []
        for index, group in enumerate(self._groups):
            top = group.top
            if top is not None and any(
                not isinstance(v, float) and tuple(v.shape[:1]) != (len(group.indices),)
                for v in group.values
            ):
                raise _mapped_edges()
            if (
                top is None
                or top <= 2**31 - 1
                or top <= int(plan.xp.iinfo(plan.wide_int).max)
            ):
                units.append((index, group))
            else:
                parts = {} if traced else self.__dict__.setdefault("_splits", {})
                if index not in parts:
                    parts[index] = group.split()
                units.extend(((index, j), part) for j, part in enumerate(parts[index]))
        return units

    def _rates(self, plan: Plan, array: Array, traced: bool = False) -> Array:
        xp = plan.xp
        inner = _wrapped(plan, traced)
        pieces = []
        units = self._units(plan, traced)
        for index, group in units:
            view, lead = self._prepared(index, group, plan, array, traced)
            step = xp.reshape(array, (*((1,) * len(lead)), *array.shape))
            rates = type(view)._compose(view, inner, step)
            shape = (*lead, *array.shape)
            if tuple(rates.shape) != shape:
                rates = rates + xp.zeros(
                    shape, dtype=rates.dtype, device=_backend.xp_device(rates)
                )
            pieces.append(rates)
        if len(pieces) == 1:
            return pieces[0]
        order = [i for _, group in units for i in group.indices]
        inverse = np.empty(len(order), dtype=np.int64)
        inverse[np.asarray(order)] = np.arange(len(order))
        joined = xp.concat(pieces, axis=0)
        index_array = xp.asarray(inverse, device=_backend.xp_device(joined))
        return xp.take(joined, index_array, axis=0)


# ------------------------------------------------------------------ JAX pytrees


def _flatten_schedule(schedule: BaseLR) -> tuple[tuple[Any, ...], Any]:
    key, floats, ints = _structure(schedule)
    return tuple(floats), (key, tuple(ints), _Stand(schedule))


def _unflatten_schedule(aux: Any, leaves: Iterable[Any]) -> BaseLR:
    key, ints, stand = aux
    group = _Group((0,), key, stand.schedule, (), ints)
    return group.view(leaves)


def _flatten_population(population: Population) -> tuple[tuple[Any, ...], Any]:
    """A population's pytree: its leaves, one row per member of a group; with
    several groups, each group's values scattered into rows of all ``M``
    members (the group's own rows, the others its first value), so that every
    leaf has the member axis ``jax.vmap`` maps over, and a vmap over members of
    several evaluations is refused with a TypeError, not mapped wrongly."""
    groups = population._groups
    if len(groups) == 1:
        return population.leaves(), population._aux()
    count = len(population)
    out: list[Any] = []
    for group in groups:
        rows = np.asarray(group.indices)
        for value in group.values:
            out.append(_scatter(value, rows, count))
    return tuple(out), ("all members", count, population._aux())


def _scatter(value: Any, rows: np.ndarray, count: int) -> Any:
    """``value`` (a float, or one entry per row of ``rows``) at those rows of an
    array of ``count`` entries, the other entries its first value."""
    if isinstance(value, float):
        return np.full(count, value)
    if isinstance(value, np.ndarray):
        out = np.full(count, value[0])
        out[rows] = value
        return out
    import jax.numpy as jnp

    array = jnp.asarray(value)
    return jnp.full((count,), array[0], dtype=array.dtype).at[rows].set(array)


def _unflatten_population(aux: Any, leaves: Iterable[Any]) -> Population:
    if not (isinstance(aux, tuple) and aux and aux[0] == "all members"):
        return Population._from_leaves(aux, leaves)
    _, count, groups = aux
    taken: list[Any] = []
    mapped = False
    it = iter(leaves)
    for indices, _key, _stand, values, _ints in groups:
        rows = np.asarray(indices)
        for _ in range(values):
            leaf = next(it)
            shape = getattr(leaf, "shape", None)
            if shape is not None and tuple(shape[:1]) == (count,):
                leaf = leaf[rows]  # the group's own rows
            elif shape is not None and len(shape) == 0:
                mapped = True  # jax.vmap took the member axis away
            taken.append(leaf)
    population = Population._from_leaves(groups, taken)
    population._mapped = mapped
    return population


_REGISTERED: set[type] = set()


def register_jax() -> None:
    """Register :class:`Population` and every registered schedule class as JAX
    pytrees (idempotent; imports JAX).

    The leaves are the float values the formula reads (``float64`` NumPy values
    or arrays, one row per member for a population); the structure (integers,
    strings, flags, and the few floats a formula tests in Python) is static
    auxiliary data, so that integer edges stay exact Python integers under
    tracing.  Call it again after registering a schedule type of your own.
    """
    import jax

    if Population not in _REGISTERED:
        jax.tree_util.register_pytree_node(
            Population, _flatten_population, _unflatten_population
        )
        _REGISTERED.add(Population)
    for cls in BaseLR.registered_types().values():
        if cls not in _REGISTERED:
            jax.tree_util.register_pytree_node(
                cls, _flatten_schedule, _unflatten_schedule
            )
            _REGISTERED.add(cls)
