"""Parameter checks shared by every schedule.

Each check returns the value as a plain Python ``int``/``float``/``bool``/``str``
(NumPy scalars from a config become Python numbers) or raises a ``TypeError`` /
``ValueError`` whose message names the parameter and the value it got.
"""

from __future__ import annotations

import difflib
import itertools
import math
import numbers
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

MAX_STEP = 2**63 - 1
"""The largest step count a schedule accepts: the largest int64, so that every
step count and edge fits the integer arrays steps come in."""

MAX_NODES = 100_000
"""The most values (numbers, strings, list and dict entries) one parameter may
hold once expanded; more is refused, so that a YAML alias bomb of a few hundred
bytes costs an error, not minutes and gigabytes."""

MAX_DEPTH = 64
"""The deepest nesting of lists and dicts a parameter may have."""

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 6
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlong = 40


def short_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)``, bounded in depth, entries and length (for messages)."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose repr fails still gets a message
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _got(name: str, value: Any) -> str:
    return f"got {name}={short_repr(value)}"


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int = MAX_STEP
) -> int:
    """An integer (not a bool, not a float), ``>= minimum`` and ``<= maximum``
    (default: the largest int64)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, {_got(name, value)}")
    result = int(value)
    if minimum is not None and result < minimum:
        raise ValueError(f"{name} must be >= {minimum}, {_got(name, result)}")
    if result > maximum:
        raise ValueError(
            f"{name} must be <= {maximum}"
            f"{' (2**63 - 1, the largest int64)' if maximum == MAX_STEP else ''}, "
            f"{_got(name, result)}"
        )
    return result


def check_float(
    name: str,
    value: Any,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    at_most: float | None = None,
) -> float:
    """A finite real number (a bool is refused), with optional bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, {_got(name, value)}")
    try:
        result = float(value)
    except OverflowError:  # an int or Fraction beyond float range
        result = math.inf
    except (TypeError, ValueError) as exc:  # a Real that refuses float()
        raise TypeError(f"{name} must be a real number, {_got(name, value)}") from exc
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, {_got(name, value)}")
    if positive and not result > 0:
        raise ValueError(f"{name} must be > 0, {_got(name, value)}")
    if nonnegative and not result >= 0:
        raise ValueError(f"{name} must be >= 0, {_got(name, value)}")
    if at_most is not None and result > at_most:
        raise ValueError(f"{name} must be <= {at_most}, {_got(name, value)}")
    return result


def check_ratio(name: str, value: Any) -> float:
    """A fraction of the run: a real number in [0, 1]."""
    result = check_float(name, value, nonnegative=True)
    if result > 1:
        raise ValueError(f"{name} must be in [0, 1], {_got(name, value)}")
    return result


def bounded_copy(name: str, value: Any) -> Any:
    """An immutable copy of a parameter: lists become tuples, dicts read-only
    copies without their ``_``-prefixed (comment) keys, at every level.

    Raises ``ValueError`` when the value expands to more than :data:`MAX_NODES`
    values or nests deeper than :data:`MAX_DEPTH` (a YAML alias bomb, a
    self-referencing list), before anything walks it in full.
    """
    if not isinstance(value, (list, tuple, Mapping)):
        return value  # the common case: a number, a string, None, a schedule
    budget = [MAX_NODES]

    def copy(item: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise ValueError(
                f"{name} holds more than {MAX_NODES} values once expanded (a YAML "
                f"alias bomb?), got {name}={short_repr(value)}"
            )
        if depth > MAX_DEPTH:
            raise ValueError(
                f"{name} is nested more than {MAX_DEPTH} levels deep, "
                f"got {name}={short_repr(value)}"
            )
        if isinstance(item, Mapping):
            return MappingProxyType(
                {
                    k: copy(v, depth + 1)
                    for k, v in item.items()
                    if not (isinstance(k, str) and k.startswith("_"))
                }
            )
        if isinstance(item, (list, tuple)):
            return tuple(copy(v, depth + 1) for v in item)
        return item

    return copy(value, 0)


def check_boundaries(name: str, value: Any) -> tuple[int, ...]:
    """A list of strictly increasing steps, each a positive integer."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of steps, {_got(name, value)}")
    marks = tuple(check_int(f"{name}[{i}]", b, minimum=1) for i, b in enumerate(value))
    if any(b >= c for b, c in itertools.pairwise(marks)):
        raise ValueError(f"{name} must be strictly increasing, {_got(name, value)}")
    return marks


def check_bool(name: str, value: Any) -> bool:
    """A real ``bool``; ``0``/``1`` or ``"true"`` are refused (configs are exact)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be true or false, {_got(name, value)}")
    return value


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """One of ``choices``; the error suggests the closest one."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        hint = suggest(value, options) if isinstance(value, str) else ""
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, options))}, "
            f"{_got(name, value)}{hint}"
        )
    return value


def suggest(word: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``options``, or ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
