"""ScheduleLR and assign_lr_ as torch's own schedulers behave: the schedule's
rate (no silent factor), per-group schedules, hyperparameters, etiquette."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from arraylr import BaseLR

torch = pytest.importorskip("torch")
from arraylr.torch import ScheduleLR, assign_lr_  # noqa: E402

COSINE = {"type": "cosine", "start_lr": 3e-3, "stop_lr": 1e-5, "num_steps": 50}


def params(n: int = 2) -> list[Any]:
    return [torch.nn.Parameter(torch.ones(2)) for _ in range(n)]


def run(opt: Any, sched: Any, steps: int) -> None:
    for _ in range(steps):
        opt.step()
        sched.step()


def test_default_rate_is_the_schedules_rate() -> None:
    """AdamW's default lr is 1e-3; a schedule starting at 3e-3 is followed as
    it is (it was multiplied by 1e-3 / 3e-3 without a word)."""
    lr = BaseLR(**COSINE)
    opt = torch.optim.AdamW(params(1))
    sched = ScheduleLR(opt, lr)
    assert opt.param_groups[0]["lr"] == lr(0) == 3e-3
    assert sched.base_lrs == [3e-3]
    assert opt.param_groups[0]["initial_lr"] == 3e-3
    for k in range(1, 60):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] == lr(k)
        assert sched.get_last_lr() == [lr(k)]


def test_scale_by_initial_lr_keeps_the_group_ratios() -> None:
    lr = BaseLR(**COSINE)
    a, b = params()
    opt = torch.optim.SGD([{"params": [a], "lr": 3e-4}, {"params": [b]}], lr=3e-3)
    sched = ScheduleLR(opt, lr, scale_by_initial_lr=True)
    assert sched.base_lrs == pytest.approx([3e-4, 3e-3], rel=1e-15)
    for k in range(1, 30):
        opt.step()
        sched.step()
        got = [g["lr"] for g in opt.param_groups]
        assert got[1] == lr(k)
        assert got[0] == pytest.approx(0.1 * lr(k), rel=1e-15)
        assert sched.get_last_lr() == got
    with pytest.raises(TypeError, match="scale_by_initial_lr must be a bool"):
        ScheduleLR(opt, lr, scale_by_initial_lr=1)  # type: ignore[arg-type]


def test_assign_lr_keeps_the_ratio_between_groups() -> None:
    """The issue's example: the backbone kept 1e-3 instead of 1e-4."""
    lr = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=1000)
    a, b = params()
    opt = torch.optim.AdamW(
        [
            {"params": [a], "lr": torch.tensor(1e-4)},
            {"params": [b], "lr": torch.tensor(1e-3)},
        ]
    )
    for step in (0, 0, 500, 1000):  # the ratio is kept from the first call on
        assign_lr_(opt, lr, torch.tensor(step), scale_by_initial_lr=True)
        got = [float(g["lr"]) for g in opt.param_groups]
        assert got == pytest.approx([0.1 * lr(step), lr(step)], rel=1e-6)
    # the default is ScheduleLR's: the schedule's rate in every group
    assign_lr_(opt, lr, torch.tensor(500))
    got = [float(g["lr"]) for g in opt.param_groups]
    assert got == pytest.approx([lr(500), lr(500)], rel=1e-6)


def test_one_schedule_per_group() -> None:
    head = BaseLR(**COSINE)
    body = BaseLR(type="exp", start_lr=1e-4, stop_lr=1e-6, num_steps=50, decay_steps=5)
    a, b = params()
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1, momentum=0.9)
    sched = ScheduleLR(opt, [body, head])
    assert sched.base_lrs == [1e-4, 3e-3]
    for k in range(1, 55):
        opt.step()
        sched.step()
        assert [g["lr"] for g in opt.param_groups] == [body(k), head(k)]
    with pytest.raises(ValueError, match="got 3 schedules for 2 parameter groups"):
        ScheduleLR(opt, [head, head, head])
    with pytest.raises(TypeError, match=r"schedule\[1\] must be an arraylr schedule"):
        ScheduleLR(opt, [head, 0.1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="got 1 schedules for 2 parameter groups"):
        assign_lr_(opt, [head], torch.tensor(3))


def test_step_before_optimizer_step_warns_as_torch() -> None:
    opt = torch.optim.SGD(params(1), lr=0.1)
    sched = ScheduleLR(opt, BaseLR(**COSINE))
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()
    opt = torch.optim.SGD(params(1), lr=0.1)
    sched = ScheduleLR(opt, BaseLR(**COSINE))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(opt, sched, 3)


def test_step_epoch_is_fractional_and_deprecated() -> None:
    """CosineAnnealingWarmRestarts at epoch 0.1: int() made it epoch 0."""
    config = {"type": "cosine_restarts", "start_lr": 0.05, "stop_lr": 0.0}
    lr = BaseLR(**config, num_steps=100, period=10, period_mult=2)
    opt = torch.optim.SGD(params(1), lr=0.05)
    ours = ScheduleLR(opt, lr)
    opt2 = torch.optim.SGD(params(1), lr=0.05)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt2, 10, 2)
    opt.step()
    opt2.step()
    for epoch in (0.1, 3.7, 12.5, 31):
        with pytest.warns(UserWarning, match="epoch parameter"):
            ours.step(epoch)
        theirs.step(epoch)  # this one overrides step(), without the warning
        assert ours.last_epoch == epoch
        assert opt.param_groups[0]["lr"] == pytest.approx(
            opt2.param_groups[0]["lr"], rel=0, abs=1e-12 * 0.05
        )
    with pytest.warns(UserWarning, match="epoch parameter"):
        ours.step(0.1)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0499877, rel=1e-6)
    assert ours.state_dict()["last_epoch"] == 0.1


