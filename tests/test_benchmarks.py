"""Smoke test of the benchmark runner (no timing is asserted: only that every case
runs, checks its peers against arraylr, and prints a table)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def run_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("arraylr_bench_run", RUNNER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def few_calls(run_module, monkeypatch):  # type: ignore[no-untyped-def]
    """Time each call a few times only: the smoke tests check that every case
    runs and reports, not how fast (no timing is asserted)."""
    timed = run_module.harness.per_call
    monkeypatch.setattr(
        run_module.harness,
        "per_call",
        lambda fn, number, repeat: timed(fn, min(number, 20), 1),
    )


def test_runner_prints_a_table(run_module, capsys, tmp_path, few_calls) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "table.md"
    cases = ["scalar", "numpy", "torch", "jax", "scheduler"]
    assert (
        run_module.main(["--quick", "--n", "40000", "--cases", *cases, "-o", str(out)])
        == 0
    )
    text = capsys.readouterr().out
    assert out.read_text().strip() == text.strip()
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    assert rows[0].startswith("| case | schedule | implementation")
    body = rows[1:]
    assert any("| numpy | cosine | hand-written NumPy |" in r for r in body)
    assert any("| scalar | cosine | bare Python function |" in r for r in body)
    for impl in ("torch CosineAnnealingLR.step()", "torch LambdaLR.step()"):
        assert any(f"| scheduler | cosine | {impl}" in r for r in body), impl
    for row in body:
        assert re.search(r"\| [\d,.]+ (ns|us|ms) \|", row), row
    peaks = [float(m) for m in re.findall(r"([\d.]+) x output", text)]
    assert peaks and all(p > 0 for p in peaks)


def test_baselines_match_arraylr(run_module) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    import arraylr

    n = 30_000
    steps = np.arange(-5, n + 50)
    for name, fn in run_module.baselines.numpy_baselines(n).items():
        lr = arraylr.BaseLR(**run_module.baselines.configs(n)[name])
        np.testing.assert_allclose(
            fn(np.maximum(steps, 0)), lr(steps), rtol=0, atol=1e-18
        )
    for name, fn in run_module.baselines.bare_functions(n).items():
        lr = arraylr.BaseLR(**run_module.baselines.configs(n)[name])
        for step in range(0, n + 10, 997):
            assert fn(step) == pytest.approx(lr(step), rel=1e-15, abs=1e-18)


def test_sweep_scalar_and_busy_cases(
    run_module, capsys, tmp_path, monkeypatch, few_calls
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(run_module.cases, "SWEEP_SIZES", [0, 1, 100])
    image = tmp_path / "sweep.png"
    cases = ["sweep", "npscalar", "busy"]
    assert (
        run_module.main(
            ["--quick", "--n", "40000", "--cases", *cases, "--plot", str(image)]
        )
        == 0
    )
    text = capsys.readouterr().out
    for needle in (
        "| sweep numpy (0-d) | cosine | arraylr |",
        "| sweep torch (100) | exp | hand-written torch |",
        "| npscalar | cosine | hand-written NumPy (0-d array) |",
        "| busy | exp | hand-written PyTorch (same) |",
        "| library | schedule | steps | arraylr | hand-written (x arraylr) |",
    ):
        assert needle in text
    # the condensed sweep: one line per library, schedule and size, with ratios
    condensed = re.findall(
        r"^\| (numpy|torch) \| (cosine|exp) \| (0-d|1|100) \| [\d.]+ [num]?s \| "
        r"[\d.]+ [num]?s \(\d+\.\d\d\) \| [\d.]+ [num]?s \(\d+\.\d\d\) \|$",
        text,
        flags=re.M,
    )
    assert len(condensed) == 2 * 2 * 3
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_population_case(run_module, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The population case runs (smaller), checks its peers' rates, and names
    where optax cannot vmap."""
    population = importlib.import_module("benchmarks.population")
    monkeypatch.setattr(population, "MEMBERS", 20)
    monkeypatch.setattr(population, "STEPS", 500)
    assert run_module.main(["--quick", "--cases", "population"]) == 0
    text = capsys.readouterr().out
    for needle in (
        "| population numpy | cosine (1 step) | arraylr Population (one call) |",
        "| population numpy | cosine (100 steps) | Python loop over 20 schedules |",
        "| population jax | exp (20 x 500) | optax jit(vmap) over init_value |",
        "warmup_cosine_decay_schedule over peak_value: TracerBoolConversionError",
    ):
        assert needle in text
