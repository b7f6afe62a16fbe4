"""Regressions found by an adversarial search, a newcomer and PyTorch's own
suite (each test failed on the code before its fix)."""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR, Population
from arraylr._backend import torch_operations
from arraylr.testing import strategies as lrst

from conftest import TYPES, example, per_type

# ------------------------------------------------- the rate at step 0 is exact


def _start_rate(lr: BaseLR) -> float | None:
    """The parameter the rate at step 0 equals (``None``: a derived product)."""
    if lr.num_steps == 0 or lr.type_name == "product":
        return None
    if lr.type_name == "onecycle":
        return lr.initial_lr if lr.up_steps else lr.start_lr  # type: ignore[attr-defined]
    if lr.type_name == "sequence":
        return _start_rate(lr.children[0])  # type: ignore[attr-defined]
    return lr.start_lr


@pytest.mark.parametrize("kind", TYPES)
@settings(max_examples=per_type(200, least=10), deadline=None)
@given(data=st.data())
def test_the_rate_at_step_0_is_the_parameter_exactly(
    kind: str, data: st.DataObject
) -> None:
    """Without warmup, step 0 gives start_lr itself (0 ulp) on the scalar route
    and every array route (DeepSpeed's tests assert equality there): linear and
    polynomial gave 0.010000000000000002 for 0.01 -> 0.001."""
    import torch

    config = data.draw(lrst.configs(kind, max_steps=10**6))
    config.pop("warmup_steps", None)
    config.pop("warmup_ratio", None)
    lr = BaseLR(**config)
    want = _start_rate(lr)
    routes = {
        "python": lr(0),
        "numpy int64": float(lr(np.array([0, 1]))[0]),
        "numpy float64": float(lr(np.array([0.0, 1.0]))[0]),
        "numpy 0-d": float(lr(np.asarray(0))),
    }
    with torch_operations():
        routes["torch int64"] = float(lr(torch.tensor([0, 1]))[0])
        routes["torch float64"] = float(
            lr(torch.tensor([0.0, 1.0], dtype=torch.float64))[0]
        )
    if want is None:  # a product of factors: every route the same number
        want = routes["python"]
    else:  # a parameter: float32 holds it rounded once
        assert lr(np.array([0, 1], dtype=np.float32))[0] == np.float32(want)
    assert all(v == want for v in routes.values()), (lr, want, routes)


def test_linear_and_polynomial_start_and_end_exactly() -> None:
    for kind, extra in (("linear", {}), ("polynomial", {"power": 2.0})):
        for start, stop in ((0.01, 0.001), (0.001, 0.01)):
            lr = BaseLR(type=kind, start_lr=start, stop_lr=stop, num_steps=10, **extra)
            assert lr(0) == start and lr(10) == stop
            assert lr(np.arange(11))[[0, 10]].tolist() == [start, stop]


# ---------------------------------------------- +inf steps are silent on NumPy


@pytest.mark.parametrize("kind", TYPES)
def test_an_infinite_step_warns_nothing(kind: str) -> None:
    """cosine and onecycle (single and population) gave the right final rate at
    +inf but warned "invalid value encountered in cos" (an error under -W)."""
    lr = BaseLR(**example(kind))
    population = Population([example(kind), example(kind)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            steps = np.array([np.inf, 5.0, np.inf], dtype=dtype)
            assert lr(steps)[0] == np.asarray(lr.final_lr, dtype=dtype)
            assert (population(steps)[:, 0] == np.asarray(lr.final_lr, dtype)).all()
        assert lr(math.inf) == lr.final_lr


# ------------------------------------------ populations made from arrays


def _cosine_pair() -> Population:
    return Population.sweep(
        {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 10},
        start_lr=[1.0, 2.0],
    )


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (4.0, TypeError, r"must be an array of one value per member .*start_lr=4.0"),
        (None, TypeError, r"start_lr must be an array .*got start_lr=None"),
        ("x", TypeError, r"start_lr must be an array .*got start_lr='x'"),
        ([4.0], ValueError, r"start_lr must hold one value per member \(shape"),
    ],
)  # fmt: skip
def test_with_parameters_names_a_value_it_cannot_take(
    value: Any, error: type, match: str
) -> None:
    # an AttributeError about .shape before
    with pytest.raises(error, match=match):
        _cosine_pair().with_parameters(start_lr=value)


