"""DeePMD-kit training inputs read as DeePMD-kit reads them: the aliases of the step
count, the defaults its argcheck fills in, the same refusals, and the per-worker
rates of ``scale_by_worker``."""

from __future__ import annotations

import copy
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import ConfigNote, load_config
from arraylr.cli import main
from arraylr.config import DEEPMD_STEP_KEYS, DEEPMD_STOP_LR, worker_scale

EXAMPLE = json.loads(
    (Path(__file__).resolve().parents[1] / "examples" / "deepmd_input.json").read_text()
)


def _input(section: dict[str, Any], steps: int = 1000, key: str = "numb_steps") -> Any:
    data = copy.deepcopy(EXAMPLE)
    data["learning_rate"] = section
    data["training"].pop("numb_steps")
    data["training"][key] = steps
    return data


@pytest.mark.parametrize("key", DEEPMD_STEP_KEYS)
def test_step_count_aliases(key: str) -> None:
    lr = load_config(_input({"start_lr": 1e-3, "stop_lr": 1e-6}, 5000, key))
    assert lr.num_steps == 5000


def test_two_step_keys_are_refused() -> None:
    data = _input({"start_lr": 1e-3, "stop_lr": 1e-6})
    data["training"]["stop_batch"] = 10
    with pytest.raises(ValueError, match=r"training\.numb_steps, training\.stop_batch"):
        load_config(data)


def test_epochs_need_num_steps() -> None:
    data = _input({"start_lr": 1e-3, "stop_lr": 1e-6})
    del data["training"]["numb_steps"]
    data["training"]["numb_epoch"] = 3
    with pytest.raises(
        ValueError, match=r"training\.numb_epoch sets the run in epochs"
    ):
        load_config(data)
    assert load_config(data, num_steps=700).num_steps == 700


@pytest.mark.parametrize("kind", ["exp", "cosine", "wsd"])
def test_missing_stop_lr_is_deepmd_default(kind: str) -> None:
    lr = load_config(_input({"type": kind, "start_lr": 1e-3}))
    assert lr.stop_lr == DEEPMD_STOP_LR == 5e-8
    assert lr(lr.num_steps) == pytest.approx(5e-8, rel=1e-12) or kind == "exp"


