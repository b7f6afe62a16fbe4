"""Exact-edge arithmetic: where an integer edge lies among the steps of a dtype.

A phase edge is an integer step.  Integer steps are compared with it as integers
(:func:`exceeds_dtype` tells when no step of a dtype reaches it); floating steps
with the edge rounded up to their dtype (:func:`ceil_float`), so that no step lands
on the wrong side of an edge the dtype cannot hold; and a difference ``edge - t``
near the edge is formed with one rounding from a hi+lo split of the edge
(:func:`split_float`).  Also the float32 range every rate must fit
(:data:`FLOAT32_MAX`, :data:`FLOAT32_TINY`).  Ground layer: imports nothing of
arraylr but the scalar module's type names.

An edge is a Python ``int`` for a schedule.  For a population
(:mod:`arraylr.population`) it may be an integer *array* of one edge per member
(shape ``(k, 1, ..., 1)``, the widest signed integer dtype of the step's
namespace, every value fitting it, none 0): :func:`as_float`,
:func:`ceil_edge`, :func:`split_edge`, :func:`is_zero` and :func:`exceeds_dtype`
take either, so that a formula written against them serves both, the Python
int through the cached scalar functions, the array with the same roundings
done element-wise by the namespace.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._scalar import Array, Namespace

__all__ = [
    "FLOAT32_MAX",
    "FLOAT32_TINY",
    "FLUSH_SCALE",
    "as_float",
    "ceil_edge",
    "ceil_float",
    "exceeds_dtype",
    "float_bits",
    "is_zero",
    "split_edge",
    "split_float",
]

FLOAT32_MAX = float(np.finfo(np.float32).max)
"""The largest float32: every rate a schedule can give is at most this."""

FLOAT32_TINY = float(np.finfo(np.float32).smallest_normal)
"""The smallest normal float32: the least ``start_lr`` a schedule accepts."""

FLUSH_SCALE = FLOAT32_TINY / (8 * float(np.finfo(np.float32).eps))
"""1.23e-32: the least scale ``S`` at which a backend that flushes subnormal
float32 results to 0 (XLA: JAX on CPU and GPU) keeps the float32 bound, since
a flushed rate is off by less than ``FLOAT32_TINY <= 8 eps32 S``."""


def exceeds_dtype(xp: Namespace, array: Array, value: int | Array) -> bool:
    """Whether the Python int ``value`` lies past the largest value of ``array``'s
    integer dtype: an edge no step of that dtype reaches (JAX without x64 holds
    steps as int32).  Values that fit int32 answer without asking the dtype.
    An array of edges (a population's) fits the dtype by construction: False."""
    if type(value) is not int:
        return False
    return value > 2**31 - 1 and value > int(xp.iinfo(array.dtype).max)


def is_zero(value: int | Array) -> bool:
    """Whether an edge is 0 (a population's array of edges never is: members
    whose edge is 0 take other code paths, and are evaluated apart)."""
    return type(value) is int and value == 0


def as_float(value: int | Array, xp: Namespace, like: Any) -> Any:
    """The edge as a float of ``like``'s dtype, rounded to nearest, as a Python
    int is rounded when it meets an array of that dtype (``float(value)`` for
    an int; ``like`` may then be a Python number)."""
    if type(value) is int:
        return float(value)
    return xp.astype(value, like.dtype)


def _rest(xp: Namespace, value: Array, near: Array) -> Array:
    """``value - near`` exactly, in integers, for integer edges ``value`` and
    their rounding ``near`` to a floating dtype (which may be the top power of
    two, one past the integer dtype: then in two steps of half of it)."""
    bits = int(xp.iinfo(value.dtype).bits)
    half = 2 ** (bits - 2)
    over = near >= 2.0 ** (bits - 1)
    back = xp.astype(xp.where(over, float(half), near), value.dtype)
    rest = value - back
    return xp.where(over, rest - half, rest)  # value - 2 half = value - near


def ceil_edge(value: int | Array, xp: Namespace, dtype: object) -> Any:
    """:func:`ceil_float` of an edge in ``dtype`` (a real floating dtype of
    ``xp``): for an array, element-wise, the nearest float moved up one ulp
    where it lies below the edge (compared exactly, in integers)."""
    if type(value) is int:
        return ceil_float(value, float_bits(xp, dtype))
    near = xp.astype(value, dtype)
    rest = _rest(xp, value, near)
    up = xp.nextafter(near, xp.full_like(near, math.inf))
    return xp.where(rest > 0, up, near)


def split_edge(value: int | Array, xp: Namespace, like: Any) -> tuple[Any, Any]:
    """:func:`split_float` of an edge in ``like``'s dtype, ``lo`` ``None``
    where it is 0 for a Python int (an array's ``lo`` is always an array)."""
    if type(value) is int:
        hi, lo = split_float(value, float_bits(xp, like.dtype))
        return hi, (lo if lo else None)
    hi = xp.astype(value, like.dtype)
    rest = _rest(xp, value, hi)
    return hi, xp.astype(rest, like.dtype)


_BITS: dict[tuple[type, Any], int] = {}


def float_bits(xp: Namespace, dtype: object) -> int:
    """The width in bits of the real floating dtype ``dtype`` (cached)."""
    # keyed with the dtype's type first: dtypes of different libraries are then
    # never compared with each other (array-api-strict warns when they are)
    key = (type(dtype), dtype)
    try:
        bits = _BITS.get(key)
    except TypeError:  # an unhashable dtype object
        return int(xp.finfo(dtype).bits)
    if bits is None:
        bits = int(xp.finfo(dtype).bits)
        if len(_BITS) < 256:
            _BITS[key] = bits
    return bits


_CEIL: dict[tuple[int, int], float] = {}
_SPLIT: dict[tuple[int, int], tuple[float, float]] = {}


def _memo(table: dict[Any, Any], key: tuple[int, int], compute: Any) -> Any:
    """``compute(*key)``, remembered in ``table`` (a plain dict rather than
    ``functools.lru_cache``, which torch.compile warns about)."""
    cached = table.get(key)
    if cached is None:
        cached = compute(*key)
        if len(table) < 4096:
            table[key] = cached
    return cached


def ceil_float(value: int, bits: int) -> float:
    """The smallest float of width ``bits`` (32 or 64) that is ``>= value``.

    For a floating step ``t`` of that width, ``t < value`` exactly when
    ``t < ceil_float(value, bits)``: comparing with the rounded-up constant puts
    every step on the right side of an integer edge, also past 2**24 (float32) or
    2**53 (float64), where rounding the edge to nearest would not.
    """
    return float(_memo(_CEIL, (value, bits), _ceil_float))


def _ceil_float(value: int, bits: int) -> float:
    if value >= 2**1024:
        return math.inf
    up = float(value)
    if up < value:
        up = math.nextafter(up, math.inf)
    if bits <= 32:
        narrow = float(np.float32(up)) if abs(up) < 3.4e38 else math.inf
        if narrow < up:
            narrow = float(np.nextafter(np.float32(narrow), np.float32(np.inf)))
        return narrow
    return up


def split_float(value: int, bits: int) -> tuple[float, float]:
    """``(hi, lo)``, floats of width ``bits`` with ``hi + lo == value`` to twice
    the precision: ``(hi - t) + lo`` is then ``value - t`` with one rounding for
    steps ``t`` near ``value`` (``hi - t`` is exact there, by Sterbenz's lemma)."""
    hi, lo = _memo(_SPLIT, (value, bits), _split_float)
    return float(hi), float(lo)


def _split_float(value: int, bits: int) -> tuple[float, float]:
    if bits <= 32:
        hi = float(np.float32(value)) if abs(value) < 3.4e38 else math.inf
        lo = float(np.float32(value - int(hi))) if math.isfinite(hi) else 0.0
    else:
        hi = float(value)
        lo = float(value - int(hi))
    return hi, lo
