"""The ``population`` case: 1,000 schedules in one call (arraylr.Population)
against a Python loop over the 1,000 single schedules (NumPy, PyTorch), and
under ``jax.jit`` against optax's ``jit(vmap(...))`` over ``init_value``.

Rows (``x arraylr`` = time / the population's time):

* ``population numpy``/``population torch``, schedule ``cosine (1 step)``: the
  training-loop case, one step for every member (a Python int for the loop,
  the scalar route; a 0-d array or tensor for the population),
  ``cosine (100 steps)``, and ``cosine (1 step, warmups and lengths vary)``:
  members with a ``warmup_steps`` and a ``num_steps`` each (still one
  evaluation: integer edges are arrays);
* ``population jax``: 1,000 members x 10,000 int32 steps under ``jax.jit``
  (float32), for ``cosine`` (``optax.cosine_decay_schedule``), ``linear``
  (``optax.linear_schedule``) and ``exp`` (``optax.exponential_decay``), each
  vmapped over ``init_value``; and ``one schedule, 10^7 steps``: a single
  schedule over as many steps as the population has elements (the per-element
  cost).  optax cannot vmap ``warmup_cosine_decay_schedule`` over
  ``peak_value`` (a ``TracerBoolConversionError``), nor any integer parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import arraylr

from . import harness
from .baselines import have
from .harness import Row

MEMBERS = 1_000
STEPS = 10_000


def _starts(count: int) -> list[float]:
    return list(np.geomspace(1e-4, 1e-2, count))


def _cosine(count: int, n: int, warmup: int) -> arraylr.Population:
    return arraylr.Population.sweep(
        {
            "type": "cosine",
            "stop_lr_ratio": 0.01,
            "num_steps": n,
            "warmup_steps": warmup,
        },
        start_lr=_starts(count),
    )


def _edges(count: int) -> arraylr.Population:
    """Members differing in their integer edges too: a warmup and a length each
    (one vectorised evaluation, every edge compared exactly)."""
    return arraylr.Population(
        [
            {
                "type": "cosine",
                "start_lr": start,
                "stop_lr_ratio": 0.01,
                "num_steps": 15_000 + 10 * i,
                "warmup_steps": 500 + i,
            }
            for i, start in enumerate(_starts(count))
        ]
    )


def _loop_rows(
    case: str, members: int, step: Any, steps: Any, repeat: int
) -> list[Row]:
    rows = []
    one = int(step)
    varied = _edges(members)
    assert varied.groups == 1
    for label, population, at, loop_at in (
        ("1 step", _cosine(members, 20_000, 1_000), step, one),
        ("100 steps", _cosine(members, 20_000, 1_000), steps, steps),
        ("1 step, warmups and lengths vary", varied, step, one),
    ):
        singles = list(population)
        got = np.asarray(population(at), dtype=np.float64).reshape(members, -1)
        want = np.stack(
            [np.asarray(s(loop_at), dtype=np.float64).reshape(-1) for s in singles]
        )
        assert np.max(np.abs(got - want)) <= 4 * 2.3e-16 * 1e-2, (case, label)
        impls: list[tuple[str, Callable[[], Any]]] = [
            ("arraylr Population (one call)", lambda at=at: population(at)),
            (
                f"Python loop over {members:,} schedules",
                lambda a=loop_at: [s(a) for s in singles],
            ),
        ]
        for impl, seconds in harness.race(impls, repeat).items():
            rows.append(Row(case, f"cosine ({label})", impl, seconds))
    return rows


def _jax_rows(repeat: int) -> list[Row]:
    import jax
    import jax.numpy as jnp

    rows: list[Row] = []
    steps = jnp.arange(STEPS, dtype=jnp.int32)
    starts = _starts(MEMBERS)
    values = jnp.asarray(starts, dtype=jnp.float32)
    sync = lambda r: r.block_until_ready()
    total = STEPS - 1
    cases: dict[str, tuple[dict[str, Any], Any]] = {
        "cosine": ({"type": "cosine", "stop_lr_ratio": 0.01}, None),
        "linear": ({"type": "linear", "stop_lr": 1e-6}, None),
        "exp": (
            {"type": "exp", "stop_lr": 1e-6, "decay_steps": 100, "decay_rate": 0.9},
            None,
        ),
    }
    optax = None
    if have("optax"):
        import optax

        cases["cosine"] = (
            cases["cosine"][0],
            lambda v: optax.cosine_decay_schedule(v, total, alpha=0.01)(steps),
        )
        cases["linear"] = (
            cases["linear"][0],
            lambda v: optax.linear_schedule(v, 1e-6, total)(steps),
        )
        cases["exp"] = (
            cases["exp"][0],
            lambda v: optax.exponential_decay(
                v, 100, 0.9, staircase=True, end_value=1e-6
            )(steps),
        )
    for name, (config, peer) in cases.items():
        population = arraylr.Population.sweep(
            {**config, "start_lr": 1e-3, "num_steps": total}, start_lr=starts
        )
        ours = jax.jit(lambda: population(steps))
        impls: list[tuple[str, Callable[[], Any]]] = [
            ("arraylr Population under jit", ours)
        ]
        if peer is not None:
            theirs = jax.jit(lambda peer=peer: jax.vmap(peer)(values))
            # the same rates, within float32 rounding of the two formulas
            gap = float(jnp.max(jnp.abs(ours() - theirs())))
            assert gap <= 1e-2 * 1e-5, (name, gap)
            impls.append(("optax jit(vmap) over init_value", theirs))
        if name == "cosine":
            single = arraylr.BaseLR(**{**config, "start_lr": 1e-3, "num_steps": total})
            many = jnp.arange(MEMBERS * STEPS, dtype=jnp.int32) % STEPS
            impls.append(
                (
                    f"one schedule, {MEMBERS * STEPS:,} steps",
                    jax.jit(lambda: single(many)),
                )
            )
        for impl, seconds in harness.race(impls, repeat, sync).items():
            rows.append(
                Row(
                    "population jax", f"{name} ({MEMBERS:,} x {STEPS:,})", impl, seconds
                )
            )
    if optax is not None:
        try:
            jax.vmap(
                lambda v: optax.warmup_cosine_decay_schedule(0.0, v, 100, total)(steps)
            )(values)
            note = "vmaps"
        except Exception as exc:
            note = type(exc).__name__
        rows[-1].note = f"optax warmup_cosine_decay_schedule over peak_value: {note}"
    return rows


def case_population(n: int, quick: bool) -> list[Row]:
    rows: list[Row] = []
    repeat = 3 if quick else 9
    rows += _loop_rows(
        "population numpy",
        MEMBERS,
        np.asarray(12_345),
        np.linspace(0, 20_000, 100).astype(np.int64),
        repeat,
    )
    if have("torch"):
        import torch

        rows += _loop_rows(
            "population torch",
            MEMBERS,
            torch.tensor(12_345),
            torch.linspace(0, 20_000, 100).to(torch.int64),
            repeat,
        )
    if have("jax"):
        rows += _jax_rows(repeat)
    return rows
