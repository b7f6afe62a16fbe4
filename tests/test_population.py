"""Populations: many schedules of one type in one vectorised call
(arraylr.population), member by member against the single schedules."""

from __future__ import annotations

import json
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.population import Population, register_jax
from arraylr.testing import assert_backends_agree, backend_disagreements
from arraylr.testing import strategies as lrst

from conftest import TYPES, example, per_type, type_class

EPS64 = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def _steps(population: Population) -> np.ndarray:
    """Every member's phase edges and their neighbours, and a grid past the end."""
    marks = [0, 1]
    for member in population:
        n, w = member.num_steps, member.warmup_steps
        marks += [w - 1, w, w + 1, n - 1, n, n + 1, 2 * n + 3]
        for step, _ in member.phases():
            marks += [step - 1, step, step + 1]
    top = max(m.num_steps for m in population)
    grid = np.linspace(0, int(top * 1.1) + 1, 40).astype(np.int64)
    steps = np.unique(np.concatenate([np.asarray(marks, dtype=np.int64), grid]))
    return steps[steps >= 0]


# ------------------------------------------------------- agreement, every type


@pytest.mark.parametrize("kind", TYPES)
@settings(max_examples=per_type(40), deadline=None)
@given(data=st.data())
def test_members_agree_numpy_torch(data: st.DataObject, kind: str) -> None:
    population = data.draw(lrst.populations(kind, max_steps=10**6))
    report = backend_disagreements(
        population, _steps(population), backends=["numpy", "torch"]
    )
    broken = [str(d) for d in report if not d.ok]
    assert not broken, f"{population!r}: {broken}"


@pytest.mark.parametrize("kind", TYPES)
@settings(max_examples=per_type(3, least=1), deadline=None)
@given(data=st.data())
def test_members_agree_jax_and_jit(data: st.DataObject, kind: str) -> None:
    population = data.draw(lrst.populations(kind, max_steps=10**6, max_members=3))
    report = backend_disagreements(
        population, _steps(population), backends=["jax", "jax_jit"]
    )
    broken = [str(d) for d in report if not d.ok]
    assert not broken, f"{population!r}: {broken}"


def test_every_backend_and_the_checks_accept_a_population() -> None:
    population = Population.sweep(
        {"type": "wsd", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 1000},
        start_lr=[1e-3, 3e-3, 2e-3],
        warmup_steps=[0, 100, 100],
    )
    report = assert_backends_agree(population)
    assert {d.backend for d in report} >= {"python", "numpy", "torch", "jax"}