def test_with_parameters_takes_a_list() -> None:
    moved = _cosine_pair().with_parameters(start_lr=[4.0, 8.0])
    assert moved(5).tolist() == [2.0, 4.0]


def test_values_of_one_library_meet_steps_of_another_with_a_type_error() -> None:
    import jax.numpy as jnp
    import torch

    pair = _cosine_pair()
    by_torch = pair.with_parameters(
        start_lr=torch.tensor([4.0, 8.0], dtype=torch.float64)
    )
    assert by_torch(torch.tensor(5)).tolist() == [2.0, 4.0]
    for steps, name in ((5, "numpy"), (np.arange(3), "numpy"), (jnp.arange(3), "jax")):
        with pytest.raises(
            TypeError, match=f"values are torch arrays.*steps are {name}'s"
        ):
            by_torch(steps)
    by_jax = pair.with_parameters(start_lr=jnp.asarray([4.0, 8.0]))
    with pytest.raises(TypeError, match="values are jax arrays.*steps are torch's"):
        by_jax(torch.arange(3))
    with pytest.raises(TypeError, match="one array library.*torch.*jax"):
        pair.with_parameters(
            start_lr=torch.tensor([1.0, 2.0]), stop_lr=jnp.asarray([0.0, 0.0])
        )


def test_a_population_made_from_arrays_has_a_repr_and_says_what_it_lacks() -> None:
    import copy
    import pickle

    moved = _cosine_pair().with_parameters(start_lr=np.array([4.0, 8.0]))
    assert "2 members of type 'cosine', values given as arrays" in repr(moved)
    assert moved == moved and moved != _cosine_pair()
    assert hash(moved) == hash(moved)
    again = copy.deepcopy(moved)
    np.testing.assert_array_equal(again(np.arange(11)), moved(np.arange(11)))
    with pytest.raises(TypeError, match="no member configs to pickle"):
        pickle.dumps(moved)
    with pytest.raises(TypeError, match="made from arrays of values"):
        _ = moved.members


