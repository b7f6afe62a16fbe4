"""torch.compile without recompiles: one compilation for 1,000 compiled steps,
cold (a fresh process) or warm, with eager calls of every kind in between."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from arraylr import BaseLR

from conftest import examples

torch = pytest.importorskip("torch")

N = 1000
COMPILED = {
    "exp": {"start_lr": 1e-3, "stop_lr": 1e-5, "decay_steps": 70, "warmup_steps": 50},
    "cosine": {"start_lr": 1e-3, "stop_lr": 1e-5, "warmup_steps": 50},
    "wsd": {"start_lr": 1e-3, "stop_lr": 1e-5, "decay_phase_ratio": 0.2},
    "constant": {"start_lr": 1e-3, "warmup_steps": 50},
    "linear": {"start_lr": 1e-3, "stop_lr": 0.0},
    "polynomial": {"start_lr": 1e-3, "stop_lr": 0.0, "power": 2.0},
    "piecewise": {"start_lr": 1e-3, "boundaries": [300, 600], "factors": [0.5, 0.5]},
    "inverse_sqrt": {"start_lr": 1e-3, "warmup_steps": 50},
    "inverse_time": {"start_lr": 1e-3, "decay_steps": 50, "staircase": True},
    "cosine_restarts": {"start_lr": 1e-3, "stop_lr": 0, "period": 50, "period_mult": 2},
    "onecycle": {"start_lr": 1e-3, "pct_start": 0.3},
    "cyclic": {"start_lr": 1e-4, "max_lr": 1e-3, "step_size_up": 100},
    "sequence": {
        "boundaries": [200],
        "schedules": [
            {"type": "linear", "start_lr": 1e-4, "stop_lr": 1e-3},
            {"type": "cosine", "start_lr": 1e-3, "stop_lr": 1e-5},
        ],
    },
    "product": {
        "schedules": [
            {"type": "cosine", "start_lr": 1e-3, "stop_lr": 0.0, "warmup_steps": 50},
            {"type": "piecewise", "start_lr": 1, "boundaries": [300], "factors": [0.5]},
        ],
    },
}  # fmt: skip
"""Configs over N steps that reach every phase in the compiled run (a type
without one here is compiled from its example)."""

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    from torch._dynamo.testing import CompileCounter
    from arraylr import BaseLR

    N = 1000
    configs = json.loads(sys.argv[1])
    eager = [  # each adds an entry to a cache of the backend layer
        lambda lr: lr(np.arange(3)),
        lambda lr: lr(np.arange(3, dtype=np.float32)),
        lambda lr: lr(np.int16(4)),
        lambda lr: lr(torch.arange(3.0)),
        lambda lr: lr(torch.arange(3, dtype=torch.int32)),
        lambda lr: lr(torch.arange(3, dtype=torch.uint8)),
        lambda lr: lr(torch.arange(5000, dtype=torch.float64)),
        lambda lr: lr(torch.arange(3).half()),
        lambda lr: lr(torch.arange(3), dtype=torch.float32),
        lambda lr: lr(7),
    ]
    frames = {}

    # cold: the first torch call of the process is compiled
    # every type in one compiled function of a 0-d step tensor (one compilation
    # for all: any type that recompiled would add one)
    schedules = [BaseLR(**config) for config in configs.values()]
    counter = CompileCounter()
    compiled = torch.compile(
        lambda t: [lr(t) for lr in schedules], fullgraph=True, backend=counter
    )
    step = torch.zeros((), dtype=torch.int64)
    for k in range(N):
        step.fill_(k)
        rates = compiled(step)
        if k % 97 == 0:
            for lr, rate in zip(schedules, rates):
                assert abs(float(rate) - lr(k)) <= 4e-16 * lr.scale, (lr, k)
        eager[k % len(eager)](schedules[k % len(schedules)])
    frames["every type"] = counter.frame_count
    print(json.dumps(frames))
    """
)


def _every_type() -> dict[str, dict[str, Any]]:
    """A config per registered type: COMPILED's over N steps, else its example."""
    return examples({k: {**c, "num_steps": N} for k, c in COMPILED.items()})


def test_one_compilation_for_every_type_cold() -> None:
    """In a fresh process, a compiled function of a 0-d step tensor evaluating
    every type: eager calls in between add entries to the backend layer's
    caches (dynamo guarded on their length: a recompile each,
    FailOnRecompileLimitHit after 8), and the first call imported torch lazily
    (a guard: compiled twice)."""
    configs = _every_type()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(configs)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    frames = json.loads(done.stdout.strip().splitlines()[-1])
    assert frames == {"every type": 1}


