"""torch's schedulers and ScheduleLR side by side on the same optimizers.

Random configurations of every torch scheduler that has an arraylr spelling
(the one docs/migration/torch.rst gives), one parameter group and several,
SGD with momentum and Adam, per-group lists, momentum cycling and chained
schedulers: every group's lr and momentum/beta1 after every step agree (float64,
within 1e-12 of the peak)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arraylr import BaseLR

torch = pytest.importorskip("torch")
from arraylr.torch import ScheduleLR  # noqa: E402

S = torch.optim.lr_scheduler
Case = tuple[
    Callable[[Any], Any],  # torch's scheduler on an optimizer
    Callable[[float], BaseLR],  # arraylr's schedule for a group's base rate
    Callable[[float], BaseLR] | None,  # its momentum schedule (base momentum)
    int,  # steps to compare
]


@st.composite
def cosine_annealing(draw: st.DrawFn) -> Case:
    t_max = draw(st.integers(1, 150))
    eta_min = draw(st.sampled_from([0.0, 1e-5]))
    return (
        lambda opt: S.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min),
        lambda b: BaseLR(type="cosine", start_lr=b, stop_lr=eta_min, num_steps=t_max),
        None,
        t_max,
    )


@st.composite
def step_lr(draw: st.DrawFn) -> Case:
    size, gamma = draw(st.integers(1, 30)), draw(st.floats(0.1, 0.99))
    n = draw(st.integers(1, 150))
    return (
        lambda opt: S.StepLR(opt, step_size=size, gamma=gamma),
        lambda b: BaseLR(
            type="exp", start_lr=b, stop_lr=0.0, num_steps=n + 1,
            decay_steps=size, decay_rate=gamma,
        ),
        None,
        n,
    )  # fmt: skip


@st.composite
def exponential(draw: st.DrawFn) -> Case:
    gamma, n = draw(st.floats(0.9, 0.999)), draw(st.integers(1, 150))
    return (
        lambda opt: S.ExponentialLR(opt, gamma=gamma),
        lambda b: BaseLR(
            type="exp", start_lr=b, stop_lr=0.0, num_steps=n + 1,
            decay_steps=1, decay_rate=gamma,
        ),
        None,
        n,
    )  # fmt: skip


@st.composite
def multistep(draw: st.DrawFn) -> Case:
    marks = sorted(draw(st.sets(st.integers(1, 140), min_size=1, max_size=4)))
    gamma, n = draw(st.floats(0.1, 0.9)), draw(st.integers(1, 150))
    return (
        lambda opt: S.MultiStepLR(opt, milestones=marks, gamma=gamma),
        lambda b: BaseLR(
            type="piecewise", start_lr=b, num_steps=n + 1, boundaries=marks,
            factors=[gamma] * len(marks),
        ),
        None,
        n,
    )  # fmt: skip


@st.composite
def polynomial(draw: st.DrawFn) -> Case:
    total, power = draw(st.integers(1, 150)), draw(st.sampled_from([1.0, 2.0, 0.5]))
    return (
        lambda opt: S.PolynomialLR(opt, total_iters=total, power=power),
        lambda b: BaseLR(
            type="polynomial", start_lr=b, stop_lr=0.0, num_steps=total, power=power
        ),
        None,
        total + 5,
    )


@st.composite
def constant(draw: st.DrawFn) -> Case:
    factor, total = draw(st.floats(0.05, 1.0)), draw(st.integers(1, 100))
    return (
        lambda opt: S.ConstantLR(opt, factor=factor, total_iters=total),
        lambda b: BaseLR(
            type="piecewise", start_lr=b * factor, num_steps=total + 1,
            boundaries=[total], values=[b],
        ),
        None,
        total + 10,
    )  # fmt: skip


@st.composite
def linear(draw: st.DrawFn) -> Case:
    first, last = draw(st.floats(0.05, 1.0)), draw(st.floats(0.05, 1.0))
    total = draw(st.integers(1, 100))
    return (
        lambda opt: S.LinearLR(
            opt, start_factor=first, end_factor=last, total_iters=total
        ),
        lambda b: BaseLR(
            type="linear", start_lr=b * first, stop_lr=b * last, num_steps=total
        ),
        None,
        total + 10,
    )


@st.composite
def warm_restarts(draw: st.DrawFn) -> Case:
    t0, mult = draw(st.integers(1, 30)), draw(st.integers(1, 3))
    eta_min = draw(st.sampled_from([0.0, 1e-5]))
    return (
        lambda opt: S.CosineAnnealingWarmRestarts(opt, t0, mult, eta_min=eta_min),
        lambda b: BaseLR(
            type="cosine_restarts", start_lr=b, stop_lr=eta_min, num_steps=200,
            period=t0, period_mult=mult,
        ),
        None,
        150,
    )  # fmt: skip


@st.composite
def cyclic(draw: st.DrawFn) -> Case:
    up, down = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    gamma = draw(st.floats(0.95, 1.0)) if mode == "exp_range" else 1.0
    top = draw(st.floats(2.0, 20.0))
    momentum = draw(st.booleans())
    low_m, high_m = draw(st.sampled_from([(0.8, 0.9), (0.5, 0.95)]))

    def lr(b: float) -> BaseLR:
        return BaseLR(
            type="cyclic", start_lr=b, max_lr=b * top, num_steps=200,
            step_size_up=up, step_size_down=down, mode=mode, gamma=gamma,
        )  # fmt: skip

    def theirs(opt: Any) -> Any:
        bases = [g["initial_lr_for_test"] for g in opt.param_groups]
        return S.CyclicLR(
            opt, base_lr=bases, max_lr=[b * top for b in bases], step_size_up=up,
            step_size_down=down, mode=mode, gamma=gamma, cycle_momentum=momentum,
            base_momentum=low_m, max_momentum=high_m,
        )  # fmt: skip

    return (
        theirs,
        lr,
        (lambda b: lr(b).momentum_schedule(low_m, high_m)) if momentum else None,
        150,
    )


@st.composite
def one_cycle(draw: st.DrawFn) -> Case:
    total = draw(st.integers(10, 150))
    up = draw(st.integers(2, total - 2))  # pct_start * total_steps, a whole step
    pct = up / total
    div, final = draw(st.floats(2.0, 30.0)), draw(st.floats(2.0, 1e4))
    anneal = draw(st.sampled_from(["cos", "linear"]))
    momentum = draw(st.booleans())
    low_m, high_m = 0.85, 0.95
    kind = "cosine" if anneal == "cos" else "linear"
    warm = "cosine" if anneal == "cos" else "linear"

    def lr(b: float) -> BaseLR:  # the migration page's spelling, as written
        return BaseLR(
            type=kind, start_lr=b, stop_lr=b / (div * final), num_steps=total - 1,
            warmup_steps=round(pct * total) - 1, warmup_start_factor=1 / div,
            warmup_type=warm,
        )  # fmt: skip

    def mom(b: float) -> BaseLR:
        return BaseLR(
            type=kind, start_lr=low_m, stop_lr=high_m, num_steps=total - 1,
            warmup_steps=up - 1, warmup_start_factor=high_m / low_m, warmup_type=warm,
        )  # fmt: skip

    def theirs(opt: Any) -> Any:
        bases = [g["initial_lr_for_test"] for g in opt.param_groups]
        return S.OneCycleLR(
            opt, max_lr=bases, total_steps=total, pct_start=pct, div_factor=div,
            final_div_factor=final, anneal_strategy=anneal, cycle_momentum=momentum,
            base_momentum=low_m, max_momentum=high_m,
        )  # fmt: skip

    return theirs, lr, mom if momentum else None, total - 1


@st.composite
def chained(draw: st.DrawFn, below: bool = False) -> Case:
    """ChainedScheduler of two or three chainable schedulers: a product;
    ``below``: with ConstantLR or LinearLR, which start below the base rate."""
    gamma = draw(st.floats(0.95, 0.999))
    marks = sorted(draw(st.sets(st.integers(1, 100), min_size=1, max_size=3)))
    drop = draw(st.floats(0.2, 0.9))
    t_max = draw(st.integers(50, 150))
    with_cosine = draw(st.booleans())
    n = min(t_max, 120)
    # ConstantLR and LinearLR start below the base rate: the product starts
    # at the chain's rate at step 0 (torch's test_chained_lr3 and kin)
    factor, until = draw(st.floats(0.05, 1.0)), draw(st.integers(1, 60))
    first, last = draw(st.floats(0.05, 1.0)), draw(st.floats(0.05, 1.0))
    with_constant = below and draw(st.booleans())
    with_linear = below and (not with_constant or draw(st.booleans()))

    def theirs(opt: Any) -> Any:
        parts = [
            S.ExponentialLR(opt, gamma=gamma),
            S.MultiStepLR(opt, milestones=marks, gamma=drop),
        ]
        if with_cosine:
            parts.append(S.CosineAnnealingLR(opt, T_max=t_max))
        if with_constant:
            parts.append(S.ConstantLR(opt, factor=factor, total_iters=until))
        if with_linear:
            parts.append(
                S.LinearLR(opt, start_factor=first, end_factor=last, total_iters=until)
            )
        return S.ChainedScheduler(parts)

    def lr(b: float) -> BaseLR:
        children: list[dict[str, Any]] = [
            {"type": "exp", "start_lr": b, "stop_lr": 0.0, "decay_steps": 1,
             "decay_rate": gamma},
            {"type": "piecewise", "start_lr": b, "boundaries": marks,
             "factors": [drop] * len(marks)},
        ]  # fmt: skip
        if with_cosine:
            children.append({"type": "cosine", "start_lr": b, "stop_lr": 0.0,
                             "num_steps": t_max})  # fmt: skip
        if with_constant:  # the table's spelling of ConstantLR
            children.append({"type": "piecewise", "start_lr": b * factor,
                             "boundaries": [until], "values": [b]})  # fmt: skip
        if with_linear:  # and of LinearLR
            children.append({"type": "linear", "start_lr": b * first,
                             "stop_lr": b * last, "num_steps": until})  # fmt: skip
        # the product starts at the chain's rate at step 0: b times each
        # child's start_lr / b
        start = b
        for child in children:
            start *= child["start_lr"] / b
        return BaseLR(
            type="product", start_lr=start, num_steps=n + 1, schedules=children
        )

    return theirs, lr, None, n


@st.composite
def sequential(draw: st.DrawFn) -> Case:
    """SequentialLR: a linear warmup, then a cosine (each from its step 0)."""
    first, total = draw(st.floats(0.05, 1.0)), draw(st.integers(1, 40))
    t_max, eta_min = draw(st.integers(1, 100)), draw(st.sampled_from([0.0, 1e-5]))

    def theirs(opt: Any) -> Any:
        return S.SequentialLR(
            opt,
            [
                S.LinearLR(opt, start_factor=first, total_iters=total),
                S.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min),
            ],
            milestones=[total],
        )

    def lr(b: float) -> BaseLR:
        return BaseLR(
            type="sequence",
            boundaries=[total],
            schedules=[
                {"type": "linear", "start_lr": b * first, "stop_lr": b,
                 "num_steps": total},
                {"type": "cosine", "start_lr": b, "stop_lr": eta_min,
                 "num_steps": t_max},
            ],
        )  # fmt: skip

    return theirs, lr, None, total + t_max


@st.composite
def multiplicative(draw: st.DrawFn) -> Case:
    gamma, n = draw(st.floats(0.9, 0.999)), draw(st.integers(1, 150))
    return (
        lambda opt: S.MultiplicativeLR(opt, lr_lambda=lambda k: gamma),
        lambda b: BaseLR(
            type="exp", start_lr=b, stop_lr=0.0, num_steps=n + 1,
            decay_steps=1, decay_rate=gamma,
        ),
        None,
        n,
    )  # fmt: skip


@st.composite
def lambda_lr(draw: st.DrawFn) -> Case:
    """LambdaLR(lambda k: lr(k) / lr.start_lr): scale_by_initial_lr=True."""
    n, warmup = draw(st.integers(2, 150)), draw(st.integers(0, 1))
    floor = draw(st.sampled_from([0.0, 0.01]))

    def lr(b: float) -> BaseLR:
        return BaseLR(
            type="cosine", start_lr=b, stop_lr=b * floor, num_steps=n,
            warmup_steps=warmup * (n // 2),
        )  # fmt: skip

    unit = lr(1.0)
    return (
        lambda opt: S.LambdaLR(opt, lr_lambda=lambda k: unit(k) / unit.start_lr),
        lr,
        None,
        n + 5,
    )


KINDS = {
    "CosineAnnealingLR": cosine_annealing(),
    "StepLR": step_lr(),
    "ExponentialLR": exponential(),
    "MultiStepLR": multistep(),
    "PolynomialLR": polynomial(),
    "ConstantLR": constant(),
    "LinearLR": linear(),
    "CosineAnnealingWarmRestarts": warm_restarts(),
    "CyclicLR": cyclic(),
    "OneCycleLR": one_cycle(),
    "ChainedScheduler": chained(),
    # the chain starts below the base rate: no one schedule of start_lr b
    "ChainedScheduler+ConstantLR/LinearLR": chained(below=True),
    "SequentialLR": sequential(),
    "MultiplicativeLR": multiplicative(),
    "LambdaLR": lambda_lr(),
}

SCALED = {  # every rate proportional to the base rate: scale_by_initial_lr fits
    "StepLR",
    "ExponentialLR",
    "MultiStepLR",
    "PolynomialLR",
    "ChainedScheduler",
    "MultiplicativeLR",
    "LambdaLR",
}


def optimizer(kind: str, bases: list[float]) -> Any:
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], "lr": b}
        for b in bases
    ]
    if kind == "sgd":
        opt = torch.optim.SGD(groups, lr=bases[0], momentum=0.9)
    else:
        opt = torch.optim.Adam(groups, lr=bases[0], betas=(0.9, 0.99))
    for group, b in zip(opt.param_groups, bases, strict=True):
        group["initial_lr_for_test"] = b
    return opt


def momenta(opt: Any) -> list[float]:
    return [
        g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups
    ]


@pytest.mark.parametrize("name", sorted(KINDS))
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_scheduler_side_by_side(name: str, data: st.DataObject) -> None:
    theirs_of, lr_of, momentum_of, steps = data.draw(KINDS[name])
    kind = data.draw(st.sampled_from(["sgd", "adam"]))
    bases = data.draw(
        st.lists(st.sampled_from([1e-3, 3e-3, 0.1, 0.5]), min_size=1, max_size=3)
    )
    spelling = data.draw(st.sampled_from(["list", "scaled"]))
    opt_t, opt_a = optimizer(kind, bases), optimizer(kind, bases)
    theirs = theirs_of(opt_t)
    momentum: Any = None
    if momentum_of is not None:
        momentum = [momentum_of(b) for b in bases]
    if spelling == "list" or name not in SCALED:
        ours = ScheduleLR(opt_a, [lr_of(b) for b in bases], momentum=momentum)
    else:  # one schedule (start_lr: the base rate), groups scaled by initial_lr
        ours = ScheduleLR(opt_a, lr_of(max(bases)), scale_by_initial_lr=True)
    peak = max(max(lr_of(b).scale for b in bases), 1e-300)
    m_before = momenta(opt_a)

    def compare(k: int) -> None:
        got = [g["lr"] for g in opt_a.param_groups]
        want = [g["lr"] for g in opt_t.param_groups]
        for a, b in zip(got, want, strict=True):
            assert math.isclose(a, b, rel_tol=0, abs_tol=1e-12 * peak), (k, got, want)
        if momentum_of is None:
            assert momenta(opt_a) == m_before
        else:
            for a, b in zip(momenta(opt_a), momenta(opt_t), strict=True):
                assert math.isclose(a, b, rel_tol=0, abs_tol=1e-12), (k, a, b)
        assert ours.get_last_lr() == got

    compare(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's own notes
        for k in range(1, steps + 1):
            opt_t.step()
            opt_a.step()
            theirs.step()
            ours.step()
            compare(k)
