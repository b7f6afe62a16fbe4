"""arraylr's schedules inside DeePMD-kit (arraylr.deepmd and its entry points).

The plugin is checked the way DeePMD-kit uses it: its registry builds the
schedules from DeePMD-kit's keyword arguments, its schema validates and documents
them, and the real ``dp --jax train`` trains with them (every lcurve.out rate is
checked against arraylr).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.testing.strategies import configs

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    learning_rate = pytest.importorskip("deepmd.dpmodel.utils.learning_rate")
    import deepmd.backend  # noqa: F401  (loads the schema entry point, as dp does)
    from deepmd.utils.argcheck import gen_doc, normalize

import arraylr.deepmd as plugin
from arraylr.config import DEEPMD_OWN_TYPES

from conftest import TYPES, example

DeePMDBaseLR = learning_rate.BaseLR

# A full config of every type arraylr offers DeePMD-kit, over 40 steps, written
# as a DeePMD-kit user would (no num_steps: DeePMD-kit fills it in from
# training.numb_steps); a type without one here is tried with its example.
FORTY: dict[str, dict[str, Any]] = {
    "constant": {"start_lr": 1e-3, "warmup_steps": 4, "warmup_start_factor": 0.1},
    "linear": {"start_lr": 1e-3, "stop_lr": 1e-5, "warmup_ratio": 0.1},
    "polynomial": {"start_lr": 1e-3, "stop_lr_ratio": 0.01, "power": 2.0},
    "piecewise": {"start_lr": 1e-3, "boundaries": [10, 20], "factors": [0.5, 0.1]},
    "inverse_sqrt": {"start_lr": 1e-3, "stop_lr": 0.0, "timescale": 5.0},
    "inverse_time": {
        "start_lr": 1e-3,
        "decay_steps": 10,
        "decay_rate": 0.5,
        "staircase": True,
    },
    "cosine_restarts": {
        "start_lr": 1e-3,
        "stop_lr": 1e-5,
        "period": 8,
        "period_mult": 2,
        "peak_decay": 0.5,
        "warmup_steps": 3,
    },
    "onecycle": {
        "start_lr": 1e-3,
        "pct_start": 0.25,
        "div_factor": 10.0,
        "final_div_factor": 100.0,
        "anneal": "linear",
    },
    "cyclic": {
        "start_lr": 1e-4,
        "max_lr": 1e-3,
        "step_size_up": 6,
        "step_size_down": 4,
        "mode": "exp_range",
        "gamma": 0.97,
    },
    "sequence": {
        "start_lr": 1e-3,
        "boundaries": [10],
        "schedules": [
            {"type": "constant", "start_lr": 1e-3},
            {"type": "cosine", "start_lr": 1e-3, "stop_lr": 1e-5},
        ],
    },
    "product": {
        "start_lr": 1e-3,
        "schedules": [
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.01},
            {
                "type": "piecewise",
                "start_lr": 1.0,
                "boundaries": [20],
                "factors": [0.5],
            },
        ],
    },
}


def _full() -> dict[str, tuple[dict[str, Any], int]]:
    """``name -> (config without num_steps, num_steps)`` for every plugin type."""
    out = {}
    for name in TYPES:
        if name in DEEPMD_OWN_TYPES:
            continue
        if name in FORTY:
            out[name] = (FORTY[name], 40)
        else:
            config = example(name)
            del config["type"]
            out[name] = (config, config.pop("num_steps"))
    return out


FULL = _full()

SYSTEM_TEMPLATE: dict[str, Any] = {
    "model": {
        "type_map": ["A", "B"],
        "descriptor": {
            "type": "se_e2_a",
            "sel": [6, 6],
            "rcut_smth": 0.5,
            "rcut": 3.0,
            "neuron": [4, 8],
            "axis_neuron": 2,
            "type_one_side": True,
            "seed": 1,
        },
        "fitting_net": {"neuron": [8], "seed": 1},
    },
    "loss": {
        "type": "ener",
        "start_pref_e": 1.0,
        "limit_pref_e": 1.0,
        "start_pref_f": 1.0,
        "limit_pref_f": 1.0,
    },
    "training": {
        "training_data": {"systems": ["data"], "batch_size": 1},
        "numb_steps": 40,
        "disp_freq": 1,
        "save_freq": 40,
        "seed": 1,
    },
}


def test_every_type_deepmd_lacks_is_registered() -> None:
    # the built-in types (other tests register schedules of their own)
    expected = set(TYPES) - DEEPMD_OWN_TYPES
    assert set(plugin.plugin_types()) == expected  # never a user's own types
    plugins = DeePMDBaseLR.get_plugins()
    for name in expected:
        assert issubclass(plugins[name], plugin.DeePMDSchedule), name
    # DeePMD-kit's own types stay DeePMD-kit's
    assert plugins["exp"] is learning_rate.LearningRateExp
    assert plugins["cosine"] is learning_rate.LearningRateCosine
    assert plugins["wsd"] is learning_rate.LearningRateWSD
    plugin.register()
    assert plugin.register() == []  # idempotent


@pytest.mark.parametrize("name", sorted(FULL))
def test_deepmd_builds_the_arraylr_schedule(name: str) -> None:
    config, n = FULL[name]
    params = {"type": name, **copy.deepcopy(config)}
    lr = learning_rate.make_learning_rate_schedule(params, n)
    if name == "sequence":  # DeePMD-kit's schema needs start_lr; arraylr's has none
        del params["start_lr"]
    ours = BaseLR(**params, num_steps=n)
    assert lr.schedule == ours
    assert lr.start_lr == ours.start_lr and lr.stop_lr == ours.stop_lr
    assert lr.num_steps == n and lr.warmup_steps == ours.warmup_steps
    steps = np.linspace(-2, n + 5, 47).astype(np.int64)
    assert [lr.value(int(s)) for s in steps] == [ours(int(s)) for s in steps]
    assert all(type(lr.value(int(s))) is float for s in steps[:3])
    np.testing.assert_array_equal(lr.value(steps), ours(steps))
    assert lr.value(steps).dtype == np.float64


@pytest.mark.parametrize("name", sorted(FULL))
def test_deepmd_values_on_torch_and_under_jax_jit(name: str) -> None:
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    config, n = FULL[name]
    lr = learning_rate.make_learning_rate_schedule({"type": name, **config}, n)
    steps = np.linspace(0, n + 5, 45).astype(np.int64)
    expected = lr.schedule(steps)
    got = lr.value(torch.from_numpy(steps))
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
    # identical to arraylr on the same input; within the bound of NumPy's
    assert torch.equal(got, lr.schedule(torch.from_numpy(steps)))
    bound = 4 * np.finfo(np.float64).eps * lr.schedule.scale
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=bound)
    with jax.enable_x64(True):
        traced = jax.jit(lr.value)(jnp.asarray(steps))
        np.testing.assert_allclose(np.asarray(traced), expected, rtol=0, atol=bound)
    # a traced scalar step, as a jitted train step would pass it (float32 math)
    traced = jax.jit(lambda s: lr.value(s))(jnp.asarray(7))
    assert float(traced) == pytest.approx(lr.value(7), rel=1e-6)


@settings(max_examples=40)
@given(
    config=st.sampled_from(sorted(FULL)).flatmap(lambda n: configs(n, max_steps=1000)),
    data=st.data(),
)
def test_deepmd_schedule_equals_arraylr_for_any_config(
    config: dict[str, Any], data: st.DataObject
) -> None:
    lr = DeePMDBaseLR(**config)
    ours = BaseLR(**config)
    step = data.draw(st.integers(0, 2 * max(ours.num_steps, 1)), label="step")
    assert lr.value(step) == ours(step)


def test_normalize_accepts_each_new_type_and_builds_it() -> None:
    for name, (params, n) in FULL.items():
        jdata = copy.deepcopy(SYSTEM_TEMPLATE)
        jdata["learning_rate"] = {"type": name, **copy.deepcopy(params)}
        out = normalize(jdata)["learning_rate"]
        for key, value in params.items():
            assert out[key] == value, (name, key)
        # the validated section, as DeePMD-kit passes it on (filled-in defaults
        # such as stop_lr=5e-08 and scale_by_worker included), builds the schedule
        lr = learning_rate.make_learning_rate_schedule(out, n)
        assert lr.schedule.type_name == name


def test_normalize_rejects_a_misspelt_parameter() -> None:
    from dargs.dargs import ArgumentKeyError

    jdata = copy.deepcopy(SYSTEM_TEMPLATE)
    jdata["learning_rate"] = {"type": "onecycle", "start_lr": 1e-3, "pct_strat": 0.2}
    with pytest.raises(ArgumentKeyError, match="pct_strat.*Did you mean: pct_start"):
        normalize(jdata)
    jdata["learning_rate"] = {"type": "cosine_restarts", "start_lr": 1e-3}
    with pytest.raises(Exception, match="period"):  # required parameter missing
        normalize(jdata)
    jdata["learning_rate"] = {"type": "onecycle", "start_lr": 1e-3, "pct_start": "x"}
    with pytest.raises(Exception, match="pct_start"):
        normalize(jdata)


def test_schema_is_generated_from_signatures_and_docstrings() -> None:
    args = {
        a.name: a
        for a in plugin.schema_arguments(BaseLR.registered_types()["cosine_restarts"])
    }
    assert set(args) == {"period", "period_mult", "peak_decay", "warmup_type"}
    assert args["warmup_type"].dtype == (type(None), str)
    assert "'linear', 'cosine', '1-sqrt'" in args["warmup_type"].doc
    assert args["period"].optional is False and args["period"].dtype == (int,)
    assert args["period_mult"].default == 1
    assert args["peak_decay"].default == 1.0 and args["peak_decay"].dtype == (float,)
    assert "length of the first cycle" in args["period"].doc
    onecycle = {
        a.name: a
        for a in plugin.schema_arguments(BaseLR.registered_types()["onecycle"])
    }
    assert "'cos', 'linear'" in onecycle["anneal"].doc


@pytest.mark.parametrize("name", sorted(FULL))
def test_schema_documents_every_plugin_type(name: str) -> None:
    # from the class alone: every parameter of its own, documented, and the
    # example config validates against it
    cls = BaseLR.registered_types()[name]
    arguments = {a.name: a for a in plugin.schema_arguments(cls)}
    for argument in arguments.values():
        assert argument.doc.strip(), (cls, argument.name)
    config, _ = FULL[name]
    assert set(config) - set(arguments) <= {
        "start_lr", "stop_lr", "stop_lr_ratio", "warmup_steps", "warmup_ratio",
        "warmup_start_factor",
    }  # fmt: skip
    jdata = copy.deepcopy(SYSTEM_TEMPLATE)
    jdata["learning_rate"] = {"type": name, **copy.deepcopy(config)}
    assert normalize(jdata)["learning_rate"]["type"] == name


def test_doc_train_input_documents_the_new_types() -> None:
    doc = gen_doc(make_anchor=False)
    for name in FULL:
        assert f"learning_rate[{name}]" in doc, name
    assert "length of the first cycle" in doc


def test_common_keys_a_type_lacks_are_errors_unless_not_given() -> None:
    make = learning_rate.make_learning_rate_schedule
    with pytest.raises(ValueError, match="onecycle.*takes no warmup_steps"):
        make({"type": "onecycle", "start_lr": 1e-3, "warmup_steps": 5}, 40)
    with pytest.raises(ValueError, match="constant.*takes no stop_lr"):
        make({"type": "constant", "start_lr": 1e-3, "stop_lr": 1e-4}, 40)
    with pytest.raises(ValueError, match="constant.*takes no stop_lr_ratio"):
        make({"type": "constant", "start_lr": 1e-3, "stop_lr_ratio": 0.1}, 40)
    # DeePMD-kit's filled-in stop_lr, and the trainer's scale_by_worker, are fine
    lr = make(
        {
            "type": "constant",
            "start_lr": 1e-3,
            "stop_lr": 5e-8,
            "scale_by_worker": "none",
        },
        40,
    )
    assert lr.value(39) == 1e-3
    with pytest.raises(ValueError, match="start_lr must equal the first child"):
        make({**FORTY["sequence"], "type": "sequence", "start_lr": 2e-3}, 40)
    with pytest.raises(TypeError, match="pct_strat.*pct_start"):
        make({"type": "onecycle", "start_lr": 1e-3, "pct_strat": 0.2}, 40)


def test_schedules_pickle_and_copy() -> None:
    import pickle

    lr = learning_rate.make_learning_rate_schedule(
        {"type": "onecycle", **FORTY["onecycle"]}, 40
    )
    again = pickle.loads(pickle.dumps(lr))
    assert again.schedule == lr.schedule and again.value(10) == lr.value(10)
    assert copy.deepcopy(lr).value(10) == lr.value(10)


def test_readme_input_json_validates_and_builds() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Using arraylr schedules in DeePMD-kit", 1)[1]
    block = section.split("```json\n", 1)[1].split("```", 1)[0]
    jdata = normalize(json.loads(block))
    lr = learning_rate.make_learning_rate_schedule(
        jdata["learning_rate"], jdata["training"]["numb_steps"]
    )
    assert lr.schedule.type_name == "cosine_restarts"
    assert lr.value(500) == 1e-3 and lr.value(20500) == 5e-4


def test_import_arraylr_does_not_import_deepmd() -> None:
    code = (
        "import sys, arraylr, arraylr.deepmd\n"
        "assert not any(m == 'deepmd' or m.startswith('deepmd.') for m in sys.modules)"
        ", sorted(m for m in sys.modules if m.startswith('deepmd'))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_entry_points_register_in_a_fresh_interpreter() -> None:
    # what dp does: deepmd.backend (schema) then the trainers' learning-rate import
    code = (
        "import deepmd.backend\n"
        "from deepmd.utils.argcheck import lr_args_plugin\n"
        "names = {a.name for a in lr_args_plugin.get_all_argument()}\n"
        "assert {'onecycle', 'sequence'} <= names, names\n"
        "import sys; assert 'deepmd.dpmodel' not in sys.modules\n"
        "from deepmd.dpmodel.utils.learning_rate import BaseLR\n"
        "lr = BaseLR(type='onecycle', start_lr=1e-3, num_steps=10)\n"
        "print(type(lr).__name__, lr.value(3))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    assert out.stdout.split()[0] == "DeePMDOnecycle"


# ------------------------------------------------------------ the real trainer


def _write_system(root: Path, lr: dict[str, Any], steps: int) -> Path:
    """A tiny periodic system: 2 elements, 6 atoms, 4 frames, and its input."""
    rng = np.random.default_rng(0)
    data = root / "data"
    frames, atoms = 4, 6
    (data / "set.000").mkdir(parents=True)
    box = np.tile(np.diag([6.0, 6.0, 6.0]).reshape(1, 9), (frames, 1))
    np.save(data / "set.000" / "box.npy", box)
    np.save(data / "set.000" / "coord.npy", rng.uniform(0, 6.0, (frames, atoms * 3)))
    np.save(data / "set.000" / "energy.npy", rng.normal(size=frames))
    np.save(data / "set.000" / "force.npy", rng.normal(size=(frames, atoms * 3)))
    (data / "type.raw").write_text("0\n0\n0\n1\n1\n1\n")
    (data / "type_map.raw").write_text("A\nB\n")
    jdata = copy.deepcopy(SYSTEM_TEMPLATE)
    jdata["learning_rate"] = lr
    jdata["training"]["numb_steps"] = steps
    jdata["training"]["save_freq"] = steps
    path = root / "input.json"
    path.write_text(json.dumps(jdata, indent=1))
    return path


def _dp_train(backend: str, root: Path, lr: dict[str, Any], steps: int) -> None:
    dp = shutil.which("dp") or str(Path(sys.executable).with_name("dp"))
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": ""}
    _write_system(root, lr, steps)
    run = subprocess.run(
        [dp, f"--{backend}", "train", "input.json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def _check_lcurve(root: Path, lr: dict[str, Any], steps: int) -> int:
    """Every lcurve.out row against arraylr: step k shows the rate used at step
    k - 1, printed to 2 significant digits."""
    ours = BaseLR(**lr, num_steps=steps)
    rows = [
        line.split()
        for line in (root / "lcurve.out").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(rows) >= steps
    for row in rows:
        step, printed = int(row[0]), row[-1]
        assert printed == f"{ours(step - 1):.1e}", (step, printed, ours(step - 1))
    return len(rows)


TRAIN_CASES = {
    "onecycle": {
        "type": "onecycle",
        "start_lr": 1e-3,
        "pct_start": 0.25,
        "div_factor": 10.0,
        "final_div_factor": 100.0,
    },
    "cosine_restarts+warmup": {
        "type": "cosine_restarts",
        "start_lr": 1e-3,
        "stop_lr": 1e-5,
        "period": 8,
        "period_mult": 2,
        "peak_decay": 0.5,
        "warmup_steps": 6,
        "warmup_start_factor": 0.1,
    },
}


@pytest.mark.parametrize("case", sorted(TRAIN_CASES))
def test_dp_jax_train_uses_arraylr_rates(case: str, tmp_path: Path) -> None:
    pytest.importorskip("flax", reason="dp --jax train needs flax")
    lr = TRAIN_CASES[case]
    _dp_train("jax", tmp_path, lr, 40)
    assert _check_lcurve(tmp_path, lr, 40) == 40


def _torch_matches_deepmd() -> tuple[bool, str]:
    try:
        import torch
        from deepmd.env import GLOBAL_CONFIG
    except ImportError as exc:
        return False, f"dp --pt train needs torch and DeePMD-kit ({exc})"
    built = GLOBAL_CONFIG.get("pt_version", "")
    have = torch.__version__.split("+")[0]
    if not built or have != built:
        return False, (
            f"DeePMD-kit's compiled PyTorch ops were built for torch {built or '?'}; "
            f"this environment has torch {have}, which cannot load them"
        )
    return True, ""


@pytest.mark.parametrize("case", ["onecycle"])
def test_dp_pt_train_uses_arraylr_rates(case: str, tmp_path: Path) -> None:
    ok, why = _torch_matches_deepmd()
    if not ok:
        pytest.skip(why)
    lr = TRAIN_CASES[case]
    _dp_train("pt", tmp_path, lr, 40)
    assert _check_lcurve(tmp_path, lr, 40) == 40