def test_show_labels_each_origin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "input.json"
    path.write_text(
        json.dumps(_input({"type": "cosine", "start_lr": 1e-3}, 800, key="stop_batch"))
    )
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stop_lr          5e-08  (DeePMD-kit's default)\n" in out
    assert "num_steps        800  (from training.stop_batch)\n" in out
    assert "start_lr         0.001\n" in out
    assert "warmup_steps     0  (default)\n" in out
    assert "lr_min_factor    5e-05  (derived)\n" in out
    assert main(["show", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"] == {"type": "cosine", "start_lr": 1e-3, "num_steps": 800}
    assert data["defaults"]["stop_lr"] == 5e-8 and "start_lr" not in data["defaults"]
    assert data["derived"]["lr_min_factor"] == pytest.approx(5e-5, rel=1e-15)


@pytest.mark.parametrize(
    ("rule", "factor"), [(None, 4.0), ("linear", 4.0), ("sqrt", 2.0), ("none", 1.0)]
)
def test_workers(
    rule: str | None, factor: float, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    section: dict[str, Any] = {"type": "wsd", "start_lr": 1e-3, "stop_lr": 1e-5}
    if rule is not None:
        section["scale_by_worker"] = rule
    data = _input(section, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigNote)
        single = load_config(data)
        scaled = load_config(data, workers=4)
    steps = np.arange(0, 1001, 50)
    np.testing.assert_allclose(scaled(steps), factor * single(steps), rtol=1e-14)
    assert worker_scale(rule or "linear", 4) == factor
    path = tmp_path / "input.json"
    path.write_text(json.dumps(data))
    assert main(["show", str(path), "--workers", "4"]) == 0
    out = capsys.readouterr().out
    if factor != 1.0:
        assert (
            f"x {factor:g} for 4 workers, scale_by_worker='{rule or 'linear'}'" in out
        )
    assert "note:" not in out  # asked for: no note that it is not applied


def test_workers_refused_where_deepmd_does_not_scale() -> None:
    with pytest.raises(ValueError, match="not a DeePMD-kit input"):
        load_config(
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 9},
            workers=2,
        )
    plugin = _input(
        {"type": "cyclic", "start_lr": 1e-4, "max_lr": 1e-3, "step_size_up": 5}
    )
    with pytest.raises(ValueError, match="type='cyclic'"):
        load_config(plugin, workers=2)
    with pytest.raises(ValueError, match="workers must be >= 1, got workers=0"):
        load_config(_input({"start_lr": 1e-3}), workers=0)


# ------------------------------------------------------- against DeePMD-kit itself

COMMON = {
    "warmup_start_factor": st.floats(0.0, 1.0),
    "scale_by_worker": st.sampled_from(["linear", "sqrt", "none"]),
}
OWN = {
    "exp": {
        "decay_steps": st.integers(1, 3000),
        "decay_rate": st.floats(0.5, 1.0),
        "smooth": st.booleans(),
    },
    "cosine": {},
    "wsd": {
        "decay_phase_ratio": st.floats(0.01, 1.0),
        "decay_type": st.sampled_from(["inverse_linear", "cosine", "linear"]),
    },
}


@st.composite
def deepmd_inputs(draw: st.DrawFn) -> tuple[Any, bool]:
    """A DeePMD-kit input with a random subset of keys, aliases and defaults, and
    whether it breaks one of DeePMD-kit's exclusions (then both must refuse)."""
    kind = draw(st.sampled_from(["exp", "cosine", "wsd"]))
    section: dict[str, Any] = {"start_lr": draw(st.floats(1e-5, 1e-1))}
    if kind != "exp" or draw(st.booleans()):
        section["type"] = kind
    stop = draw(st.sampled_from(["stop_lr", "stop_lr_ratio", "neither", "both"]))
    if stop in ("stop_lr", "both"):
        section["stop_lr"] = draw(st.floats(1e-9, 1e-5))
    if stop in ("stop_lr_ratio", "both"):
        section["stop_lr_ratio"] = draw(st.floats(1e-4, 0.5))
    steps = draw(st.integers(20, 5000))
    warm = draw(st.sampled_from(["none", "steps", "ratio", "both"]))
    if warm in ("steps", "both"):
        section["warmup_steps"] = draw(st.integers(1, steps // 2))
    if warm in ("ratio", "both"):
        section["warmup_ratio"] = draw(st.floats(0.0, 0.5))
    for name, values in {**COMMON, **OWN[kind]}.items():
        if draw(st.booleans()):
            section[name] = draw(values)
    if draw(st.booleans()):
        section["_comment"] = "a comment"
    key = draw(st.sampled_from(DEEPMD_STEP_KEYS))
    return _input(section, steps, key), stop == "both" or warm == "both"


@settings(max_examples=60)
@given(deepmd_inputs(), st.data())
def test_reads_as_deepmd_kit_does(case: tuple[Any, bool], data: st.DataObject) -> None:
    argcheck = pytest.importorskip("deepmd.utils.argcheck")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pytest.importorskip("deepmd.dpmodel.utils.learning_rate")
    raw, refused = case
    try:
        normalised = argcheck.normalize(copy.deepcopy(raw))
    except Exception:
        normalised = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigNote)
        if normalised is None or refused:
            assert normalised is None, "DeePMD-kit accepted an input it should refuse"
            with pytest.raises(ValueError, match="mutually exclusive|exactly one of"):
                load_config(raw)
            return
        ours = load_config(raw)
    params = {
        **normalised["learning_rate"],
        "num_steps": normalised["training"]["numb_steps"],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = reference.BaseLR(**params)
    steps = np.asarray(
        data.draw(st.lists(st.integers(0, 2 * ours.num_steps), min_size=1, max_size=30))
        + [0, ours.warmup_steps, ours.num_steps],
        dtype=np.int64,
    )
    np.testing.assert_allclose(ours(steps), ref.value(steps), rtol=1e-12, atol=0)
    for step in steps[:5].tolist():
        assert math.isclose(ours(step), float(ref.value(step)), rel_tol=1e-12)
