"""The edges: the right rate, or a clear error, for every input a run can produce.

One regression test per reproduced defect (the numbers in comments are what the
defect gave), then hypothesis properties that keep the edges so.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import subprocess
import sys
import time
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR, load_config
from arraylr.cli import main
from arraylr.testing import _backends
from arraylr.testing.strategies import configs

from conftest import TYPES

EPS32 = float(np.finfo(np.float32).eps)
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
torch = pytest.importorskip("torch")


def restarts(**kw: Any) -> BaseLR:
    config = {"start_lr": 1.0, "stop_lr": 0.0, "num_steps": 10**9, **kw}
    return BaseLR(type="cosine_restarts", **config)


def cycle_starts(lr: BaseLR, top: int) -> list[int]:
    starts, n = [], 0
    while True:
        start = lr.period * (n if lr.period_mult == 1 else 0)
        if lr.period_mult > 1:
            start = lr.period * (lr.period_mult**n - 1) // (lr.period_mult - 1)
        if start > top:
            return starts
        starts.append(start)
        n += 1


# ----------------------------------------------------------------- 1. restarts


def test_restarts_under_jit_start_a_new_cycle() -> None:
    lr = restarts(period=40, period_mult=4)  # gave 0.0 at 200, 840 and 3400
    for steps in (jnp.array([200, 840, 3400]), jnp.array([200.0, 840.0, 3400.0])):
        assert jax.jit(lr.value)(steps).tolist() == [1.0, 1.0, 1.0]


def test_restarts_through_optax_inject_hyperparams() -> None:
    optax = pytest.importorskip("optax")
    lr = restarts(period=40, period_mult=4)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
    params = {"w": jnp.zeros(())}
    state = opt.init(params)
    update = jax.jit(opt.update)
    used = []  # the rate update k used: what the state holds after it
    for _ in range(202):
        _, state = update({"w": jnp.ones(())}, state, params)
        used.append(float(state.hyperparams["learning_rate"]))
    assert used[200] == 1.0 and used[199] < 0.01
    np.testing.assert_allclose(used, lr(np.arange(202)), rtol=0, atol=1e-6)


def test_restarts_at_large_float32_steps() -> None:
    lr = restarts(period=69, period_mult=8)  # float32 gave 0.0 at 2,583,981
    step = 2_583_981
    assert lr(step) == 1.0
    assert lr(np.array([step], dtype=np.float32)).tolist() == [1.0]
    assert lr(torch.tensor([step], dtype=torch.float32)).tolist() == [1.0]
    assert lr(np.array([step]), dtype=np.float32).tolist() == [1.0]


@settings(max_examples=25)
@given(
    period=st.integers(2, 500),
    mult=st.integers(1, 9),
    warmup=st.integers(0, 50),
)
def test_every_restart_starts_at_the_peak(period: int, mult: int, warmup: int) -> None:
    lr = restarts(period=period, period_mult=mult, warmup_steps=warmup)
    starts = [warmup + s for s in cycle_starts(lr, 2**24 - 1 - warmup)][:200]
    before = [s - 1 for s in starts[1:]]
    for dtype in (np.int64, np.float32, np.float64):
        at = lr(np.array(starts, dtype=dtype))
        np.testing.assert_array_equal(at, 1.0)
        assert np.all(lr(np.array(before, dtype=dtype)) < 1.0)
    jitted = jax.jit(lr.value)
    np.testing.assert_array_equal(jitted(jnp.asarray(starts, dtype=jnp.int32)), 1.0)
    np.testing.assert_array_equal(
        jitted(jnp.asarray(starts, dtype=jnp.float32)), np.float32(1.0)
    )


# ------------------------------------------------------------ 2. cycle bottoms


@settings(max_examples=25)
@given(
    decay=st.floats(0.05, 1.0),
    ratio=st.floats(0.0, 1.0),
    mult=st.integers(1, 3),
)
def test_restart_cycles_never_go_below_stop_lr(
    decay: float, ratio: float, mult: int
) -> None:
    lr = restarts(
        period=10, period_mult=mult, peak_decay=decay, stop_lr=ratio, num_steps=5000
    )
    steps = np.arange(0, 5000)
    for values in (
        lr(steps),
        lr(steps.astype(np.float32)),
        [lr(5 * k) for k in range(200)],
    ):
        assert np.min(values) >= np.float32(lr.stop_lr) * (1 - 1e-6)
        assert np.max(values) <= 1.0


def test_restarts_refuse_stop_lr_above_start_lr() -> None:
    with pytest.raises(ValueError, match=r"stop_lr <= start_lr.*stop_lr=2\.0"):
        restarts(period=10, stop_lr=2.0)


# -------------------------------------------------------------- 3. float32


def test_peak_decay_in_float32_keeps_the_bound() -> None:
    lr = restarts(period=10, peak_decay=0.9999, stop_lr=0.0, num_steps=10**6)
    steps = np.arange(0, 100_001, 7)
    reference = lr(steps)
    for values in (
        lr(steps.astype(np.float32)),
        lr(steps, dtype=np.float32),
        np.asarray(jax.jit(lr.value)(jnp.asarray(steps, dtype=jnp.int32))),
    ):
        assert np.max(np.abs(values - reference)) <= 8 * EPS32 * lr.scale


def test_piecewise_boundary_past_2_24_in_float32() -> None:
    lr = BaseLR(
        type="piecewise",
        start_lr=1.0,
        num_steps=2**25,
        boundaries=[16777217],
        values=[0.5],
    )
    step = 16777216  # float32 holds it; the boundary rounds to it
    assert lr(step) == 1.0
    assert lr(np.array([step], dtype=np.float32)).tolist() == [1.0]
    assert lr(torch.tensor([step], dtype=torch.float32)).tolist() == [1.0]
    assert lr(np.array([step]), dtype=np.float32).tolist() == [1.0]
    assert lr(jnp.asarray([step], dtype=jnp.float32)).tolist() == [1.0]
    assert lr(np.array([16777218], dtype=np.float32)).tolist() == [0.5]


def test_wsd_edge_and_polynomial_end_keep_the_float32_bound() -> None:
    wsd = BaseLR(
        type="wsd",
        start_lr=1.0,
        stop_lr=0.01,
        num_steps=10**9,
        decay_phase_ratio=1e-7,  # 100 decay steps after 999,999,900 stable ones
        decay_type="linear",
    )
    poly = BaseLR(
        type="polynomial", start_lr=1.0, stop_lr=0.0, num_steps=10**12, power=0.5
    )
    for lr, edge in ((wsd, wsd.stable_steps), (poly, poly.num_steps)):
        steps = np.arange(edge - 2000, edge + 2000, 1)
        f32 = np.unique(steps.astype(np.float32))  # the steps float32 holds
        bound = 8 * EPS32 * lr.scale
        assert np.max(np.abs(lr(f32) - lr(f32.astype(np.float64)))) <= bound
        assert np.max(np.abs(lr(steps, dtype=np.float32) - lr(steps))) <= bound


# -------------------------------------------------------------- 4. unsigned


LINEAR = {"type": "linear", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 1000}


@pytest.mark.parametrize(
    "steps",
    [
        lambda: np.array([2**63], dtype=np.uint64),  # gave -9.2e13
        lambda: np.uint64(2**64 - 1),  # gave -1e-05
        lambda: torch.tensor([2**63 + 5], dtype=torch.uint64),  # gave -9.2e13
        lambda: jnp.asarray(np.array([3_000_000_000], dtype=np.uint32)),  # -1.3e4
        lambda: torch.full((70_000,), 4_000_000_000, dtype=torch.uint32),
        lambda: torch.full((70_000,), 60_000, dtype=torch.uint16),
    ],
)
@pytest.mark.parametrize("name", ["linear", "exp", "cosine", "wsd"])
def test_unsigned_steps_never_wrap(steps: Any, name: str) -> None:
    lr = BaseLR(**{**LINEAR, "type": name})
    values = _backends.to_numpy(lr(steps()))
    np.testing.assert_allclose(values, lr(2**63), rtol=1e-6)


# -------------------------------------------------------------- 5. infinity


@pytest.mark.parametrize("name", TYPES)
@settings(max_examples=5)
@given(data=st.data())
def test_infinite_and_huge_steps_give_the_rate_past_the_end(
    name: str, data: st.DataObject
) -> None:
    lr = BaseLR(**data.draw(configs(name)))
    final = lr.final_lr
    # NumPy warns where a formula meets inf (cos(inf)); the value is selected over
    np.seterr(invalid="ignore")
    assert lr(math.inf) == final
    assert lr(10**400) == final  # OverflowError for exp, inverse_sqrt, restarts
    assert lr(np.array([np.inf])).tolist() == [final]
    assert lr(np.array([np.inf, np.nan]))[1] != lr(np.array([np.inf, np.nan]))[1]
    near = pytest.approx(final, rel=0, abs=8 * EPS32 * lr.scale)  # float32 (JAX
    # flushes subnormals to zero)
    assert float(lr(np.array([np.inf], dtype=np.float32))[0]) == near
    assert float(lr(torch.tensor([math.inf]))[0]) == near
    assert float(jax.jit(lr.value)(jnp.asarray([jnp.inf]))[0]) == near
    np.seterr(invalid="warn")


def test_exp_at_infinity_is_its_floor() -> None:
    lr = BaseLR(type="exp", start_lr=1e-3, stop_lr=1e-5, num_steps=1000)
    assert lr(math.inf) == lr(np.array([np.inf]))[0] == 1e-5  # NumPy gave NaN


# --------------------------------------------------------------- 6. growth


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"start_lr": 1e-12, "stop_lr": 0.0}, r"floor 1e-10.*start_lr=1e-12"),
        ({"start_lr": 1e-3, "stop_lr": 1e-2}, r"stop_lr=0.01 is above start_lr"),
        ({"start_lr": 1e-310, "stop_lr": 0.0}, r"start_lr must be >= 1.17549e-38"),
    ],
)
def test_exp_refuses_a_derived_growth(config: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        BaseLR(type="exp", num_steps=10**6, **config)


# ----------------------------------------------------------- 7. checkpoints


def test_schedule_lr_checkpoint_loads_with_weights_only() -> None:
    from arraylr.torch import ScheduleLR

    lr = BaseLR(
        type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=50, warmup_steps=5
    )

    def fresh() -> tuple[Any, ScheduleLR]:
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(1e-3))
        return opt, ScheduleLR(opt, lr)

    opt, sched = fresh()
    for _ in range(17):
        opt.step()
        sched.step()
    buffer = io.BytesIO()
    torch.save({"scheduler": sched.state_dict()}, buffer)
    buffer.seek(0)
    state = torch.load(buffer)  # weights_only=True, the default since 2.6
    opt2, sched2 = fresh()
    sched2.load_state_dict(state["scheduler"])
    for _ in range(40):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert float(opt2.param_groups[0]["lr"]) == float(opt.param_groups[0]["lr"])
    assert state["scheduler"]["schedule"] == lr.to_dict()
    json.dumps(state["scheduler"])  # plain data through and through


# -------------------------------------------------------------- 8. aliasing


def test_schedules_do_not_alias_the_callers_lists() -> None:
    boundaries, values = [100, 200], [0.5, 0.25]
    lr = BaseLR(
        type="piecewise",
        start_lr=1.0,
        num_steps=300,
        boundaries=boundaries,
        values=values,
    )
    before = (lr.to_dict(), hash(lr), repr(lr))
    boundaries.append(250)
    values.append(0.025)
    assert (lr.to_dict(), hash(lr), repr(lr)) == before
    again = pickle.loads(pickle.dumps(lr))
    rebuilt = BaseLR(**lr.to_dict())
    assert again == rebuilt == lr
    assert again(260) == rebuilt(260) == lr(260) == 0.25

    child = {"type": "constant", "start_lr": 1.0, "num_steps": 10}
    children = [child, {"type": "constant", "start_lr": 0.5, "num_steps": 10}]
    seq = BaseLR(type="sequence", schedules=children, boundaries=[10])
    snapshot = seq.to_dict()
    child["start_lr"] = 7.0
    children.append(child)
    assert seq.to_dict() == snapshot
    assert BaseLR(**seq.to_dict()) == seq


# ------------------------------------------------------ 9. subclasses, nesting


def test_a_subclass_overriding_value_is_what_calls_get() -> None:
    class Halved(type(BaseLR(**LINEAR))):  # type: ignore[misc]
        def value(self, step: Any, dtype: object = None) -> Any:
            return super().value(step, dtype) / 2

    lr = Halved(start_lr=1e-3, stop_lr=1e-5, num_steps=1000)
    assert lr(10) == lr.value(10) == BaseLR(**LINEAR)(10) / 2


def test_sequence_with_an_unregistered_child_compares_and_prints() -> None:
    class Mine(type(BaseLR(**LINEAR))):  # type: ignore[misc]
        pass

    def make() -> BaseLR:
        child = Mine(start_lr=1e-3, stop_lr=1e-5, num_steps=100)
        return BaseLR(type="sequence", schedules=[child, child], boundaries=[100])

    a, b = make(), make()
    assert a == b and hash(a) == hash(b)
    assert "Mine(" in repr(a)
    with pytest.raises(TypeError, match="not registered"):
        a.to_dict()


def test_nested_sequence_without_num_steps_round_trips() -> None:
    inner = BaseLR(
        type="sequence",
        boundaries=[10],
        schedules=[
            {"type": "linear", "start_lr": 0.1, "stop_lr": 1.0, "num_steps": 10},
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 90},
        ],
    )
    outer = BaseLR(
        type="sequence",
        boundaries=[50],
        schedules=[{"type": "constant", "start_lr": 0.1, "num_steps": 50}, inner],
    )
    rebuilt = BaseLR(**outer.to_dict())  # raised ValueError
    assert rebuilt == outer
    steps = np.arange(0, 200)
    np.testing.assert_array_equal(rebuilt(steps), outer(steps))


# -------------------------------------------- 10, 11. constructor overflow, NaN


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"type": "cosine", "start_lr": 10**400, "stop_lr": 0.0}, "start_lr"),
        ({"type": "cosine", "start_lr": Fraction(10**400, 3), "stop_lr": 0}, "start_lr"),
        ({"type": "cosine", "start_lr": 1e-3, "stop_lr": 0, "warmup_ratio": 1e308}, "warmup_ratio"),
        ({"type": "exp", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 10**400}, "num_steps"),
        ({"type": "wsd", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 10**400}, "num_steps"),
        ({"type": "onecycle", "start_lr": 1e-3, "num_steps": 10**400}, "num_steps"),
        ({"type": "cosine", "start_lr": 1e-3, "stop_lr": 0, "num_steps": 10**400}, "num_steps"),
        ({"type": "cosine", "start_lr": 10.0, "stop_lr_ratio": 1e308}, "stop_lr_ratio=1e+308"),
        ({"type": "cosine", "start_lr": 10.0, "stop_lr": 0, "warmup_start_factor": 1e308}, "warmup_start_factor=1e+308"),
        ({"type": "cosine", "start_lr": 1e-3, "stop_lr": 1e308}, "stop_lr=1e+308"),
        ({"type": "onecycle", "start_lr": 1e-3, "div_factor": 5e-324}, "div_factor=5e-324"),
        ({"type": "piecewise", "start_lr": 1.0, "boundaries": [1, 2], "factors": [1e200, 1e200]}, "factors[0]=1e+200"),
    ],
)  # fmt: skip
def test_bad_configs_raise_value_errors_naming_the_parameter(
    config: dict[str, Any], match: str
) -> None:
    config = {"num_steps": 10, **config}
    with pytest.raises(ValueError, match=match.replace("[", r"\[").replace("+", r"\+")):
        BaseLR(**config)


# ------------------------------------------------------ 12. non-array steps


@pytest.mark.parametrize(
    "step",
    [
        lambda: torch.float32,
        lambda: torch.nn.Linear(1, 1),
        object,
        lambda: "5",
        lambda: None,
    ],
)
def test_non_arrays_as_steps_are_type_errors(step: Any) -> None:
    with pytest.raises(TypeError, match="step must be"):
        BaseLR(**LINEAR)(step())


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize("size", [10, 40_000])
def test_masked_and_matrix_steps_at_every_size(size: int) -> None:
    lr = BaseLR(**LINEAR)
    data = np.arange(size)
    mask = data % 3 == 0
    out = lr(np.ma.MaskedArray(data, mask=mask))
    assert isinstance(out, np.ma.MaskedArray)
    np.testing.assert_array_equal(np.ma.getmaskarray(out), mask)
    np.testing.assert_array_equal(out.compressed(), lr(data[~mask]))
    matrix = lr(np.asmatrix(data.reshape(-1, 2 if size > 10 else 5)))
    assert isinstance(matrix, np.matrix)
    np.testing.assert_array_equal(np.asarray(matrix).reshape(-1), lr(data))


def test_python_number_types_take_the_scalar_route() -> None:
    lr = BaseLR(**LINEAR)
    assert lr(Fraction(1, 2)) == lr(0.5)
    assert lr(True) == lr(1)


# ----------------------------------------------------- 13. YAML alias bombs


def _bomb(levels: int, key: str) -> str:
    lines = ["_0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"_{i}: &a{i} [{refs}]")
    return "\n".join(lines) + f"\n{key}\n"


def test_yaml_alias_bomb_as_a_parameter(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "bomb.yaml"
    path.write_text(
        _bomb(9, "type: piecewise\nstart_lr: 1.0\nnum_steps: 10\nvalues: [1]\n")
        + f"boundaries: *a{8}"
    )
    start = time.perf_counter()
    with pytest.raises(ValueError, match="alias bomb") as info:
        load_config(path)
    assert time.perf_counter() - start < 5
    assert len(str(info.value)) < 600


def test_yaml_alias_bomb_under_a_comment_is_dropped(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "bomb.yaml"
    path.write_text(
        _bomb(
            9,
            "type: sequence\nboundaries: [10]\nschedules:\n"
            "  - {type: constant, start_lr: 1.0, num_steps: 10, _comment: *a8}\n"
            "  - {type: constant, start_lr: 0.5, num_steps: 10}",
        )
    )
    start = time.perf_counter()
    lr = load_config(path)
    assert "_comment" not in repr(lr) and len(repr(lr)) < 400
    assert main(["show", str(path)]) == 0
    assert time.perf_counter() - start < 5


def test_yaml_reads_1e_minus_3_as_a_number(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "lr.yaml"
    path.write_text("type: cosine\nstart_lr: 1e-3\nstop_lr: 1E-5\nnum_steps: 1e3\n")
    with pytest.raises(TypeError, match="num_steps must be an integer"):
        load_config(path)  # a float step count is still refused
    path.write_text("type: cosine\nstart_lr: 1e-3\nstop_lr: 1E-5\nnum_steps: 1000\n")
    assert load_config(path).start_lr == 1e-3


# ------------------------------------------------------- 14. CLI tracebacks


CFG = '{"type": "cosine", "start_lr": 1e-3, "stop_lr": 0, "num_steps": 100}'


@pytest.mark.parametrize(
    ("files", "args", "needle"),
    [
        ({"deep.json": "[" * 100_000}, ["show", "deep.json"], "deep.json: JSON nested"),
        ({"deep.yaml": "[" * 100_000}, ["show", "deep.yaml"], "deep.yaml"),
        ({"big.json": '{"num_steps": ' + "9" * 5000 + "}"}, ["show", "big.json"], "big.json"),
        ({}, ["show", CFG.replace("100}", '10, "warmup_ratio": 1e308}')], "warmup_ratio"),
        ({}, ["show", CFG.replace("100", str(2**64))], "num_steps"),
        ({}, ["show", CFG, "--num-steps", "1e20"], "num_steps"),
        ({}, ["plot", CFG, "-o", "lr.pngx"], "lr.pngx"),
        ({"u8.json": b"\xc3\x28"}, ["show", "u8.json"], "u8.json: not valid UTF-8"),
        ({"d.json": '{"training": {"numb_steps": 10}}'}, ["show", "d.json"], "missing key 'learning_rate'"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line_with_exit_2(
    tmp_path: Path, files: dict[str, Any], args: list[str], needle: str
) -> None:
    for name, text in files.items():
        data = text if isinstance(text, bytes) else text.encode()
        (tmp_path / name).write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-m", "arraylr", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert needle in done.stderr and "Traceback" not in done.stderr


def test_utf16_config_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "lr.json"
    path.write_bytes(CFG.encode("utf-16"))
    assert load_config(path)(50) == pytest.approx(5e-4)


def test_num_steps_accepts_scientific_notation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["show", CFG, "--num-steps", "1e3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["resolved"]["num_steps"] == 1000


# ------------------------------------------------------------------- fuzzing


HOSTILE = [
    1e308, -1e308, 5e-324, 1e-310, math.nan, math.inf, -math.inf, 0.0, -0.0,
    10**400, -(10**400), 2**63, 2**64, -1, 0, 1, 3, 1.5, 0.5,
    Fraction(10**400, 3), Fraction(1, 3),
    "1e-3", None, True, False, [], [1], [10**400], {}, object(),
]  # fmt: skip


def _hostile_values() -> st.SearchStrategy[Any]:
    from decimal import Decimal

    extra = st.sampled_from(
        [
            Decimal("1e-3"),
            Decimal("NaN"),
            np.float32(1e-3),
            np.float64(np.inf),
            np.int64(5),
            np.uint64(2**64 - 1),
            np.array(5),
            np.array(1e-3),
            torch.tensor(5),
            torch.tensor(1e-3),
        ]
    )
    return st.one_of(
        st.sampled_from(HOSTILE),
        extra,
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(2**70), max_value=2**70),
    )


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("polynomial", "power", 1e308),
        ("polynomial", "power", 3.5e38),
        ("cosine", "exponent", 3.5e38),
        ("cosine", "exponent", 1e308),
    ],
)
def test_powers_past_float32_range(
    library: Any, xp: Any, name: str, key: str, value: float
) -> None:
    # float32 steps raised to a Python float past float32's range warned
    # "overflow encountered in cast" (NumPy; found by the hostile-argument test)
    lr = BaseLR(type=name, start_lr=1.0, stop_lr=0.0, num_steps=10, **{key: value})
    steps = np.arange(12, dtype=np.float32)
    out = _backends.to_numpy(lr(xp.asarray(steps)))
    expected = np.zeros(12)
    expected[0] = 1.0  # 1 at the start, and x ** p = 0 for every x < 1
    np.testing.assert_array_equal(out, expected.astype(np.float32))
    assert [lr(int(k)) for k in range(12)] == expected.tolist()


@settings(max_examples=150)
@given(data=st.data(), name=st.sampled_from(TYPES))
def test_hostile_constructor_arguments(data: st.DataObject, name: str) -> None:
    config = data.draw(configs(name))
    names = BaseLR._lookup(name)._parameter_names()
    for key in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
        config[key] = data.draw(_hostile_values())
    try:
        lr = BaseLR(**config)
    except (TypeError, ValueError):
        return
    steps = np.unique(
        np.concatenate(
            [np.arange(0, 50), [lr.num_steps - 1, lr.num_steps, lr.num_steps + 1]]
        ).clip(0, 2**62)
    ).astype(np.int64)
    top = lr.scale * (1 + 1e-6)
    with warnings.catch_warnings():  # rates XLA flushes to 0: warned, documented
        warnings.filterwarnings("ignore", "(?s).*flushes rates below", RuntimeWarning)
        by_jax = np.asarray(lr(jnp.asarray(steps.astype(np.int32))))
    outputs = [
        lr(steps),
        lr(steps.astype(np.float32)),
        np.array([lr(int(s)) for s in steps]),
        lr(torch.from_numpy(steps)).numpy(),
        by_jax,
    ]
    for values in outputs:
        values = np.asarray(values, dtype=np.float64)
        assert np.all(np.isfinite(values)), (lr, values)
        assert np.all(values >= 0) and np.all(values <= top), (lr, values)


def test_an_unhashable_dtype_argument_gets_the_dtype_message() -> None:
    with pytest.raises(TypeError, match=r"dtype must be a real floating dtype"):
        BaseLR(**LINEAR)(np.arange(3), dtype=[1])
