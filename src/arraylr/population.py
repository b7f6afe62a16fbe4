r"""Populations: many schedules of one type, evaluated in one vectorised call.

A :class:`Population` holds ``M`` schedules of one type (its *members*) and
evaluates them together: at steps of shape ``S`` it returns rates of shape
``(M, *S)`` with

.. math::

    \mathrm{rates}[i, \ldots] = \eta_i(\mathrm{steps}[\ldots]),

computed by the family's own formula, written once (:meth:`BaseLR._compose` and
the family's ``_decay_value``): the members' float parameters are handed to it
as arrays of shape ``(k, 1, ..., 1)`` that broadcast against the steps, so the
formula runs once for ``k`` members, with no Python loop over them.

What may vary per member, and how
---------------------------------
A schedule's formula reads its parameters as attributes of the schedule.  Every
attribute is sorted into one of three kinds, once, when the population is built:

* **float values** (``start_lr``, ``stop_lr``, ``lr_min_factor``, a plateau's
  level, ``exp``'s ``_log_rate``, ...): held as one array per value, a member per
  row.  They may differ between any members.
* **structure**: integers (``num_steps``, ``warmup_steps``, ``decay_steps``,
  ``period``, every phase edge), strings and flags (``warmup_type``,
  ``decay_type``, ``smooth``), child schedules, and the few floats a formula
  tests in Python (cosine's and polynomial's ``exponent``/``power`` against 1,
  cosine_restarts' table of peaks, cyclic's ``gamma``).  Members are put in
  *groups* of equal structure; each group is one vectorised evaluation, and the
  rates are put back in member order.

Integer parameters are structure, not arrays, because the formulas compare
steps with them *exactly* (an integer step with an integer edge, a floating
step with the edge rounded up to its dtype, see ``arraylr._exact``), build
plateaus and tables from them in Python, and pick a code path by them (an edge
past the range of the step's dtype).  A population whose members differ only in
float parameters is therefore one evaluation; one that also varies
``warmup_steps`` over ``n`` values is ``n`` evaluations (one per distinct
structure), each vectorised over its members, and each member's phase edges are
exactly its own.  :attr:`Population.groups` says how many there are.

A population holds one schedule type: members of different types are refused
with a ``TypeError`` naming both (build one population per type).

JAX
---
:func:`register_jax` registers :class:`Population` and every registered
schedule class as JAX pytrees: the float values are the leaves, the structure
is static (auxiliary data).  A population or a schedule can then be an argument
of a ``jax.jit`` function (a new population of the same structure reuses the
compiled function), and ``jax.vmap`` maps over the members of a population of
one group.  ``jax.grad`` of a loss with respect to a schedule (or a population)
gives, in the same shape, the derivative with respect to each float value the
formula reads *as the formula reads it*: ``start_lr`` with ``lr_min_factor``
held fixed, say, not with ``stop_lr`` held fixed.

Gradients with respect to a config's parameters
-----------------------------------------------
:meth:`Population.with_parameters` takes float parameters of the config
(``start_lr``, ``stop_lr`` or ``stop_lr_ratio``, ``warmup_start_factor``, exp's
``decay_rate``, inverse_sqrt's ``timescale``) as arrays of any library (JAX
tracers, PyTorch tensors with ``requires_grad``) and derives the values the
formula reads from them with that library's operations, as the type's
``__init__`` does (the table ``_DERIVE``; the tests check that both give the
members' rates), so that ``jax.grad`` and autograd give d rate / d parameter.
Supported types: exp, cosine, wsd, constant, linear, polynomial, inverse_sqrt.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import array_api_compat
import numpy as np

from . import _backend
from ._backend import HOST, Plan
from ._exact import FLOAT32_MAX
from ._scalar import Array, Namespace
from ._validation import short_repr
from .base import BaseLR
from .cosine import LearningRateCosine
from .cosine_restarts import LearningRateCosineRestarts
from .cyclic import LearningRateCyclic
from .exponential import LearningRateExp
from .inverse_sqrt import LearningRateInverseSqrt
from .polynomial import LearningRateConstant, LearningRatePolynomial
from .wsd import LearningRateWSD

__all__ = ["Population", "register_jax"]


def _is_one(value: float) -> bool:
    return value == 1.0


_STRUCTURE = "structure"
"""A float attribute held as structure: members of a group share its value."""

_RULES: dict[type, dict[str, Any]] = {
    # exponent/power: tested against 1 in Python; the formula reads the float
    # copies _double_exponent/_power, which may vary
    LearningRateCosine: {"exponent": _is_one},
    LearningRatePolynomial: {"power": _is_one},
    # the table of cycle peaks is built in Python and indexed by the formula
    LearningRateCosineRestarts: {
        "peak_decay": _is_one,
        "_peaks": _STRUCTURE,
        "_lengths": _STRUCTURE,
        "_growth": _STRUCTURE,  # gamma**n of growing peaks (a table, indexed)
    },
    # _log_gamma is tested against 0 in Python, and read
    LearningRateCyclic: {"gamma": _STRUCTURE, "_log_gamma": _STRUCTURE},
}
"""Float attributes that are not held as arrays, by class (looked up along the
MRO): ``_STRUCTURE`` (grouped by value) or a predicate (grouped by its result;
the formula only compares the attribute, so a group hands it the value of its
first member)."""

_SKIP = frozenset({"_params", "_frozen"})


class _Free:
    """The mark of a float value held as an array in a group's key."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FREE"


