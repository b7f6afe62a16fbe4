"""Time arraylr against its peers, case by case, in one run on one machine.

    python benchmarks/run.py            # full run (a few minutes)
    python benchmarks/run.py --quick    # under a minute: smaller arrays, fewer repeats

Cases (each peer runs only where installed; ratios are taken within the run):

* ``scalar``: one Python-int step, ``lr(step)`` per call, as a training loop does:
  arraylr, a bare Python function holding the same formula, the reference
  (DeePMD-kit's ``deepmd.dpmodel.utils.learning_rate``), PyTorch's ``LambdaLR``
  stepping an optimizer, and an optax schedule called with an int;
* ``numpy``: N int64 steps to float64 on NumPy: arraylr, the reference, and the
  fastest hand-written NumPy for the formula (in-place ufuncs, masks for the
  phases); peak extra memory (tracemalloc) in units of the output's size;
* ``torch``: the same on PyTorch CPU tensors;
* ``jax``: N int32 steps under ``jax.jit`` (float32): arraylr, the reference's
  array-API code and optax's schedules;
* ``sweep``: time per call against the number of steps (0-d, 1, 10, ... 1e7) for
  NumPy and PyTorch CPU, arraylr beside the hand-written code and the reference,
  for cosine and the stepped exp; ``--plot FILE`` draws it on log-log axes;
* ``npscalar``: one NumPy integer step (``np.int64``, as ``np.arange`` yields),
  arraylr beside the hand-written formula on a 0-d array and the reference;
* ``busy``: 10**6 steps on PyTorch CPU at torch's default threads while a
  background process keeps one core busy, arraylr beside the hand-written code.

The printed table gives the median time and ``x arraylr`` (peer time / arraylr
time: above 1 means arraylr is faster).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import math
import os
import platform
import statistics
import sys
import time
import timeit
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import arraylr

LR0, STOP, WARM_FRAC, DECAY_STEPS = 1e-3, 1e-5, 0.1, 5000


def have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def configs(n: int) -> dict[str, dict[str, Any]]:
    w = int(n * WARM_FRAC)
    return {
        "cosine": {
            "type": "cosine",
            "start_lr": LR0,
            "stop_lr": STOP,
            "num_steps": n,
            "warmup_steps": w,
        },
        "exp": {
            "type": "exp",
            "start_lr": LR0,
            "stop_lr": STOP,
            "num_steps": n,
            "warmup_steps": w,
            "decay_steps": DECAY_STEPS,
        },
        "wsd": {
            "type": "wsd",
            "start_lr": LR0,
            "stop_lr": STOP,
            "num_steps": n,
            "warmup_steps": w,
            "decay_type": "inverse_linear",
        },
    }


def reference_module() -> Any | None:
    if not have("deepmd"):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import deepmd.dpmodel.utils.learning_rate as ref
    return ref


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


# ----------------------------------------------------------------- bare formulas


def bare_functions(n: int) -> dict[str, Callable[[int], float]]:
    """The schedules as plain Python functions: the floor for a scalar call."""
    w = int(n * WARM_FRAC)
    t = n - w
    f = STOP / LR0
    h = 0.5 * (1 - f)
    cos, pi, exp, log = math.cos, math.pi, math.exp, math.log
    log_rate = log(arraylr.BaseLR(**configs(n)["exp"]).decay_rate)
    stable = t - max(1, min(int(0.1 * n), t))
    dphase = t - stable

    def cosine(step: int) -> float:
        if step < w:
            return LR0 * step / w
        d = step - w
        if d >= t:
            return LR0 * f
        return LR0 * (f + h * (1 + cos(pi * (d / t))))

    def exp_(step: int) -> float:
        if step < w:
            return LR0 * step / w
        return max(LR0 * exp(((step - w) // DECAY_STEPS) * log_rate), STOP)

    def wsd(step: int) -> float:
        if step < w:
            return LR0 * step / w
        d = step - w
        if d < stable:
            return LR0
        if d >= t:
            return STOP
        tau = (d - stable) / dphase
        return 1.0 / (tau / STOP + (1 - tau) / LR0)

    return {"cosine": cosine, "exp": exp_, "wsd": wsd}


def numpy_baselines(n: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """The fastest straightforward NumPy for each formula: in-place ufuncs on
    preallocated arrays, masks for the warmup and the end."""
    w = int(n * WARM_FRAC)
    t = n - w
    f = STOP / LR0
    h = 0.5 * (1 - f)
    log_rate = math.log(arraylr.BaseLR(**configs(n)["exp"]).decay_rate)

    def warmup(steps: np.ndarray, out: np.ndarray) -> None:
        mask = steps < w
        np.copyto(out, steps * (LR0 / w), where=mask)

    def cosine(steps: np.ndarray) -> np.ndarray:
        out = np.empty(steps.shape)
        np.subtract(steps, w, out=out)
        np.maximum(out, 0.0, out=out)
        np.multiply(out, math.pi / t, out=out)
        np.cos(out, out=out)
        np.add(out, 1.0, out=out)
        np.multiply(out, LR0 * h, out=out)
        np.add(out, LR0 * f, out=out)
        np.copyto(out, LR0 * f, where=steps >= w + t)
        warmup(steps, out)
        return out

    def exp_(steps: np.ndarray) -> np.ndarray:
        # explicit outputs: a 0-d array stays an array (ufuncs return scalars)
        d = np.subtract(steps, w, out=np.empty(steps.shape, steps.dtype))
        np.maximum(d, 0, out=d)
        np.floor_divide(d, DECAY_STEPS, out=d)
        out = np.multiply(d, log_rate, out=np.empty(steps.shape))
        del d
        np.exp(out, out=out)
        np.multiply(out, LR0, out=out)
        np.maximum(out, STOP, out=out)
        warmup(steps, out)
        return out

    return {"cosine": cosine, "exp": exp_}


def torch_baselines(n: int) -> dict[str, Callable[[Any], Any]]:
    import torch

    w = int(n * WARM_FRAC)
    t = n - w
    f = STOP / LR0
    h = 0.5 * (1 - f)
    log_rate = math.log(arraylr.BaseLR(**configs(n)["exp"]).decay_rate)

    def cosine(steps: Any) -> Any:
        out = steps.to(torch.float64)
        d = (out - w).clamp_(min=0).mul_(math.pi / t).cos_().add_(1)
        d.mul_(LR0 * h).add_(LR0 * f)
        d.masked_fill_(steps >= w + t, LR0 * f)
        return torch.where(steps < w, out.mul_(LR0 / w), d)

    def exp_(steps: Any) -> Any:
        e = (steps - w).clamp_(min=0).div_(DECAY_STEPS, rounding_mode="floor")
        out = e.to(torch.float64).mul_(log_rate).exp_().mul_(LR0).clamp_(min=STOP)
        return torch.where(steps < w, steps.to(torch.float64).mul_(LR0 / w), out)

    return {"cosine": cosine, "exp": exp_}


# ------------------------------------------------------------------------ cases


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
                per_call(lambda: lr(step), number, repeat),
            )
        )
        rows.append(
            Row(
                "scalar",
                label,
                "arraylr lr.value(step)",
                per_call(lambda: lr.value(step), number, repeat),
            )
        )
        rows.append(
            Row(
                "scalar",
                label,
                "bare Python function",
                per_call(lambda: bare[name](step), number, repeat),
            )
        )
        if ref is not None:
            r = ref.BaseLR(**config)
            rows.append(
                Row(
                    "scalar",
                    label,
                    "reference (deepmd-kit)",
                    per_call(lambda: r.value(step), number // 20, repeat),
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
                per_call(sched.step, number // 4, repeat),
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
                per_call(lambda: float(schedule(step)), number // 100, repeat),
            )
        )
    return rows


def peak_memory(fn: Callable[[], Any], nbytes: int) -> float:
    tracemalloc.start()  # counts what fn allocates from here: no collection needed
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / nbytes


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
        for label, seconds in race(impls, repeat).items():
            row = Row("numpy", name, label, seconds)
            row.extra["peak"] = peak_memory(dict(impls)[label], expected.nbytes)
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
        for label, seconds in race(impls, repeat).items():
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
        for label, seconds in race(runs, repeat, sync).items():
            rows.append(Row("jax", name, label, seconds))
    return rows


SWEEP_SIZES = [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]
ZERO_D_X = 0.2
"""Where the plot puts the 0-d point (left of one step, on the log axis)."""
"""Step counts of the sweep; 0 stands for a 0-d array (one step, no axis)."""


def _sweep_steps(size: int, n: int) -> np.ndarray:
    if size == 0:
        return np.array(int(n * 0.6), dtype=np.int64)
    return np.linspace(0, n, size).astype(np.int64)


def _repeats(seconds_guess: float, quick: bool) -> tuple[int, int]:
    """(calls per timing, timings) for a call of about ``seconds_guess``."""
    budget = 0.02 if quick else 0.1
    number = max(1, min(20_000, int(budget / max(seconds_guess, 1e-7))))
    return number, 3 if quick else 7


def _time(fn: Callable[[], Any], quick: bool) -> float:
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    number, repeat = _repeats(first, quick)
    return per_call(fn, number, repeat)


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
                    row = Row(f"sweep {library}", name, label, _time(fn, quick))
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
            rows.append(Row("npscalar", name, label, _time(fn, quick)))
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
            for label, seconds in race(impls, repeat).items():
                rows.append(Row("busy", name, label, seconds))
    finally:
        spinner.terminate()
        spinner.join()
    rows[0].note = f"torch threads: {torch.get_num_threads()}"
    return rows


def plot_sweep(rows: list[Row], path: str) -> None:
    """Time per call against the number of steps, log-log, one panel per library
    and schedule."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r.case, r.schedule) for r in rows if r.case.startswith("sweep")})
    if not panels:
        return
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.6 * len(panels), 3.6), dpi=110, sharey=True
    )
    axes = np.atleast_1d(axes)
    styles = {"arraylr": "-o", "hand-written": "--s", "reference": ":^"}
    for ax, (case, schedule) in zip(axes, panels, strict=True):
        here = [r for r in rows if (r.case, r.schedule) == (case, schedule)]
        for impl in dict.fromkeys(r.impl for r in here):
            points = sorted(
                (r.extra["size"] or ZERO_D_X, r.seconds) for r in here if r.impl == impl
            )
            style = next(v for k, v in styles.items() if impl.startswith(k))
            ax.loglog(
                [p[0] for p in points],
                [p[1] for p in points],
                style,
                label=impl.split(" (")[0],
                markersize=4,
                linewidth=1.4,
            )
        ax.set_title(f"{case.split()[1]}: {schedule}", fontsize=10)
        ax.set_xlabel("steps per call")
        ticks = [ZERO_D_X, 1, 10**2, 10**4, 10**6]
        ax.set_xticks(ticks, ["0-d", "1", "100", "10k", "1M"])
        ax.grid(True, which="both", alpha=0.25)
    axes[0].set_ylabel("seconds per call")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle("arraylr vs hand-written code and the reference", fontsize=11)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