def test_baselr_without_type_is_exp_as_a_config_is() -> None:
    # README says a config's type defaults to exp; BaseLR(...) raised "abstract"
    from arraylr import make_learning_rate_schedule

    config = {"start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 1000}
    lr = BaseLR(**config)
    assert lr.type_name == "exp"
    assert lr == make_learning_rate_schedule(config, 1000)
    assert Population([config, config])[0] == lr


# ------------------------------------------- the largest steps of each dtype


@pytest.mark.parametrize("kind", TYPES)
@settings(max_examples=per_type(60, least=4), deadline=None)
@given(data=st.data())
def test_the_largest_int32_and_int64_steps(kind: str, data: st.DataObject) -> None:
    """JAX without x64 holds steps as int32: at 2**31 - 1, cosine_restarts with
    period_mult >= 2 gave the next cycle's peak (1.0 for 0.8041): a start past
    int32, clipped to its largest value, was taken as reached."""
    import jax.numpy as jnp

    # cycles of every length (tables of cycle starts past int32), no warmup
    # (a warmup keeps the decay-phase step below the largest one)
    pushed = {"cosine_restarts": {"period_mult": st.integers(2, 4)}}.get(kind, {})
    config = data.draw(lrst.configs(kind, max_steps=10**6, **pushed))
    config.pop("warmup_steps", None)
    config.pop("warmup_ratio", None)
    lr = BaseLR(**config)
    bound = 8 * float(np.finfo(np.float32).eps) * lr.scale
    steps = [2**31 - 1, 2**31 - 2, 2**31 - 1 - data.draw(st.integers(0, 10**6))]
    got = np.asarray(lr(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64)
    want = np.array([lr(s) for s in steps])
    np.testing.assert_allclose(got, want, rtol=0, atol=bound)
    top = [2**63 - 1, 2**63 - 2]
    np.testing.assert_allclose(
        lr(np.asarray(top, dtype=np.int64)), [lr(s) for s in top], rtol=0,
        atol=2 * float(np.finfo(np.float64).eps) * lr.scale,
    )  # fmt: skip


@pytest.mark.parametrize("warmup", [0, 3])
def test_cosine_restarts_at_the_largest_int32_step(warmup: int) -> None:
    import jax
    import jax.numpy as jnp

    lr = BaseLR(
        type="cosine_restarts", start_lr=1.0, stop_lr=0.0, num_steps=1000,
        period=7, period_mult=3, warmup_steps=warmup,
    )  # fmt: skip
    steps = jnp.asarray([2**31 - 2, 2**31 - 1], dtype=jnp.int32)
    want = [lr(2**31 - 2), lr(2**31 - 1)]
    assert abs(want[1] - 0.8041) < 1e-4
    for got in (lr(steps), jax.jit(lr.value)(steps)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    population = Population([lr.to_dict(), {**lr.to_dict(), "start_lr": 0.5}])
    np.testing.assert_allclose(np.asarray(population(steps))[0], want, rtol=1e-6)


# --------------------------------- warmups past int32 at JAX float32 steps


def _warmup_kinds() -> list[str]:
    from conftest import type_class

    return [k for k in TYPES if "warmup_steps" in type_class(k)._parameter_names()]


@pytest.mark.parametrize("kind", _warmup_kinds())
def test_a_warmup_past_int32_at_jax_float32_steps(kind: str) -> None:
    """JAX refuses a Python int past int32 beside a float32 array: warmup_steps
    >= 2**31 raised OverflowError (eagerly and under jit, single schedules and
    populations); edges up to 2**63 - 1 are documented."""
    import jax
    import jax.numpy as jnp

    config = example(kind, num_steps=2**33, warmup_steps=2**31 + 5)
    config.pop("warmup_ratio", None)
    if kind == "piecewise":
        config["boundaries"] = [2**32, 2**32 + 10, 2**32 + 20]
    if kind == "cosine_restarts":
        config["period"] = 10**6
    lr = BaseLR(**config)
    steps = jnp.asarray([1.0, 2.0**31, 2.0**31 + 1024, 2.0**32, 3 * 2.0**31])
    want = np.array([lr(float(s)) for s in np.asarray(steps)])
    bound = 8 * float(np.finfo(np.float32).eps) * lr.scale
    population = Population([config, {**config, "warmup_steps": 2**31 + 7}])
    ratio = BaseLR(**{**config, "warmup_steps": 0, "warmup_ratio": 0.3})
    for got, expected in (
        (lr(steps), want),
        (jax.jit(lr.value)(steps), want),
        (population(steps)[0], want),
        (ratio(steps), [ratio(float(s)) for s in np.asarray(steps)]),
    ):
        np.testing.assert_allclose(np.asarray(got, np.float64), expected, atol=bound)


# ------------------------------------- jax.vmap over populations of any shape


@pytest.mark.parametrize("kind", TYPES)
@settings(max_examples=per_type(28, least=2), deadline=None)
@given(data=st.data())
def test_vmap_over_any_population_maps_every_member_or_refuses(
    kind: str, data: st.DataObject
) -> None:
    """Warmups [0, 0, 100, 100] gave shape (2, 4) where the population gives
    (4, 4), two members dropped; [0, 100, 0] raised JAX's "inconsistent sizes"
    ValueError: vmap maps every member, or raises the documented TypeError,
    eagerly and under jit."""
    import jax
    import jax.numpy as jnp

    from arraylr.population import register_jax

    register_jax()
    population = data.draw(lrst.populations(kind, max_steps=10**4, max_members=5))
    steps = jnp.arange(0, 2 * max(m.num_steps for m in population) + 3, 7)[:40]
    want = np.asarray(population(steps))
    bound = 8 * float(np.finfo(np.float32).eps) * population.scale
    # one evaluation whose members share their edges maps; anything else is refused
    refused = population.groups > 1 or population._groups[0].top is not None
    for mapped in (jax.vmap(lambda p: p(steps)), jax.jit(jax.vmap(lambda p: p(steps)))):
        if refused:
            with pytest.raises(TypeError, match="(?i)call the population"):
                mapped(population)
            continue
        got = np.asarray(mapped(population))
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=bound)


@pytest.mark.parametrize("warmups", [[0, 0, 100, 100], [0, 100], [0, 100, 0]])
def test_vmap_over_members_of_several_evaluations_is_refused(
    warmups: list[int],
) -> None:
    import jax
    import jax.numpy as jnp

    from arraylr.population import register_jax

    register_jax()
    population = Population.sweep(
        {"type": "cosine", "start_lr": 1e-3, "stop_lr": 0.0, "num_steps": 1000},
        warmup_steps=warmups,
    )
    for mapped in (
        jax.vmap(lambda p: p(jnp.arange(4))),
        jax.jit(jax.vmap(lambda p: p(jnp.arange(4)))),
    ):
        with pytest.raises(TypeError, match="one evaluation.*call the population"):
            mapped(population)
    # jit and grad of the whole population are fine
    np.testing.assert_allclose(
        np.asarray(jax.jit(lambda p: p(jnp.arange(4)))(population)),
        population(np.arange(4)), rtol=1e-6,
    )  # fmt: skip


# --------------------------------------------------------------- the CLI


def _cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    from arraylr.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_and_check_read_a_population_file(tmp_path: Any, capsys: Any) -> None:
    """plot read a Population.to_dict() file; show and check refused it
    ("unknown schedule type 'population'")."""
    import json

    population = Population.sweep(
        {"type": "cosine", "start_lr": 1e-3, "stop_lr": 0.0, "num_steps": 100},
        start_lr=[1e-3, 2e-3],
    )
    path = tmp_path / "population.json"
    path.write_text(json.dumps(population.to_dict()))
    code, out, err = _cli(capsys, "show", str(path))
    assert code == 0, err
    assert "Population of 2 'cosine' schedules" in out
    assert "member 1: LearningRateCosine" in out and "0.002" in out
    code, out, _ = _cli(capsys, "show", str(path), "--json")
    shown = json.loads(out)
    assert shown["type"] == "population" and len(shown["members"]) == 2
    assert shown["members"][1]["resolved"]["start_lr"] == 2e-3
    code, out, _ = _cli(capsys, "check", str(path), "--backends", "numpy")
    assert code == 0 and "numpy" in out


@pytest.mark.parametrize("kind", ["cyclic", "product", "onecycle"])
def test_show_labels_no_warmup_default_for_a_type_without_warmup(
    kind: str, capsys: Any
) -> None:
    import json

    code, out, _ = _cli(capsys, "show", json.dumps(example(kind)))
    assert code == 0
    assert f"note: {kind} takes no warmup parameters" in out
    assert "warmup_steps" not in out and "warmup_type" not in out
    code, out, _ = _cli(capsys, "show", json.dumps(example(kind)), "--json")
    assert not {"warmup_steps", "warmup_type"} & set(json.loads(out)["defaults"])


def test_a_sweep_replaces_the_files_other_spelling(tmp_path: Any, capsys: Any) -> None:
    """--sweep warmup_steps over a file that gives warmup_ratio failed with
    "mutually exclusive"; a remaining clash says which value is the file's."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("yaml")
    config = "examples/cosine.yaml"  # warmup_ratio and stop_lr_ratio
    for sweep in ("warmup_steps=0,100", "stop_lr=1e-5,1e-6", "warmup_ratio=0,0.1"):
        out = tmp_path / "sweep.png"
        code, _, err = _cli(capsys, "plot", config, "--sweep", sweep, "-o", str(out))
        assert code == 0, (sweep, err)
        assert out.stat().st_size > 10_000
    code, _, err = _cli(
        capsys, "plot", config, "--sweep", "warmup_steps=0,100000", "-o",
        str(tmp_path / "x.png"),
    )  # fmt: skip
    assert code == 2
    assert "warmup_steps must be < num_steps" in err
    assert "(from cosine.yaml: num_steps=100000)" in err


# ------------------------------------------- PyTorch's etiquette, as its tests


def test_step_order_warnings_end_with_torchs_link() -> None:
    import torch

    from arraylr.torch import ScheduleLR

    link = "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
    lr = BaseLR(type="cosine", start_lr=0.1, stop_lr=0.0, num_steps=10)
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    scheduler = ScheduleLR(opt, lr)
    with pytest.warns(
        UserWarning, match=r"before `optimizer.step\(\)`.*" + re.escape(link)
    ):
        scheduler.step()
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    scheduler = ScheduleLR(opt, lr)
    opt.step = lambda *a, **k: None  # type: ignore[method-assign]
    with pytest.warns(UserWarning, match=r"overridden.*" + re.escape(link)):
        scheduler.step()


def test_resuming_without_initial_lr_is_torchs_key_error() -> None:
    import torch

    from arraylr.torch import ScheduleLR

    lr = BaseLR(type="cosine", start_lr=0.1, stop_lr=0.0, num_steps=10)
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(
        KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\]"
    ):
        ScheduleLR(opt, lr, last_epoch=3)
    ScheduleLR(opt, lr)  # a fresh start writes it
    resumed = ScheduleLR(opt, lr, last_epoch=3)
    assert resumed.last_epoch == 4 and opt.param_groups[0]["lr"] == lr(4)


def test_a_usage_error_is_one_line(capsys: Any) -> None:
    # argparse printed its usage before the error: two lines
    from arraylr.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["show", "examples/cosine.yaml", "--sweep", "warmup_steps=0,5000"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unrecognized arguments: --sweep" in err


def test_a_sweep_says_what_it_replaced_and_labels_members(
    tmp_path: Any, capsys: Any
) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("yaml")
    from arraylr.cli import _curves

    _, labels, notes = _curves("examples/cosine.yaml", [("warmup_steps", [0, 5])], None)
    assert notes == ["--sweep warmup_steps replaces warmup_ratio=0.05 of cosine.yaml"]
    import json

    population = Population.sweep(example("cosine"), start_lr=[1.0, 2.0])
    path = tmp_path / "p.json"
    path.write_text(json.dumps(population.to_dict()))
    _, labels, _ = _curves(str(path), [], None)
    assert labels == ["member 0: start_lr=1.0", "member 1: start_lr=2.0"]


@pytest.mark.parametrize("kind", ["onecycle", "cyclic"])
def test_cycling_schedules_keep_torchs_group_entries(kind: str) -> None:
    """torch's OneCycleLR and CyclicLR keep max_lr/min_lr (onecycle) and
    base_momentum/max_momentum in each group, and users read them."""
    import torch
    from torch.optim import lr_scheduler as S

    from arraylr.torch import ScheduleLR

    def optimizer() -> Any:
        model = torch.nn.Linear(2, 1)
        return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    theirs, ours = optimizer(), optimizer()
    if kind == "onecycle":
        S.OneCycleLR(theirs, max_lr=0.5, total_steps=100)
        lr = BaseLR(type="onecycle", start_lr=0.5, num_steps=100)
        momentum = lr.momentum_schedule(0.85, 0.95)  # type: ignore[attr-defined]
        keys = ["max_lr", "min_lr", "base_momentum", "max_momentum"]
    else:
        S.CyclicLR(theirs, base_lr=0.01, max_lr=0.1, step_size_up=5)
        lr = BaseLR(type="cyclic", start_lr=0.01, max_lr=0.1, step_size_up=5,
                    num_steps=100)  # fmt: skip
        momentum = lr.momentum_schedule(0.8, 0.9)  # type: ignore[attr-defined]
        keys = ["base_momentum", "max_momentum"]
    ScheduleLR(ours, lr, momentum=momentum)
    for key in keys:
        assert ours.param_groups[0][key] == pytest.approx(
            theirs.param_groups[0][key], rel=1e-12
        ), key