_FREE = _Free()


def _rules(cls: type) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        rules.update(_RULES.get(klass, {}))
    return rules


def _key(value: Any, rule: Any, floats: list[float]) -> Any:
    """The structure of an attribute's value, its float values (appended to
    ``floats``) replaced by :data:`_FREE`."""
    if rule is _STRUCTURE:
        return ("v", value)
    if rule is not None:
        return ("b", bool(rule(value)))
    return _walk(value, floats)


def _walk(value: Any, floats: list[float]) -> Any:
    if type(value) is float:
        floats.append(value)
        return _FREE
    if type(value) is tuple:
        return ("t", tuple(_walk(v, floats) for v in value))
    try:
        hash(value)
    except TypeError:  # unhashable: a structure of its own (by identity)
        return ("id", id(value))
    return ("v", value)


def _fill(value: Any, key: Any, values: Iterator[Any]) -> Any:
    """``value`` with the float values marked free in ``key`` taken from
    ``values`` in order."""
    if key is _FREE:
        return next(values)
    if key[0] == "t":
        return tuple(_fill(v, k, values) for v, k in zip(value, key[1], strict=True))
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


def _structure(schedule: BaseLR) -> tuple[tuple[Any, ...], list[float]]:
    """``(key, floats)``: the schedule's structure (equal for schedules a group
    can hold) and its float values in the key's order."""
    rules = _rules(type(schedule))
    floats: list[float] = []
    # the parameters a config gives (stop_lr or stop_lr_ratio, a decay_rate
    # given or derived): with_parameters derives a group's values from them
    given = tuple(sorted(k for k, v in schedule._params.items() if v is not None))
    parts: list[Any] = [("(given)", ("v", given))]
    for name in sorted(schedule.__dict__):
        if name in _SKIP:
            continue
        parts.append((name, _key(schedule.__dict__[name], rules.get(name), floats)))
    return (type(schedule), tuple(parts)), floats