@pytest.mark.parametrize("kind", TYPES)
def test_float_variants_are_one_evaluation(kind: str) -> None:
    """Members differing only in float parameters share one group, and each
    row is that member's own rates."""
    # cosine_restarts: equal cycles (longer ones read a table of peaks, built
    # from start_lr in Python: structure)
    changes = {"cosine_restarts": {"period_mult": 1}}.get(kind, {})
    config = example(kind, **changes)
    start = config.get("start_lr", 1.0)
    swept: dict[str, Any] = {"start_lr": [start * f for f in (1.0, 2.0, 0.5, 1.5)]}
    if kind == "cyclic":  # start_lr is the bottom, max_lr the top
        swept = {"max_lr": [config["max_lr"] * f for f in (1.0, 2.0, 0.5, 1.5)]}
    if kind == "sequence":  # children are structure
        swept = {"num_steps": [BaseLR(**config).num_steps] * 4}
    population = Population.sweep(config, **swept)
    assert population.groups == 1
    top = max(member.num_steps for member in population)
    steps = np.arange(0, int(1.2 * top) + 1, max(1, top // 170))
    rates = population(steps)
    assert rates.shape == (4, steps.size)
    for row, member in zip(rates, population, strict=True):
        bound = 4 * EPS64 * population.scale
        np.testing.assert_allclose(row, member(steps), rtol=0, atol=bound)


# ------------------------------------------------------------- exact edges


def test_integer_edges_are_each_members_own() -> None:
    """warmup_steps differing per member: every member leaves its warmup at its
    own W, for integer steps and for float32 steps past 2**24 (edges rounded
    up), as the single schedules do."""
    big = 2**24 + 1  # float32 cannot hold it: the edge is rounded up to 2**24 + 2
    population = Population.sweep(
        {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 2**25},
        warmup_steps=[3, 4, big],
        start_lr=[1.0, 0.5, 2.0],
    )
    assert population.groups == 1  # edges are arrays, one per member
    steps = np.array([2, 3, 4, 5, big - 1, big, big + 1], dtype=np.int64)
    rates = population(steps)
    for row, member in zip(rates, population, strict=True):
        np.testing.assert_array_equal(row, member(steps))
    # each row rises to its own start_lr exactly at its own W
    assert rates[0, 1] == 1.0 and rates[0, 0] < 1.0
    assert rates[1, 2] == 0.5 and rates[1, 1] < 0.5
    assert rates[2, 5] == 2.0 and rates[2, 4] < 2.0
    floats = np.array([2**24, 2**24 + 2], dtype=np.float32)
    rates32 = population(floats)
    for row, member in zip(rates32, population, strict=True):
        np.testing.assert_array_equal(row, member(floats))
    assert rates32[2, 0] < 2.0 and rates32[2, 1] == np.float32(2.0)


BIG = 2**24 + 1  # float32 cannot hold it


EDGE_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "cosine": ({"stop_lr": 0.0, "num_steps": 2**26}, {"warmup_steps": [3, BIG]}),
    "linear": ({"stop_lr": 0.0, "num_steps": BIG + 7},
        {"num_steps": [BIG + 7, 2**25 + 3]}),
    "wsd": ({"stop_lr": 1e-3, "num_steps": 2**26},
        {"decay_phase_steps": [BIG, 100], "warmup_steps": [5, BIG]}),
    "exp": ({"stop_lr": 1e-5, "num_steps": 2**26, "decay_rate": 0.9},
        {"decay_steps": [BIG, 1000]}),
    "inverse_time": ({"num_steps": 2**26, "decay_rate": 0.5, "staircase": True},
        {"decay_steps": [BIG, 3]}),
    "piecewise": ({"num_steps": 2**26, "factors": [0.5, 0.1]},
        {"boundaries": [[BIG, BIG + 2], [10, 2**25 + 1]]}),
    "cyclic": ({"max_lr": 1e-2, "num_steps": 2**27},
        {"step_size_up": [BIG, 7], "step_size_down": [3, BIG]}),
    "onecycle": ({"num_steps": 2**26}, {"pct_start": [0.25, 0.5]}),
    "polynomial": ({"stop_lr": 1e-5, "cycle": True, "power": 2.0},
        {"num_steps": [BIG + 4, 1000]}),
    "cosine_restarts": ({"stop_lr": 0.0, "num_steps": 2**27},
        {"period": [BIG, 10], "warmup_steps": [7, BIG]}),
}  # fmt: skip
"""Members differing in each edge of a type, past 2**24 (every type declaring
``_edges`` is run; one without a case here sweeps its num_steps)."""


def _edge_case(kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if kind in EDGE_CASES:
        config, swept = EDGE_CASES[kind]
        return {"type": kind, "start_lr": 1e-3, **config}, swept
    config = example(kind, num_steps=2**26)
    return config, {"num_steps": [2**26, BIG + 7]}


@pytest.mark.parametrize(
    "kind", [name for name in TYPES if type_class(name).__dict__.get("_edges")]
)
def test_edges_of_every_edge_type_are_each_members_own(kind: str) -> None:
    """Members whose integer edges differ are one evaluation, and each row
    equals the member evaluated alone at steps around every member's edges:
    integer steps, and float32/float64 steps past 2**24 (edges rounded up)."""
    config, swept = _edge_case(kind)
    start = config.get("start_lr", 1.0)
    population = Population.sweep(config, start_lr=[start, 2 * start], **swept)
    assert population.groups == 1
    marks = {0, 1}
    for member in population:
        for step, _ in member.phases():
            marks |= {step - 2, step - 1, step, step + 1, step + 2}
        marks |= {2 * BIG + 3, 3 * BIG - 1}
    ints = np.asarray(sorted(m for m in marks if m >= 0), dtype=np.int64)
    for steps in (ints, ints.astype(np.float32), ints.astype(np.float64)):
        rates = population(steps)
        for row, member in zip(rates, population, strict=True):
            want = member(steps)
            eps = EPS32 * 2 if steps.dtype == np.float32 else EPS64
            np.testing.assert_allclose(row, want, rtol=0, atol=4 * eps * member.scale)
    torch = pytest.importorskip("torch")
    tensor = torch.from_numpy(ints.astype(np.float32))
    rates = population(tensor)
    for row, member in zip(rates, population, strict=True):
        np.testing.assert_allclose(
            row.numpy(), member(tensor).numpy(), rtol=0, atol=8 * EPS32 * member.scale
        )


def test_mixed_structure_keeps_member_order() -> None:
    configs = [
        {"type": "exp", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 1000,
         "decay_steps": d, "warmup_steps": w}
        for d, w in [(100, 0), (50, 10), (100, 0), (50, 0), (100, 10)]
    ]  # fmt: skip
    population = Population(configs)
    # decay_steps and warmup_steps are edges (arrays); a warmup of 0 takes
    # another code path than 10: two evaluations, rows interleaved
    assert population.groups == 2
    steps = np.arange(-3, 1100, 13)
    rates = population(steps)
    for row, config in zip(rates, configs, strict=True):
        np.testing.assert_array_equal(row, BaseLR(**config)(steps))


def test_shapes_dtypes_and_scalars() -> None:
    import torch

    population = Population.sweep(
        {"type": "linear", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 10},
        start_lr=[1.0, 2.0],
    )
    assert population(5).tolist() == [0.5, 1.0]
    assert population(np.int32(5)).dtype == np.float64
    assert population(np.float32(5)).dtype == np.float32
    out = population(np.zeros((3, 4), dtype=np.int64))
    assert out.shape == (2, 3, 4) and out.dtype == np.float64
    tensor = population(torch.arange(11, dtype=torch.float32))
    assert tensor.dtype == torch.float32 and tensor.shape == (2, 11)
    assert tensor[1, 5].item() == 1.0
    half = population(torch.arange(11), dtype=torch.float16)
    assert half.dtype == torch.float16
    meta = population(torch.arange(11, device="meta"))
    assert meta.device.type == "meta" and meta.shape == (2, 11)
    nan = population(np.array([np.nan, np.inf]))
    assert np.isnan(nan[:, 0]).all() and nan[:, 1].tolist() == [0.0, 0.0]


# -------------------------------------------------- construction and errors


def test_sweep_grid_and_errors() -> None:
    base = {"type": "cosine", "start_lr": 1e-3, "stop_lr": 0.0, "num_steps": 100}
    grid = Population.sweep(base, start_lr=[1e-3, 2e-3], warmup_steps=[0, 5, 9],
                            grid=True)  # fmt: skip
    assert len(grid) == 6
    assert [(m.start_lr, m.warmup_steps) for m in grid][:4] == [
        (1e-3, 0), (1e-3, 5), (1e-3, 9), (2e-3, 0)
    ]  # fmt: skip
    with pytest.raises(ValueError, match="one length"):
        Population.sweep(base, start_lr=[1e-3, 2e-3], warmup_steps=[0])
    with pytest.raises(ValueError, match=r"members\[1\]: .*warmup_steps"):
        Population.sweep(base, warmup_steps=[0, 100])
    with pytest.raises(TypeError, match=r"members\[0\].*stop_lrr"):
        Population([{"type": "cosine", "start_lr": 1.0, "stop_lrr": 0.0,
                     "num_steps": 10}])  # fmt: skip
    with pytest.raises(ValueError, match="at least one"):
        Population([])
    with pytest.raises(TypeError, match="start_lr must be a sequence"):
        Population.sweep(base, start_lr=1e-3)


def test_mixed_types_are_refused() -> None:
    cosine = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=10)
    linear = BaseLR(type="linear", start_lr=1.0, stop_lr=0.0, num_steps=10)
    with pytest.raises(TypeError, match=r"one type.*members\[1\].*'linear'"):
        Population([cosine, linear])


def test_round_trips() -> None:
    population = Population.sweep(
        {"type": "exp", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 1000},
        start_lr=[1e-3, 2e-3], decay_steps=[100, 50],
    )  # fmt: skip
    text = json.dumps(population.to_dict())
    again = Population.from_dict(json.loads(text))
    assert again == population and hash(again) == hash(population)
    assert pickle.loads(pickle.dumps(population)) == population
    steps = np.arange(0, 1001, 50)
    np.testing.assert_array_equal(again(steps), population(steps))
    assert "Population([LearningRateExp(" in repr(population)
    with pytest.raises(ValueError, match="population config"):
        Population.from_dict({"type": "cosine", "members": []})


# ----------------------------------------------------------------- JAX, torch


@pytest.fixture
def jax_x64() -> Any:
    jax = pytest.importorskip("jax")
    register_jax()
    with jax.enable_x64(True):
        yield jax


@pytest.mark.parametrize("kind", TYPES)
@settings(max_examples=per_type(6, least=1), deadline=None)
@given(data=st.data())
def test_vmap_over_members(data: st.DataObject, kind: str) -> None:
    """jax.vmap over a population of one structure: member by member equal to
    the population's own call (and so to the single schedules)."""
    import jax
    import jax.numpy as jnp

    register_jax()
    drawn = data.draw(lrst.populations(kind, max_steps=10**5, max_members=4))
    first = drawn._groups[0].split()[0]  # members sharing their edges too
    population = Population([drawn[i] for i in first.indices])
    steps = jnp.asarray(_steps(population)[:64])
    mapped = np.asarray(jax.jit(jax.vmap(lambda p: p(steps)))(population))
    # jit may fuse differently from the eager call: the float32 bound
    bound = 8 * EPS32 * population.scale
    np.testing.assert_allclose(
        mapped, np.asarray(population(steps)), atol=bound, rtol=0
    )


def test_jit_takes_a_population_and_a_schedule(jax_x64: Any) -> None:
    import jax.numpy as jnp

    traces = []

    @jax_x64.jit
    def total(schedule: Any, steps: Any) -> Any:
        traces.append(1)
        return schedule(steps).sum()

    steps = jnp.arange(0, 1000, 10)
    base = {"type": "cosine", "stop_lr": 0.0, "num_steps": 1000, "warmup_steps": 10}
    for start in (1e-3, 2e-3):
        single = BaseLR(**base, start_lr=start)
        assert float(total(single, steps)) == pytest.approx(
            float(single(np.arange(0, 1000, 10)).sum()), rel=1e-14
        )
        pop = Population.sweep(base, start_lr=[start, 2 * start])
        assert float(total(pop, steps)) == pytest.approx(
            float(pop(np.arange(0, 1000, 10)).sum()), rel=1e-14
        )
    assert len(traces) == 2  # one trace per structure, not one per value


def _central(f: Any, x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("kind", TYPES)
@settings(max_examples=per_type(3, least=1), deadline=None)
@given(data=st.data())
def test_grad_matches_finite_differences(data: st.DataObject, kind: str) -> None:
    """jax.grad and torch autograd with respect to every float leaf, against
    central differences in float64, at steps away from phase edges."""
    import jax
    import jax.numpy as jnp
    import torch

    register_jax()
    schedule = data.draw(lrst.schedules(kind, max_steps=10**4))
    edges = {e for e, _ in schedule.phases()} | {schedule.warmup_steps}
    candidates = [
        s + 0.37 for s in range(0, 2 * schedule.num_steps + 3, 7)
        if all(abs(s + 0.37 - e) > 1 for e in edges)
    ][:8]  # fmt: skip
    if not candidates:
        return
    steps64 = np.asarray(candidates)
    leaves, tree = jax.tree_util.tree_flatten(schedule)
    weights = np.linspace(1.0, 2.0, steps64.size)

    def loss_np(values: list[float]) -> float:
        view = jax.tree_util.tree_unflatten(tree, values)
        return float(np.sum(weights * view(steps64)))

    with jax.enable_x64(True):

        def loss(values: Any) -> Any:
            view = jax.tree_util.tree_unflatten(tree, values)
            return jnp.sum(jnp.asarray(weights) * view(jnp.asarray(steps64)))

        grads = jax.grad(loss)([jnp.float64(v) for v in leaves])
    population = Population([schedule])
    tensors = [
        torch.tensor(np.asarray(leaf, dtype=np.float64), requires_grad=True)
        for leaf in population.leaves()
    ]
    rates = population.with_leaves(tensors)(torch.from_numpy(steps64))
    if rates.requires_grad:  # a sequence's floats live in its children
        (rates[0] * torch.from_numpy(weights)).sum().backward()
    for i, value in enumerate(leaves):
        if not np.isfinite(value) or value == 0:
            continue
        h = abs(value) * 1e-6

        def moved(x: float, i: int = i) -> float:
            return loss_np([x if j == i else v for j, v in enumerate(leaves)])

        expected = _central(moved, value, h)
        tolerance = 1e-5 * max(abs(expected), loss_np(leaves) / abs(value), 1e-300)
        assert abs(float(grads[i]) - expected) <= tolerance, (i, value)
        got = tensors[i].grad
        torch_grad = 0.0 if got is None else float(got[0])
        assert abs(torch_grad - expected) <= tolerance, (i, value)


# ------------------------------------- gradients w.r.t. the config's parameters

DIFFERENTIABLE = [name for name in TYPES if type_class(name)._differentiable]
"""The types whose config floats with_parameters takes (``_differentiable``)."""


def _differentiable(kind: str, **kwargs: Any) -> Any:
    """Populations of ``kind`` whose config parameters with_parameters takes
    (cosine_restarts: period_mult 1; longer cycles read a table of peaks)."""
    if kind == "cosine_restarts":
        kwargs["period_mult"] = st.just(1)
    return lrst.populations(kind, **kwargs)


@pytest.mark.parametrize("kind", DIFFERENTIABLE)
@settings(max_examples=per_type(30), deadline=None)
@given(data=st.data())
def test_with_parameters_gives_the_members_rates(
    data: st.DataObject, kind: str
) -> None:
    """The values a type's formula reads, computed from its parameters as
    arrays, are the ones its __init__ computes: the members' own rates."""
    population = data.draw(_differentiable(kind, max_steps=10**6))
    steps = _steps(population)
    again = population.with_parameters(**population.parameters())
    for row, want, member in zip(
        again(steps), population(steps), population, strict=True
    ):
        np.testing.assert_allclose(row, want, rtol=0, atol=4 * EPS64 * member.scale)


@pytest.mark.parametrize("kind", DIFFERENTIABLE)
@settings(max_examples=per_type(4, least=1), deadline=None)
@given(data=st.data())
def test_parameter_gradients_match_finite_differences(
    data: st.DataObject, kind: str
) -> None:
    """jax.grad and torch autograd through with_parameters, with respect to
    each float parameter of the config, against central differences of the
    members rebuilt by their own constructors (float64, steps off the edges;
    a parameter whose difference quotient depends on h, a kink, is skipped)."""
    import jax
    import jax.numpy as jnp
    import torch

    population = data.draw(_differentiable(kind, max_steps=10**4, max_members=2))
    members = population.members
    edges = {e for m in members for e, _ in m.phases()}
    edges |= {m.warmup_steps for m in members}
    top = max(m.num_steps for m in members)
    steps = np.asarray(
        [
            s + 0.37
            for s in range(0, 2 * top + 3, max(1, top // 8))
            if all(abs(s + 0.37 - e) > 1 for e in edges)
        ][:10]
    )
    if steps.size == 0:
        return
    weights = np.linspace(1.0, 2.0, steps.size)
    params = population.parameters()

    def rebuilt(name: str, i: int, value: float) -> float:
        config = members[i].to_dict()
        config[name] = float(value)
        return float(np.asarray(BaseLR(**config)(steps)) @ weights)

    with jax.enable_x64(True):

        def loss(name: str, value: Any) -> Any:
            rates = population.with_parameters(**{name: value})(jnp.asarray(steps))
            return jnp.sum(rates @ jnp.asarray(weights))

        for name, value in params.items():
            grads = np.asarray(
                jax.grad(lambda v, n=name: loss(n, v))(jnp.asarray(value))
            )
            tensor = torch.tensor(value, requires_grad=True)
            rates = population.with_parameters(**{name: tensor})(
                torch.from_numpy(steps)
            )
            if rates.requires_grad:  # else the rates do not depend on it
                (rates @ torch.from_numpy(weights)).sum().backward()
            torch_grads = (
                np.zeros(value.size) if tensor.grad is None else tensor.grad.numpy()
            )
            for i in range(value.size):
                if abs(value[i]) < 1e-200:  # no relative step (nor value below 0)
                    continue
                quotients = []
                sides = []
                middle = rebuilt(name, i, value[i])
                for h in (1e-6 * value[i], 2e-6 * value[i]):
                    try:
                        up = rebuilt(name, i, value[i] + h)
                        down = rebuilt(name, i, value[i] - h)
                    except ValueError:  # a moved value the type refuses
                        break
                    quotients.append((up - down) / (2 * h))
                    sides.append(((up - middle) / h, (middle - down) / h))
                if len(quotients) < 2:
                    continue
                scale = max(abs(quotients[0]), abs(middle) / value[i])
                if abs(quotients[0] - quotients[1]) > 1e-6 * scale:
                    continue  # a kink within h: no derivative to compare
                if abs(sides[0][0] - sides[0][1]) > 1e-4 * scale:
                    continue  # a kink at the value itself (a clamp reached exactly)
                assert abs(grads[i] - quotients[0]) <= 1e-5 * scale, (name, i)
                assert abs(torch_grads[i] - quotients[0]) <= 1e-5 * scale, (name, i)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("exp", {"stop_lr": 1e-5, "decay_steps": 100}),
        ("cosine", {"stop_lr_ratio": 0.01}),
        ("wsd", {"stop_lr": 1e-5, "decay_type": "cosine", "decay_phase_ratio": 0.5}),
    ],
)
def test_parameter_gradients_at_known_configs(kind: str, extra: dict[str, Any]) -> None:
    """d rate / d parameter through derived values (exp's decay_rate from
    start_lr and stop_lr, cosine's stop_lr moving with start_lr through its
    ratio, the warmup start): jax.grad and torch against central differences of
    the rebuilt schedule, every parameter, at steps of every phase."""
    import jax
    import jax.numpy as jnp
    import torch

    config = {"type": kind, "start_lr": 1e-3, "num_steps": 1000,
              "warmup_steps": 50, "warmup_start_factor": 0.1, **extra}  # fmt: skip
    population = Population([config])
    steps = np.array([20.5, 137.3, 512.7, 940.1])
    params = population.parameters()
    assert {"start_lr", "warmup_start_factor"} <= set(params)
    for name, value in params.items():
        h = 1e-5 * value[0]
        up = BaseLR(**{**config, name: value[0] + h})(steps)
        down = BaseLR(**{**config, name: value[0] - h})(steps)
        expected = (up - down) / (2 * h)
        weights = np.array([1.0, 2.0, 3.0, 4.0])
        expected = expected @ weights
        with jax.enable_x64(True):
            got = jax.grad(
                lambda v, n=name, w=weights: jnp.sum(
                    population.with_parameters(**{n: v})(jnp.asarray(steps))[0]
                    * jnp.asarray(w)
                )
            )(jnp.asarray(value))[0]
        tensor = torch.tensor(value, requires_grad=True)
        rates = population.with_parameters(**{name: tensor})(torch.from_numpy(steps))
        (rates[0] @ torch.from_numpy(weights)).backward()
        assert tensor.grad is not None
        torch_got = tensor.grad[0].item()
        assert expected != 0, name
        assert abs(float(got) - expected) <= 1e-6 * abs(expected), name
        assert abs(torch_got - expected) <= 1e-6 * abs(expected), name


def test_with_parameters_errors() -> None:
    restarts = Population.sweep(
        {"type": "cosine_restarts", "start_lr": 1e-3, "stop_lr": 0.0,
         "num_steps": 100, "period": 10, "period_mult": 2},
        stop_lr=[0.0, 1e-5],
    )  # fmt: skip
    with pytest.raises(TypeError, match="cosine_restarts with period_mult >= 2"):
        restarts.with_parameters()
    sequence = Population.sweep(
        {"type": "sequence", "boundaries": [10],
         "schedules": [{"type": "constant", "start_lr": 1e-3, "num_steps": 10},
                       {"type": "linear", "start_lr": 1e-3, "stop_lr": 0.0,
                        "num_steps": 90}]},
        num_steps=[100, 100],
    )  # fmt: skip
    with pytest.raises(TypeError, match="sequence.*children's"):
        sequence.parameters()
    cosine = Population.sweep(
        {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 10},
        start_lr=[1.0, 2.0],
    )
    assert set(cosine.parameters()) == {"start_lr", "stop_lr"}
    with pytest.raises(TypeError, match=r"exponent=.*valid: start_lr, stop_lr"):
        cosine.with_parameters(exponent=np.ones(2))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        cosine.with_parameters(start_lr=np.ones(3))
    moved = cosine.with_parameters(start_lr=np.array([2.0, 4.0]))
    assert moved(5).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="no member schedules"):
        _ = moved.members


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.integers(0, 2**63 - 1)
        | st.integers(0, 2**26).map(lambda v: v + 2**24 - 2**25)
        | st.sampled_from([2**53 + 1, 2**63 - 1, 2**63 - 512, 2**62 + 1, 2**31 - 1]),
        min_size=1,
        max_size=8,
    ).map(lambda v: [abs(x) for x in v])
)
def test_edge_functions_agree_with_the_scalar_ones(values: list[int]) -> None:
    """ceil_edge/split_edge/as_float on an integer array of edges give, element
    by element, what ceil_float/split_float/float give each Python int, on
    NumPy and PyTorch, in float32 and float64 (the roundings a population's
    edges rely on)."""
    import torch

    from arraylr import _exact
    from arraylr._backend import namespace_of

    for array in (np.asarray(values, dtype=np.int64), torch.tensor(values)):
        xp = namespace_of(array)
        for bits, dtype in ((32, "float32"), (64, "float64")):
            like = xp.zeros(1, dtype=getattr(xp, dtype))
            up = _exact.ceil_edge(array, xp, like.dtype)
            hi, lo = _exact.split_edge(array, xp, like)
            near = _exact.as_float(array, xp, like)
            for i, v in enumerate(values):
                assert float(up[i]) == _exact.ceil_float(v, bits), (v, bits)
                assert (float(hi[i]), float(lo[i])) == _exact.split_float(v, bits)
                assert float(near[i]) == float(np.int64(v).astype(dtype))


