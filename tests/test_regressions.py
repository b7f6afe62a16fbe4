"""Regressions found by an adversarial search, a newcomer and PyTorch's own
suite (each test failed on the code before its fix)."""

from __future__ import annotations

import math
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