class _Group:
    """Members of one structure: their indices, the key, and each float value
    as a NumPy float64 array of one entry per member (a Python float where the
    members share it)."""

    __slots__ = ("indices", "key", "stand", "values")

    def __init__(
        self,
        indices: tuple[int, ...],
        key: tuple[Any, ...],
        stand: BaseLR,
        values: tuple[Any, ...],
    ) -> None:
        self.indices = indices
        self.key = key
        self.stand = stand
        self.values = values

    def view(self, values: Iterable[Any]) -> BaseLR:
        """A schedule object of the members' class whose float values are
        ``values`` (arrays, one row per member), for the formula to read."""
        stand = self.stand
        view = object.__new__(type(stand))
        attrs = dict(stand.__dict__)
        it = iter(values)
        for name, key in self.key[1]:
            if key is _FREE or key[0] == "t":
                attrs[name] = _fill(attrs[name], key, it)
        view.__dict__.update(attrs)
        return view


def _groups(members: Sequence[BaseLR]) -> tuple[_Group, ...]:
    found: dict[Any, list[int]] = {}
    floats: list[list[float]] = []
    for i, member in enumerate(members):
        key, drawn = _structure(member)
        found.setdefault(key, []).append(i)
        floats.append(drawn)
    groups = []
    for key, indices in found.items():
        columns = zip(*(floats[i] for i in indices), strict=True)
        values: tuple[Any, ...] = tuple(
            column[0]
            if all(v == column[0] for v in column)
            else np.asarray(column, dtype=np.float64)
            for column in columns
        )
        groups.append(_Group(tuple(indices), key, members[indices[0]], values))
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


def _wrapped(plan: Plan) -> Plan:
    cached = _WRAPPED.get(id(plan))
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
    if len(_WRAPPED) < 256:
        _WRAPPED[id(plan)] = (plan, wrapped)
    return wrapped


# ------------------------------------------- parameters -> what a formula reads


def _base_values(p: dict[str, Any], stand: BaseLR, stop: Any) -> dict[str, Any]:
    """BaseLR's float values from ``start_lr``, ``stop`` and the warmup factor."""
    start = p["start_lr"]
    factor = p.get("warmup_start_factor", stand.warmup_start_factor)
    warm = factor * start
    return {
        "start_lr": start,
        "stop_lr": stop,
        "warmup_start_factor": factor,
        "warmup_start_lr": warm,
        "_warmup_slope": (start - warm) / max(stand.warmup_steps, 1),
    }


def _stop(p: dict[str, Any]) -> Any:
    if "stop_lr_ratio" in p:
        return p["start_lr"] * p["stop_lr_ratio"]
    return p["stop_lr"]