@pytest.mark.parametrize("tensor_lr", [False, True])
def test_load_state_dict_sets_the_rates_at_once(tensor_lr: bool) -> None:
    lr = BaseLR(**COSINE)
    opt = torch.optim.SGD(params(1), lr=torch.tensor(0.1) if tensor_lr else 0.1)
    sched = ScheduleLR(opt, lr)
    run(opt, sched, 17)
    state = sched.state_dict()
    opt2 = torch.optim.SGD(params(1), lr=torch.tensor(0.1) if tensor_lr else 0.1)
    resumed = ScheduleLR(opt2, lr)
    assert float(opt2.param_groups[0]["lr"]) == pytest.approx(lr(0), rel=1e-6)
    resumed.load_state_dict(state)
    assert float(opt2.param_groups[0]["lr"]) == pytest.approx(lr(17), rel=1e-6)
    assert resumed.get_last_lr() == [lr(17)]
    opt2.step()
    resumed.step()
    assert resumed.get_last_lr() == [lr(18)]


def test_momentum_and_other_hyperparameters() -> None:
    lr = BaseLR(
        type="cyclic", start_lr=1e-3, max_lr=1e-2, num_steps=100, step_size_up=10
    )
    momentum = lr.momentum_schedule(0.8, 0.9)
    decay = BaseLR(type="linear", start_lr=1e-2, stop_lr=1e-4, num_steps=100)
    beta2 = BaseLR(type="constant", start_lr=0.95, num_steps=100)
    sgd = torch.optim.SGD(params(1), lr=0.1, momentum=0.5)
    adam = torch.optim.AdamW([{"params": [p]} for p in params(2)])
    s1 = ScheduleLR(sgd, lr, momentum=momentum)
    s2 = ScheduleLR(
        adam,
        lr,
        momentum=momentum,
        hyperparameters={"weight_decay": decay, "betas[1]": beta2},
    )
    for k in range(0, 30):
        if k:
            for opt, sched in ((sgd, s1), (adam, s2)):
                opt.step()
                sched.step()
        assert sgd.param_groups[0]["momentum"] == momentum(k)
        for group in adam.param_groups:
            assert group["betas"] == (momentum(k), 0.95)
            assert group["weight_decay"] == decay(k)
    assert momentum(0) == 0.9 and momentum(10) == pytest.approx(0.8, abs=1e-15)
    state = s2.state_dict()
    assert state["hyperparameters"]["weight_decay"] == [decay.to_dict()] * 2
    with pytest.raises(ValueError, match="Adagrad has neither"):
        ScheduleLR(torch.optim.Adagrad(params(1)), lr, momentum=momentum)
    with pytest.raises(ValueError, match=r"param_groups\[0\] has no 'nesterovv'"):
        ScheduleLR(sgd, lr, hyperparameters={"nesterovv": decay})
    with pytest.raises(ValueError, match="has no entry 2"):
        ScheduleLR(adam, lr, hyperparameters={"betas[2]": decay})
    with pytest.raises(ValueError, match="got 1 schedules for 2 parameter groups"):
        ScheduleLR(adam, lr, momentum=[momentum])


def test_product_is_several_schedulers_on_one_optimizer() -> None:
    """ExponentialLR and MultiStepLR both stepping one optimizer multiply."""
    opt_t = torch.optim.SGD(params(1), lr=0.1)
    theirs = [
        torch.optim.lr_scheduler.ExponentialLR(opt_t, gamma=0.97),
        torch.optim.lr_scheduler.MultiStepLR(opt_t, milestones=[10, 25], gamma=0.3),
    ]
    lr = BaseLR(
        type="product",
        num_steps=40,
        schedules=[
            {"type": "exp", "start_lr": 0.1, "stop_lr": 0, "decay_steps": 1,
             "decay_rate": 0.97},
            {"type": "piecewise", "start_lr": 1.0, "boundaries": [10, 25],
             "factors": [0.3, 0.3]},
        ],
    )  # fmt: skip
    assert lr.start_lr == 0.1
    opt_a = torch.optim.SGD(params(1), lr=0.1)
    ours = ScheduleLR(opt_a, lr)
    for k in range(1, 40):
        opt_t.step()
        opt_a.step()
        for s in theirs:
            s.step()
        ours.step()
        expected = 0.1 * 0.97**k * 0.3 ** ((k >= 10) + (k >= 25))
        assert opt_a.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-13)
        assert opt_a.param_groups[0]["lr"] == pytest.approx(
            opt_t.param_groups[0]["lr"], rel=1e-13
        )
    assert lr.to_dict()["type"] == "product" and BaseLR(**lr.to_dict()) == lr


def test_last_epoch_needs_initial_lr_as_torch_does() -> None:
    """Resuming (last_epoch >= 0) needs each group's initial_lr, torch's
    KeyError otherwise (its own suite checks it); a fresh start writes it as
    the schedule's base rate."""
    lr = BaseLR(**COSINE)
    opt = torch.optim.SGD(params(1), lr=0.5)
    with pytest.raises(KeyError, match="initial_lr"):
        ScheduleLR(opt, lr, last_epoch=16)
    ScheduleLR(opt, lr)
    assert opt.param_groups[0]["initial_lr"] == 3e-3
    sched = ScheduleLR(opt, lr, last_epoch=16)
    assert sched.last_epoch == 17 and opt.param_groups[0]["lr"] == lr(17)