def test_inverse_linear_gradient_where_start_and_stop_meet(jax_x64: Any) -> None:
    """wsd's inverse_linear rate 1 / (tau / stop + (1 - tau) / start) is smooth
    in start_lr where start_lr == stop_lr, with derivative 1 - tau there; the
    ratio formed through max/min split its derivative between the two (found
    by a thorough run: 1.0 for 0.54)."""
    import jax.numpy as jnp

    population = Population(
        [
            {"type": "wsd", "start_lr": 1.0, "stop_lr": 1.0, "num_steps": 3,
             "decay_phase_ratio": 1.0, "decay_type": "inverse_linear"}
        ]
    )  # fmt: skip
    steps = jnp.asarray([0.0, 1.0, 2.0, 2.5])
    tau = np.asarray([0.0, 1 / 3, 2 / 3, 2.5 / 3])

    def rates(start: Any) -> Any:
        return population.with_parameters(start_lr=start)(steps)[0]

    grads = [
        float(jax_x64.grad(lambda s, k=k: rates(s)[k].sum())(jnp.asarray([1.0]))[0])
        for k in range(4)
    ]
    np.testing.assert_allclose(grads, 1 - tau, rtol=1e-12)


def test_vmap_over_members_with_different_edges_says_what_to_do() -> None:
    """Edges are static under JAX: vmap over members whose warmups differ
    raises, naming the way out (calling the population, one evaluation)."""
    import jax
    import jax.numpy as jnp

    register_jax()
    population = Population.sweep(
        {"type": "cosine", "start_lr": 1e-3, "stop_lr": 0.0, "num_steps": 100},
        warmup_steps=[10, 20],
    )
    with pytest.raises(TypeError, match="differ in integer parameters.*Call the"):
        jax.vmap(lambda member: member(jnp.arange(5)))(population)
    rates = np.asarray(population(jnp.arange(5)))  # the way out: one call
    assert rates.shape == (2, 5) and rates[0, 1] == pytest.approx(1e-4, rel=1e-6)
