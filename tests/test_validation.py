"""Every bad input of SPEC section 1-5 raises the documented error, naming the
parameter and the value it got."""

from __future__ import annotations

from typing import Any

import pytest

from arraylr import BaseLR

BASE: dict[str, Any] = {"start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 1000}


def build(name: str, **changes: Any) -> BaseLR:
    params = {**BASE, "type": name, **changes}
    for key in [k for k, v in changes.items() if v is _DROP]:
        params.pop(key)
    return BaseLR(**params)


_DROP = object()

COMMON_CASES = [
    ({"start_lr": 0.0}, ValueError, "start_lr=0.0"),
    ({"start_lr": -1e-3}, ValueError, "start_lr=-0.001"),
    ({"start_lr": float("inf")}, ValueError, "start_lr=inf"),
    ({"start_lr": float("nan")}, ValueError, "start_lr=nan"),
    ({"start_lr": "0.1"}, TypeError, "start_lr='0.1'"),
    ({"start_lr": True}, TypeError, "start_lr=True"),
    ({"stop_lr": -1e-5}, ValueError, "stop_lr=-1e-05"),
    ({"stop_lr": float("nan")}, ValueError, "stop_lr=nan"),
    ({"stop_lr": None}, ValueError, "stop_lr=None, stop_lr_ratio=None"),
    ({"stop_lr": _DROP}, ValueError, "exactly one of stop_lr and stop_lr_ratio"),
    ({"stop_lr_ratio": 0.1}, ValueError, "stop_lr=1e-05, stop_lr_ratio=0.1"),
    ({"stop_lr": _DROP, "stop_lr_ratio": -0.5}, ValueError, "stop_lr_ratio=-0.5"),
    ({"num_steps": -1}, ValueError, "num_steps=-1"),
    ({"num_steps": 1000.0}, TypeError, "num_steps=1000.0"),
    ({"num_steps": True}, TypeError, "num_steps=True"),
    ({"num_steps": "1000"}, TypeError, "num_steps='1000'"),
    ({"warmup_steps": -5}, ValueError, "warmup_steps=-5"),
    ({"warmup_steps": 2.0}, TypeError, "warmup_steps=2.0"),
    ({"warmup_steps": False}, TypeError, "warmup_steps=False"),
    ({"warmup_steps": 1000}, ValueError, "warmup_steps=1000"),
    ({"warmup_steps": 1001}, ValueError, "num_steps=1000"),
    ({"warmup_steps": 10, "warmup_ratio": 0.1}, ValueError, "warmup_ratio=0.1"),
    ({"warmup_ratio": 1.0}, ValueError, "from warmup_ratio=1.0"),
    ({"warmup_ratio": -0.1}, ValueError, "warmup_ratio=-0.1"),
    ({"warmup_ratio": "0.1"}, TypeError, "warmup_ratio='0.1'"),
    ({"num_steps": 0, "warmup_steps": 1}, ValueError, "warmup_steps=1"),
    ({"warmup_start_factor": -0.5}, ValueError, "warmup_start_factor=-0.5"),
    ({"warmup_start_factor": None}, TypeError, "warmup_start_factor=None"),
]


@pytest.mark.parametrize("name", ["exp", "cosine", "wsd"])
@pytest.mark.parametrize(("changes", "error", "match"), COMMON_CASES)
def test_common_parameters(
    name: str, changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error) as info:
        build(name, **changes)
    assert match in str(info.value)


@pytest.mark.parametrize(
    ("name", "changes", "error", "match"),
    [
        ("exp", {"decay_steps": 0}, ValueError, "decay_steps=0"),
        ("exp", {"decay_steps": -10}, ValueError, "decay_steps=-10"),
        ("exp", {"decay_steps": 10.0}, TypeError, "decay_steps=10.0"),
        ("exp", {"decay_steps": None}, TypeError, "decay_steps=None"),
        ("exp", {"decay_rate": 0.0}, ValueError, "decay_rate=0.0"),
        ("exp", {"decay_rate": 1.5}, ValueError, "decay_rate=1.5"),
        ("exp", {"decay_rate": float("nan")}, ValueError, "decay_rate=nan"),
        ("exp", {"smooth": 1}, TypeError, "smooth=1"),
        ("exp", {"smooth": "yes"}, TypeError, "smooth='yes'"),
        ("wsd", {"stop_lr": 0.0}, ValueError, "stop_lr=0.0"),
        (
            "wsd",
            {"stop_lr": _DROP, "stop_lr_ratio": 0.0},
            ValueError,
            "stop_lr_ratio=0.0",
        ),
        ("wsd", {"decay_phase_ratio": 0.0}, ValueError, "decay_phase_ratio=0.0"),
        ("wsd", {"decay_phase_ratio": 1.5}, ValueError, "decay_phase_ratio=1.5"),
        ("wsd", {"decay_phase_ratio": "x"}, TypeError, "decay_phase_ratio='x'"),
        ("wsd", {"decay_type": "cosin"}, ValueError, "did you mean 'cosine'"),
        ("wsd", {"decay_type": 3}, ValueError, "decay_type=3"),
    ],
)
def test_schedule_parameters(
    name: str, changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error) as info:
        build(name, **changes)
    assert match in str(info.value)


def test_unknown_keyword_suggests_the_closest() -> None:
    with pytest.raises(TypeError, match=r"'decay_step'; did you mean 'decay_steps'\?"):
        build("exp", decay_step=100)
    with pytest.raises(TypeError, match="LearningRateCosine.*'decay_steps'"):
        build("cosine", decay_steps=100)


def test_underscore_keys_are_comments() -> None:
    lr = build("exp", _comment="tuned by hand", __note=1)
    assert lr == build("exp")
    assert "_comment" not in lr.to_dict()


def test_unknown_type_lists_known_types() -> None:
    with pytest.raises(ValueError, match="type='cosin'; did you mean 'cosine'") as info:
        build("cosin")
    for known in ("'exp'", "'cosine'", "'wsd'"):
        assert known in str(info.value)
    with pytest.raises(ValueError, match="type=None"):
        BaseLR(type=None, **BASE)


def test_abstract_base_needs_type() -> None:
    # BaseLR itself builds its default type, exp; an abstract class of yours
    # below it has no default
    assert BaseLR(**BASE).type_name == "exp"

    class Abstract(BaseLR):
        pass

    with pytest.raises(TypeError, match="Abstract is abstract: pass type="):
        Abstract(**BASE)


def test_missing_and_extra_positional() -> None:
    with pytest.raises(
        TypeError, match="LearningRateCosine: missing a required argument: 'num_steps'"
    ):
        BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0)
    with pytest.raises(TypeError, match="LearningRateCosine: too many positional"):
        BaseLR(1.0, 10, 0.0, None, 0, None, 0.0, None, None, 99, type="cosine")


def test_type_must_match_the_class() -> None:
    from arraylr import LearningRateCosine

    with pytest.raises(TypeError, match="not a LearningRateCosine"):
        LearningRateCosine(type="exp", **BASE)


@pytest.mark.parametrize(
    ("step", "match"),
    [
        ("10", "type str"),
        (None, "type NoneType"),
        ([1, "a"], r"step=\[1, 'a'\]"),
        (1 + 2j, "complex"),
    ],
)
def test_bad_steps(step: object, match: str) -> None:
    lr = build("cosine")
    with pytest.raises(TypeError, match=match):
        lr(step)


def test_bad_dtype() -> None:
    import numpy as np

    lr = build("cosine")
    with pytest.raises(TypeError, match="dtype=<class .numpy.int64.>"):
        lr(np.arange(3), dtype=np.int64)
    with pytest.raises(TypeError, match="dtype='float32'"):
        lr(np.arange(3), dtype="float32")


def test_complex_array_step() -> None:
    import numpy as np

    with pytest.raises(TypeError, match="complex128"):
        build("cosine")(np.ones(3, dtype=complex))