def test_compiled_optimizer_step_compiles_once_with_eager_calls() -> None:
    """opt.step() compiled, ScheduleLR.step() with a tensor lr, 1,000 steps."""
    from torch._dynamo.testing import CompileCounter

    from arraylr.torch import ScheduleLR

    torch._dynamo.reset()
    lr = BaseLR(type="cosine", num_steps=N, **COMPILED["cosine"])
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.1))
    sched = ScheduleLR(opt, lr)
    counter = CompileCounter()

    @torch.compile(backend=counter)  # the scheduler's wrapper of step is skipped
    def opt_step() -> None:
        opt.step()

    x = torch.randn(8, 4)
    model(x).pow(2).mean().backward()
    calls = [
        lambda: lr(np.arange(3, dtype=np.float32)),
        lambda: lr(torch.arange(3.0)),
        lambda: lr(torch.arange(3, dtype=torch.int16)),
        lambda: lr(torch.arange(3), dtype=torch.float32),
    ]
    for k in range(N):
        opt_step()
        sched.step()
        calls[k % len(calls)]()
        if k % 101 == 0:
            assert float(opt.param_groups[0]["lr"]) == pytest.approx(
                lr(k + 1), rel=1e-6
            )
    assert counter.frame_count == 1


@pytest.mark.parametrize("period_mult", [1, 2, 3])
def test_python_int_steps_do_not_break_the_graph(period_mult: int) -> None:
    """cosine_restarts found its cycle of a Python number with bisect, which
    dynamo cannot trace: fullgraph=True raised."""
    torch._dynamo.reset()
    lr = BaseLR(
        type="cosine_restarts",
        start_lr=1e-3,
        stop_lr=1e-5,
        num_steps=1000,
        period=10,
        period_mult=period_mult,
    )
    compiled = torch.compile(lambda s: lr(s), fullgraph=True, backend="eager")
    for step in (0, 9, 10, 29, 30, 31, 500, 999):
        assert float(compiled(step)) == pytest.approx(lr(step), rel=1e-12)


def test_a_population_compiles_once() -> None:
    """Populations (members differing in float parameters and integer edges)
    in one compiled function of a 0-d step tensor: one compilation over 300
    steps with eager NumPy and PyTorch calls in between (each fills a cache
    the traced call must not read), the rates those of the eager call."""
    from torch._dynamo.testing import CompileCounter

    from arraylr import Population

    torch._dynamo.reset()
    base = {"start_lr": 1e-3, "num_steps": N}
    populations = [
        Population.sweep(
            {"type": "cosine", "stop_lr": 1e-5, **base},
            start_lr=[1e-3, 2e-3, 3e-3],
            warmup_steps=[0, 50, 100],
        ),
        Population.sweep(
            {"type": "cyclic", "max_lr": 1e-2, **base}, step_size_up=[50, 100, 70]
        ),
        Population.sweep(
            {"type": "exp", "stop_lr": 1e-5, **base}, decay_steps=[50, 100, 70]
        ),
    ]
    counter = CompileCounter()
    compiled = torch.compile(
        lambda t: [p(t) for p in populations], fullgraph=True, backend=counter
    )
    step = torch.zeros((), dtype=torch.int64)
    for k in range(300):
        step.fill_(k)
        rates = compiled(step)
        if k % 37 == 0:
            for population, rate in zip(populations, rates, strict=True):
                want = population(np.int64(k))
                np.testing.assert_allclose(rate.numpy(), want, rtol=0, atol=1e-18)
        populations[k % 3](torch.arange(3.0))
        populations[k % 3](np.arange(3))
    assert counter.frame_count == 1


@pytest.mark.parametrize("backend", ["eager", "aot_eager", "inductor"])
def test_assign_lr_writes_every_lr_dtype_when_compiled(backend: str) -> None:
    """torch 2.13 drops a compiled copy_/fill_ into a 0-d float64 CPU tensor
    (aot_eager, inductor): the lr stayed 0.123 at every step."""
    from arraylr.torch import assign_lr_

    schedule = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=100)
    for dtype in (torch.float64, torch.float32, torch.bfloat16, torch.float16):
        torch._dynamo.reset()
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.123, dtype=dtype))
        step = torch.compile(
            lambda s, opt=opt: assign_lr_(opt, schedule, s),
            backend=backend,
            fullgraph=True,
        )
        for k in (5, 50, 70):
            step(torch.tensor(k))
            lr = opt.param_groups[0]["lr"]
            assert lr.dtype == dtype and lr.ndim == 0
            bound = 8 * torch.finfo(dtype).eps * schedule.scale
            assert abs(float(lr) - schedule(k)) <= bound, (backend, dtype, k)


def test_assign_lr_names_a_step_that_is_not_one_step() -> None:
    from arraylr.torch import assign_lr_

    schedule = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=100)
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=torch.tensor(0.1))
    with pytest.raises(TypeError, match=r"step must be a 0-d tensor.*shape \(3,\)"):
        assign_lr_(opt, schedule, torch.arange(3))
    with pytest.raises(TypeError, match=r"step must be a 0-d tensor.*step=5"):
        assign_lr_(opt, schedule, 5)  # type: ignore[arg-type]
