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
from collections.abc import Iterable, Sequence
from typing import Any


def _got(name: str, value: Any) -> str:
    return f"got {name}={value!r}"


def check_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer (not a bool, not a float), optionally ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, {_got(name, value)}")
    result = int(value)
    if minimum is not None and result < minimum:
        raise ValueError(f"{name} must be >= {minimum}, {_got(name, result)}")
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
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, {_got(name, value)}")
    if positive and not result > 0:
        raise ValueError(f"{name} must be > 0, {_got(name, value)}")
    if nonnegative and not result >= 0:
        raise ValueError(f"{name} must be >= 0, {_got(name, value)}")
    if at_most is not None and result > at_most:
        raise ValueError(f"{name} must be <= {at_most}, {_got(name, value)}")
    return result


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
