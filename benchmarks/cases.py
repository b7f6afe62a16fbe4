"""The benchmark cases: each times arraylr beside its peers on one kind of call
and returns rows (see run.py for the list)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import arraylr

from . import harness
from .baselines import (
    DECAY_STEPS,
    LR0,
    STOP,
    WARM_FRAC,
    bare_functions,
    configs,
    have,
    numpy_baselines,
    reference_module,
    torch_baselines,
)
from .harness import Row
from .population import case_population


def case_scalar(n: int, quick: bool) -> list[Row]:
    rows = []
    ref = reference_module()
    bare = bare_functions(n)
    number, repeat = (20_000, 3) if quick else (200_000, 7)
    # a step in the decay ramp of each schedule; for wsd also one in its stable
    # phase, where a bare function returns early and arraylr still runs its formula
    points = [("cosine", 0.6), ("exp", 0.6), ("wsd", 0.95), ("wsd", 0.6)]
    for name, where in points:
        config = configs(n)[name]
        step = int(n * where)
        label = (
            name if name != "wsd" else f"wsd ({'decay' if where > 0.9 else 'stable'})"
        )
        lr = arraylr.BaseLR(**config)
        assert abs(bare[name](step) - lr(step)) <= 1e-15, name
        rows.append(
            Row(
                "scalar",
                label,
                "arraylr lr(step)",
                harness.per_call(lambda: lr(step), number, repeat),
            )
        )
        rows.append(
            Row(
                "scalar",
                label,
                "arraylr lr.value(step)",
                harness.per_call(lambda: lr.value(step), number, repeat),
            )
        )
        rows.append(
            Row(
                "scalar",
                label,
                "bare Python function",
                harness.per_call(lambda: bare[name](step), number, repeat),
            )
        )
        if ref is not None:
            r = ref.BaseLR(**config)
            rows.append(
                Row(
                    "scalar",
                    label,
                    "reference (deepmd-kit)",
                    harness.per_call(lambda: r.value(step), number // 20, repeat),
                )
            )
    if have("torch"):
        import torch

        lr = arraylr.BaseLR(**configs(n)["cosine"])
        bare_cos = bare["cosine"]
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=LR0)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: bare_cos(s) / LR0)
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")
        rows.append(
            Row(
                "scalar",
                "cosine",
                "torch LambdaLR.step() (bare lambda)",
                harness.per_call(sched.step, number // 4, repeat),
            )
        )
    if have("optax"):
        import optax

        schedule = optax.warmup_cosine_decay_schedule(
            0.0, LR0, int(n * WARM_FRAC), n, STOP
        )
        step = int(n * 0.6)
        rows.append(
            Row(
                "scalar",
                "cosine",
                "optax schedule(int)",
                harness.per_call(lambda: float(schedule(step)), number // 100, repeat),
            )
        )
    return rows


def case_numpy(n: int, quick: bool) -> list[Row]:
    rows = []
    ref = reference_module()
    steps = np.arange(n, dtype=np.int64)
    repeat = 3 if quick else 9
    baselines = numpy_baselines(n)
    for name in ("cosine", "exp"):
        config = configs(n)[name]
        lr = arraylr.BaseLR(**config)
        expected = lr(steps)
        got = baselines[name](steps)
        assert np.max(np.abs(got - expected)) <= 1e-15, name
        impls: list[tuple[str, Callable[[], Any]]] = [
            ("arraylr", lambda: lr(steps)),
            ("hand-written NumPy", lambda: baselines[name](steps)),
        ]
        if ref is not None:
            r = ref.BaseLR(**config)
            impls.append(("reference (deepmd-kit)", lambda: r.value(steps)))
        for label, seconds in harness.race(impls, repeat).items():
            row = Row("numpy", name, label, seconds)
            row.extra["peak"] = harness.peak_memory(dict(impls)[label], expected.nbytes)
            rows.append(row)
    return rows


def case_torch(n: int, quick: bool) -> list[Row]:
    if not have("torch"):
        return []
    import torch

    rows = []
    ref = reference_module()
    steps = torch.arange(n, dtype=torch.int64)
    repeat = 3 if quick else 9
    baselines = torch_baselines(n)
    for name in ("cosine", "exp"):
        config = configs(n)[name]
        lr = arraylr.BaseLR(**config)
        expected = lr(steps)
        assert float((baselines[name](steps) - expected).abs().max()) <= 1e-15, name
        impls: list[tuple[str, Callable[[], Any]]] = [
            ("arraylr", lambda: lr(steps)),
            ("hand-written PyTorch", lambda: baselines[name](steps)),
        ]
        if ref is not None:
            r = ref.BaseLR(**config)
            impls.append(("reference (deepmd-kit)", lambda: r.value(steps)))
        for label, seconds in harness.race(impls, repeat).items():
            rows.append(Row("torch", name, label, seconds))
    return rows


def case_jax(n: int, quick: bool) -> list[Row]:
    if not have("jax"):
        return []
    import jax
    import jax.numpy as jnp

    rows = []
    ref = reference_module()
    steps = jnp.arange(n, dtype=jnp.int32)
    repeat = 5 if quick else 15
    w = int(n * WARM_FRAC)
    sync = lambda r: r.block_until_ready()
    peers: dict[str, list[tuple[str, Callable[..., Any]]]] = {"cosine": [], "exp": []}
    if have("optax"):
        import optax

        peers["cosine"].append(
            (
                "optax warmup_cosine_decay_schedule",
                optax.warmup_cosine_decay_schedule(0.0, LR0, w, n, STOP),
            )
        )
        rate = arraylr.BaseLR(**configs(n)["exp"]).decay_rate
        peers["exp"].append(
            (
                "optax join(linear, exponential_decay)",
                optax.join_schedules(
                    [
                        optax.linear_schedule(0.0, LR0, w),
                        optax.exponential_decay(
                            LR0, DECAY_STEPS, rate, staircase=True, end_value=STOP
                        ),
                    ],
                    [w],
                ),
            )
        )
    for name in ("cosine", "exp"):
        config = configs(n)[name]
        impls = [("arraylr", arraylr.BaseLR(**config))]
        if ref is not None:
            impls.append(
                ("reference (deepmd-kit) array API", ref.BaseLR(**config).value)
            )
        impls += peers[name]
        compiled = [(label, jax.jit(fn)) for label, fn in impls]
        runs = [(label, lambda f=f: f(steps)) for label, f in compiled]
        for label, seconds in harness.race(runs, repeat, sync).items():
            rows.append(Row("jax", name, label, seconds))
    return rows


SWEEP_SIZES = [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]
"""Step counts of the sweep; 0 stands for a 0-d array (one step, no axis)."""


def _sweep_steps(size: int, n: int) -> np.ndarray:
    if size == 0:
        return np.array(int(n * 0.6), dtype=np.int64)
    return np.linspace(0, n, size).astype(np.int64)


def case_sweep(n: int, quick: bool) -> list[Row]:
    rows = []
    ref = reference_module()
    libraries: list[tuple[str, Callable[[np.ndarray], Any], Any]] = [
        ("numpy", lambda a: a, numpy_baselines(n))
    ]
    if have("torch"):
        import torch

        libraries.append(("torch", torch.from_numpy, torch_baselines(n)))
    sizes = [s for s in SWEEP_SIZES if not quick or s <= 1_000_000]
    for library, convert, baselines in libraries:
        for name in ("cosine", "exp"):
            config = configs(n)[name]
            lr = arraylr.BaseLR(**config)
            r = None if ref is None else ref.BaseLR(**config)
            for size in sizes:
                steps = convert(_sweep_steps(size, n))
                impls = [
                    ("arraylr", lambda s=steps: lr(s)),
                    (f"hand-written {library}", lambda s=steps: baselines[name](s)),
                ]
                if r is not None and (size <= 1_000_000 or not quick):
                    impls.append(("reference (deepmd-kit)", lambda s=steps: r.value(s)))
                for label, fn in impls:
                    row = Row(
                        f"sweep {library}", name, label, harness.time_call(fn, quick)
                    )
                    row.extra["size"] = size
                    rows.append(row)
    return rows


def case_npscalar(n: int, quick: bool) -> list[Row]:
    rows = []
    ref = reference_module()
    baselines = numpy_baselines(n)
    step = np.arange(int(n * 0.6), int(n * 0.6) + 1)[0]  # an np.int64, as arange gives
    zero_d = np.asarray(step)
    for name in ("cosine", "exp"):
        config = configs(n)[name]
        lr = arraylr.BaseLR(**config)
        assert abs(float(lr(step)) - float(baselines[name](zero_d))) <= 1e-15
        impls = [
            ("arraylr lr(np.int64)", lambda: lr(step)),
            ("hand-written NumPy (0-d array)", lambda: baselines[name](zero_d)),
        ]
        if ref is not None:
            r = ref.BaseLR(**config)
            impls.append(("reference (deepmd-kit)", lambda: r.value(step)))
        for label, fn in impls:
            rows.append(Row("npscalar", name, label, harness.time_call(fn, quick)))
    return rows


def _spin(seconds: float) -> None:  # pragma: no cover - runs in a child process
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1


def case_busy(n: int, quick: bool) -> list[Row]:
    """PyTorch CPU at its default threads while another process holds a core."""
    if not have("torch"):
        return []
    import multiprocessing

    import torch

    rows = []
    size = 1_000_000
    steps = torch.arange(size)
    baselines = torch_baselines(n)
    repeat = 5 if quick else 15
    context = multiprocessing.get_context("spawn")
    spinner = context.Process(target=_spin, args=(600.0,), daemon=True)
    spinner.start()
    try:
        time.sleep(0.5)  # let it get going
        for name in ("cosine", "exp"):
            lr = arraylr.BaseLR(**configs(n)[name])
            impls = [
                ("arraylr (1e6 steps, one core busy)", lambda: lr(steps)),
                ("hand-written PyTorch (same)", lambda: baselines[name](steps)),
            ]
            for label, seconds in harness.race(impls, repeat).items():
                rows.append(Row("busy", name, label, seconds))
    finally:
        spinner.terminate()
        spinner.join()
    rows[0].note = f"torch threads: {torch.get_num_threads()}"
    return rows


def case_scheduler(n: int, quick: bool) -> list[Row]:
    """``scheduler.step()`` on one optimizer: ``ScheduleLR`` (a float and a
    tensor learning rate) beside torch's ``CosineAnnealingLR`` (its own cosine)
    and a ``LambdaLR`` of the same schedule as a bare function, each stepping
    its own SGD optimizer."""
    if not have("torch"):
        return []
    import torch

    from arraylr.torch import ScheduleLR

    rows = []
    number, repeat = (2_000, 3) if quick else (20_000, 7)
    bare_cos = bare_functions(n)["cosine"]
    cosine = arraylr.BaseLR(**configs(n)["cosine"])  # bare_cos's schedule
    warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")

    def sgd(lr: Any) -> Any:
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)

    impls: list[tuple[str, Any]] = [
        ("arraylr ScheduleLR.step()", ScheduleLR(sgd(LR0), cosine)),
        (
            "arraylr ScheduleLR.step() (tensor lr)",
            ScheduleLR(sgd(torch.tensor(LR0)), cosine),
        ),
        (
            "torch CosineAnnealingLR.step()",
            torch.optim.lr_scheduler.CosineAnnealingLR(sgd(LR0), T_max=n, eta_min=STOP),
        ),
        (
            "torch LambdaLR.step() (bare lambda)",
            torch.optim.lr_scheduler.LambdaLR(sgd(LR0), lambda s: bare_cos(s) / LR0),
        ),
    ]
    for label, scheduler in impls:
        seconds = harness.per_call(scheduler.step, number, repeat)
        rows.append(Row("scheduler", "cosine", label, seconds))
    return rows


CASES = {
    "scalar": case_scalar,
    "numpy": case_numpy,
    "torch": case_torch,
    "jax": case_jax,
    "sweep": case_sweep,
    "npscalar": case_npscalar,
    "busy": case_busy,
    "population": case_population,
    "scheduler": case_scheduler,
}