def _derive_cosine(p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
    out = _base_values(p, s, _stop(p))
    factor = out["stop_lr"] / out["start_lr"]
    out.update(lr_min_factor=factor, _half_span=0.5 * (1 - factor))
    if s.decay_num_steps > 0:
        out["_plateaus"] = ((s.decay_num_steps, None, out["start_lr"] * factor),)
    return out


def _derive_polynomial(p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
    out = _base_values(p, s, _stop(p))
    if s.decay_num_steps > 0:
        out["_plateaus"] = ((s.decay_num_steps, None, out["stop_lr"]),)
    return out


def _derive_constant(p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
    return _base_values(p, s, p["start_lr"])


def _derive_wsd(p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
    out = _base_values(p, s, _stop(p))
    if hasattr(s, "_ratio"):  # inverse_linear: larger rate / smaller rate
        start, stop = out["start_lr"], out["stop_lr"]
        ratio = xp.maximum(start, stop) / xp.minimum(start, stop)
        out["_ratio"] = xp.minimum(ratio, FLOAT32_MAX)
    plateaus: list[Any] = [(s.decay_num_steps, None, out["stop_lr"])]
    if s.stable_steps > 0:
        plateaus.insert(0, (0, s.stable_steps, out["start_lr"]))
    out["_plateaus"] = tuple(plateaus)
    return out


def _derive_inverse_sqrt(p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
    out = _base_values(p, s, _stop(p))
    timescale = p.get("timescale", s.timescale)
    out.update(timescale=timescale, _inverse_timescale=1.0 / timescale)
    return out


def _derive_exp(p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
    out = _base_values(p, s, _stop(p))
    start, stop = out["start_lr"], out["stop_lr"]
    if "decay_rate" in p:
        rate = p["decay_rate"]
    elif s.decay_num_steps == 0:
        rate = 1.0 + 0.0 * start
    else:
        floor = xp.maximum(stop, 1e-10)
        rate = xp.exp(xp.log(floor / start) / (s.decay_num_steps / s.decay_steps))
    out.update(
        decay_rate=rate,
        _log_rate=xp.log(rate),
        min_lr=stop,
        _flat_lr=xp.maximum(start, stop),
    )
    return out


_DERIVE: dict[type, tuple[tuple[str, ...], Any]] = {
    LearningRateCosine: (("start_lr", "stop_lr", "stop_lr_ratio"), _derive_cosine),
    LearningRatePolynomial: (
        ("start_lr", "stop_lr", "stop_lr_ratio"),
        _derive_polynomial,
    ),
    LearningRateConstant: (("start_lr",), _derive_constant),
    LearningRateWSD: (("start_lr", "stop_lr", "stop_lr_ratio"), _derive_wsd),
    LearningRateInverseSqrt: (
        ("start_lr", "stop_lr", "stop_lr_ratio", "timescale"),
        _derive_inverse_sqrt,
    ),
    LearningRateExp: (
        ("start_lr", "stop_lr", "stop_lr_ratio", "decay_rate"),
        _derive_exp,
    ),
}
"""Per type: the float parameters :meth:`Population.with_parameters` takes, and
the float values the formula reads, computed from them with ``xp`` operations
(the arithmetic of the type's ``__init__``; ``tests/test_population.py`` checks
that both give the same values).  Other types are not supported there yet."""


def _collect(value: Any, key: Any, out: list[Any]) -> None:
    """Append the values of ``value`` at the positions ``key`` marks free."""
    if key is _FREE:
        out.append(value)
    elif key[0] == "t":
        for v, k in zip(value, key[1], strict=True):
            _collect(v, k, out)


def _free_count(key: Any) -> int:
    if key is _FREE:
        return 1
    if key[0] == "t":
        return sum(_free_count(k) for k in key[1])
    return 0


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
                "this population was rebuilt by JAX from transformed leaves "
                "(inside jax.jit/vmap/grad): it evaluates, but has no member "
                "schedules"
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
        return (Population, (list(self.members),))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Population):
            return NotImplemented
        return self.members == other.members

    def __hash__(self) -> int:
        return hash(self.members)

    def __repr__(self) -> str:
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
        ``decay_rate`` (exp, where given) and ``timescale`` (inverse_sqrt,
        where given).  Types: exp, cosine, wsd, constant, linear, polynomial,
        inverse_sqrt (others raise ``TypeError``).
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
        for name, value in values.items():
            if tuple(value.shape) != (count,):
                raise ValueError(
                    f"{name} must hold one value per member (shape ({count},)), got "
                    f"shape {tuple(value.shape)}"
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
            derived = derive(p, stand, xp)
            it = iter(group.values)
            for name, key in group.key[1]:
                taken = [next(it) for _ in range(_free_count(key))]
                if name in derived:
                    _collect(derived[name], key, leaves)
                else:
                    leaves.extend(taken)
        return Population._from_leaves(self._aux(), leaves)

    def _derivation(self) -> tuple[tuple[str, ...], Any]:
        cls: Any = type(self._groups[0].stand)
        for klass in cls.__mro__:
            if klass in _DERIVE:
                return _DERIVE[klass]
        raise TypeError(
            f"with_parameters/parameters do not support {cls.__name__} "
            f"(type={cls.type_name!r}) yet; supported: "
            + ", ".join(sorted(str(getattr(k, "type_name", k)) for k in _DERIVE))
        )

    def _aux(self) -> tuple[Any, ...]:
        return tuple(
            (group.indices, group.key, _Stand(group.stand), len(group.values))
            for group in self._groups
        )

    @staticmethod
    def _from_leaves(aux: Any, leaves: Iterable[Any]) -> Population:
        population = object.__new__(Population)
        it = iter(leaves)
        groups = []
        for indices, key, stand, count in aux:
            values = tuple(itertools.islice(it, count))
            groups.append(_Group(indices, key, stand.schedule, values))
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
        route, plan, array, _ = _backend.prepare(step, dtype)
        if route == HOST:
            if all(
                isinstance(v, (float, np.ndarray))
                for group in self._groups
                for v in group.values
            ):  # a small PyTorch CPU tensor: NumPy on its memory, as a single
                # schedule takes it (a PyTorch operation costs more to dispatch
                # than the few elements it computes)
                rates = self.value(array, _backend.host_dtype(plan))
                return _backend.from_host(rates)
            # values held as tensors (with_parameters): PyTorch's operations
            route, plan, array, _ = _backend.prepare(step, dtype, inner=True)
        # one expression (no blocks: the member axis is the population's own)
        return _backend.finish(plan, array, self._rates(plan, array), None)

    __call__ = value

    def _arrays(self, group: _Group, plan: Plan, array: Array) -> list[Any]:
        """The group's float values as arrays of the step's namespace, compute
        dtype and device, shaped ``(k, 1, ..., 1)`` against the steps."""
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
        return out

    def _prepared(
        self, index: int, plan: Plan, array: Array
    ) -> tuple[BaseLR, tuple[int, ...]]:
        """Group ``index``'s view (its float values as arrays against steps of
        ``array.ndim`` axes) and the shape of its member axes; remembered per
        plan where the values are NumPy's (the plans of NumPy and PyTorch
        arrays are cached objects: a training loop's step pays for none of it)."""
        group = self._groups[index]
        # remembered for NumPy arrays and PyTorch tensors only, whose plans are
        # cached objects (a JAX step gets a fresh plan: nothing would be reused)
        kind = type(array)
        host = (kind is np.ndarray or kind.__module__ == "torch") and all(
            isinstance(v, (float, np.ndarray)) for v in group.values
        )
        cache: dict[tuple[int, int, int], Any] = self.__dict__.setdefault("_views", {})
        key = (index, id(plan), array.ndim)
        if host:
            hit = cache.get(key)
            if hit is not None and hit[0] is plan:
                return hit[1], hit[2]
        params = self._arrays(group, plan, array)
        lead = next(
            (tuple(p.shape[: p.ndim - array.ndim]) for p in params
             if not isinstance(p, float)),
            (len(group.indices),),
        )  # fmt: skip
        view = group.view(params)
        if host:
            if len(cache) >= 64:
                cache.clear()
            cache[key] = (plan, view, lead)
        return view, lead

    def _rates(self, plan: Plan, array: Array) -> Array:
        xp = plan.xp
        inner = _wrapped(plan)
        pieces = []
        for index in range(len(self._groups)):
            view, lead = self._prepared(index, plan, array)
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
        order = [i for group in self._groups for i in group.indices]
        inverse = np.empty(len(order), dtype=np.int64)
        inverse[np.asarray(order)] = np.arange(len(order))
        joined = xp.concat(pieces, axis=0)
        index_array = xp.asarray(inverse, device=_backend.xp_device(joined))
        return xp.take(joined, index_array, axis=0)


# ------------------------------------------------------------------ JAX pytrees


def _flatten_schedule(schedule: BaseLR) -> tuple[tuple[Any, ...], Any]:
    key, floats = _structure(schedule)
    return tuple(floats), (key, _Stand(schedule))


def _unflatten_schedule(aux: Any, leaves: Iterable[Any]) -> BaseLR:
    key, stand = aux
    group = _Group((0,), key, stand.schedule, ())
    return group.view(leaves)


def _flatten_population(population: Population) -> tuple[tuple[Any, ...], Any]:
    return population.leaves(), population._aux()


def _unflatten_population(aux: Any, leaves: Iterable[Any]) -> Population:
    return Population._from_leaves(aux, leaves)


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