# ----------------------------------------------------------------------- report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for mod in ("torch", "jax", "optax", "deepmd"):
        if have(mod):
            module = importlib.import_module(mod)
            versions.append(f"{mod} {getattr(module, '__version__', '?')}")
    return f"{cpu}, {os.cpu_count()} cores; " + ", ".join(versions)


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return (
            f"{seconds * 1e9:,.0f} ns" if seconds < 1e-6 else f"{seconds * 1e6:,.1f} us"
        )
    return f"{seconds * 1e3:,.1f} ms"


def table(rows: list[Row], n: int) -> str:
    lines = [
        f"Machine: {machine()}",
        f"Array cases: {n:,} steps. "
        "`x arraylr` = time / arraylr's time in the same run.",
        "",
        "| case | schedule | implementation | median | x arraylr | memory / note |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    base: dict[tuple[str, str, Any], float] = {}
    for row in rows:  # the first arraylr row of a case is its unit
        if row.impl.startswith("arraylr"):
            base.setdefault(
                (row.case, row.schedule, row.extra.get("size")), row.seconds
            )
    for row in rows:
        size = row.extra.get("size")
        ref = base.get((row.case, row.schedule, size))
        ratio = f"{row.seconds / ref:.2f}" if ref else ""
        peak = f"{row.extra['peak']:.2f} x output" if "peak" in row.extra else ""
        case = row.case
        if size is not None:
            case += f" ({'0-d' if size == 0 else f'{int(size):,}'})"
        lines.append(
            f"| {case} | {row.schedule} | {row.impl} | "
            f"{fmt_time(row.seconds)} | {ratio} | {peak or row.note} |"
        )
    return "\n".join(lines)


def sweep_table(rows: list[Row]) -> str:
    """The size sweep condensed, one line per library, schedule and size (the
    README's table): arraylr's time, and each peer's with its ratio to it."""
    sweep = [r for r in rows if r.case.startswith("sweep ")]
    if not sweep:
        return ""
    lines = [
        "| library | schedule | steps | arraylr | hand-written (x arraylr) "
        "| reference (x arraylr) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    cells: dict[tuple[str, str, float], dict[str, float]] = {}
    for row in sweep:
        key = (row.case.removeprefix("sweep "), row.schedule, row.extra["size"])
        impl = row.impl.split(" ")[0]  # arraylr, hand-written, reference
        cells.setdefault(key, {})[impl] = row.seconds
    for (library, schedule, size), found in cells.items():
        ours = found["arraylr"]
        peers = [
            f"{fmt_time(found[p])} ({found[p] / ours:.2f})" if p in found else ""
            for p in ("hand-written", "reference")
        ]
        steps = "0-d" if size == 0 else f"{int(size):,}"
        lines.append(
            f"| {library} | {schedule} | {steps} | {fmt_time(ours)} | "
            f"{peers[0]} | {peers[1]} |"
        )
    return "\n".join(lines)


CASES = {
    "scalar": case_scalar,
    "numpy": case_numpy,
    "torch": case_torch,
    "jax": case_jax,
    "sweep": case_sweep,
    "npscalar": case_npscalar,
    "busy": case_busy,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="arraylr benchmarks")
    parser.add_argument("--quick", action="store_true", help="under a minute")
    parser.add_argument("--n", type=int, default=None, help="steps per array case")
    parser.add_argument(
        "--cases", nargs="+", choices=sorted(CASES), default=list(CASES)
    )
    parser.add_argument("-o", "--output", help="also write the table to this file")
    parser.add_argument(
        "--plot", help="draw the size sweep (log-log) into this image file"
    )
    args = parser.parse_args(argv)
    n = args.n or (1_000_000 if args.quick else 10_000_000)
    rows: list[Row] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peers' own warnings (the reference under JAX)
        for name in args.cases:
            rows += CASES[name](n, args.quick)
    text = table(rows, n)
    condensed = sweep_table(rows)
    if condensed:
        text += "\n\nSize sweep:\n\n" + condensed
    print(text)
    if args.plot:
        plot_sweep(rows, args.plot)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
