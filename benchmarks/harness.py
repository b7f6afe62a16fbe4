"""How the benchmarks time: a row of results, round-robin races, calls per
timing, and peak memory."""

from __future__ import annotations

import gc
import statistics
import time
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    case: str
    schedule: str
    impl: str
    seconds: float
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)


def race(
    impls: list[tuple[str, Callable[[], Any]]],
    repeat: int,
    sync: Callable[[Any], Any] = lambda r: r,
) -> dict[str, float]:
    """Median time of each implementation, the repeats taken round-robin so that
    a slow patch of a shared machine hits every peer alike."""
    for _, fn in impls:
        sync(fn())  # warm up (and compile)
    times: dict[str, list[float]] = {label: [] for label, _ in impls}
    # one collection first, then none while timing (as timeit does): with torch,
    # JAX and DeePMD-kit loaded a gc.collect() takes a quarter of a second
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for label, fn in impls:
                start = time.perf_counter()
                sync(fn())
                times[label].append(time.perf_counter() - start)
    finally:
        if enabled:
            gc.enable()
    return {label: statistics.median(t) for label, t in times.items()}


def per_call(fn: Callable[[], Any], number: int, repeat: int) -> float:
    runs = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(runs) / number


def peak_memory(fn: Callable[[], Any], nbytes: int) -> float:
    tracemalloc.start()  # counts what fn allocates from here: no collection needed
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / nbytes


def repeats(seconds_guess: float, quick: bool) -> tuple[int, int]:
    """(calls per timing, timings) for a call of about ``seconds_guess``."""
    budget = 0.02 if quick else 0.1
    number = max(1, min(20_000, int(budget / max(seconds_guess, 1e-7))))
    return number, 3 if quick else 7


def time_call(fn: Callable[[], Any], quick: bool) -> float:
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    number, repeat = repeats(first, quick)
    return per_call(fn, number, repeat)
