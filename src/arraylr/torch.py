"""PyTorch integration: drive ``torch.optim`` optimizers with arraylr schedules.

:class:`ScheduleLR` is a ``torch.optim.lr_scheduler.LRScheduler``::

    optimizer = torch.optim.AdamW(model.parameters(), lr=torch.tensor(1e-3))
    scheduler = ScheduleLR(optimizer, load_config("lr.json"))
    for batch in data:
        ...
        optimizer.step()
        scheduler.step()

After ``k`` calls of ``step()`` each parameter group's learning rate is the
schedule's rate ``schedule(k)``: no factor is taken from the optimizer's own
``lr``.  Groups get different rates when that is asked for: a list of schedules
(one per group, as torch's per-group ``max_lr=[...]``), or
``scale_by_initial_lr=True`` (each group's rate is ``schedule(k) * initial_lr /
schedule.start_lr``, as torch's ``LambdaLR`` with ``lambda k: schedule(k) /
start_lr`` and DeePMD-kit's wrapper do).  :func:`assign_lr_` applies the same
rule from a step tensor.  A group whose ``lr`` is a tensor (what PyTorch
recommends for ``torch.compile``-d optimizers and CUDA graphs) is updated in
place with ``fill_``: the tensor object never changes, so a compiled
``optimizer.step`` is not recompiled as the learning rate moves.

PyTorch is imported when this module is, never by ``import arraylr``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

try:
    import torch
    from torch.optim import Optimizer
    from torch.optim.lr_scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("arraylr.torch needs PyTorch: pip install torch") from exc

from .base import BaseLR

__all__ = ["ScheduleLR", "assign_lr_"]

Schedules = BaseLR | Sequence[BaseLR]
"""One schedule for every parameter group, or a list of one per group."""

_ENTRY = re.compile(r"^(\w+)\[(\d+)\]$")

_ORDER_DOCS = "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
"""Where torch's step-order warnings point (its own tests match the link)."""


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )


def _per_group(name: str, optimizer: Optimizer, schedule: Any) -> list[BaseLR]:
    """``schedule`` as a list of one schedule per parameter group."""
    groups = len(optimizer.param_groups)
    if isinstance(schedule, BaseLR):
        return [schedule] * groups
    if isinstance(schedule, Sequence) and not isinstance(schedule, (str, bytes)):
        for i, item in enumerate(schedule):
            if not isinstance(item, BaseLR):
                raise TypeError(
                    f"{name}[{i}] must be an arraylr schedule (BaseLR), got "
                    f"{type(item).__name__}"
                )
        if len(schedule) != groups:
            raise ValueError(
                f"{name} needs one schedule per parameter group: got "
                f"{len(schedule)} schedules for {groups} parameter groups"
            )
        return list(schedule)
    raise TypeError(
        f"{name} must be an arraylr schedule (BaseLR) or a list of one per "
        f"parameter group, got {type(schedule).__name__}"
    )


def _factor(initial: Any, start_lr: float) -> Any:
    """``initial / start_lr``, exactly 1 where the group was created with
    ``start_lr`` (a float32 tensor of 1e-3 is not 1e-3, but it means it).  A
    tensor gives a tensor (no host synchronisation)."""
    if isinstance(initial, torch.Tensor):
        same = initial == torch.tensor(start_lr, dtype=initial.dtype)
        return torch.where(same, 1.0, initial / start_lr)
    return 1.0 if initial == start_lr else float(initial) / start_lr


def _group_factors(
    optimizer: Optimizer, schedules: list[BaseLR], scale_by_initial_lr: bool
) -> list[Any]:
    """The rule :class:`ScheduleLR` and :func:`assign_lr_` share: group ``i``'s
    rate is ``schedules[i](step) * factor[i]``, with factor 1 (the schedule's
    rate) unless ``scale_by_initial_lr`` asks for ``initial_lr / start_lr``.
    ``initial_lr`` is recorded from the group's ``lr`` where it is missing, as
    torch's schedulers do."""
    if not scale_by_initial_lr:
        return [1.0] * len(schedules)
    factors = []
    for group, schedule in zip(optimizer.param_groups, schedules, strict=True):
        if "initial_lr" not in group:
            lr = group["lr"]
            group["initial_lr"] = lr.clone() if isinstance(lr, torch.Tensor) else lr
        factors.append(_factor(group["initial_lr"], schedule.start_lr))
    return factors


def _set(group: dict[str, Any], key: str, index: int | None, value: float) -> None:
    """``group[key] = value`` (``group[key][index]`` for a tuple entry such as
    ``betas[0]``); a tensor is filled in place, never replaced."""
    current = group[key] if index is None else group[key][index]
    if isinstance(current, torch.Tensor):
        current.fill_(value)
    elif index is None:
        group[key] = value
    else:
        entries = list(group[key])
        entries[index] = value
        group[key] = type(group[key])(entries)


def _parse_key(key: Any, optimizer: Optimizer) -> tuple[str, int | None]:
    """A hyperparameter name (``"weight_decay"``, ``"betas[0]"``), checked
    against every parameter group."""
    if not isinstance(key, str):
        raise TypeError(f"hyperparameters keys must be strings, got {key!r}")
    match = _ENTRY.match(key)
    name, index = (match.group(1), int(match.group(2))) if match else (key, None)
    if name == "lr":
        raise ValueError(
            "hyperparameters must not hold 'lr': the learning rate is the "
            "schedule argument"
        )
    for i, group in enumerate(optimizer.param_groups):
        if name not in group:
            raise ValueError(
                f"hyperparameters[{key!r}]: param_groups[{i}] has no {name!r} "
                f"(its keys: {sorted(k for k in group if k != 'params')})"
            )
        if index is not None and (
            not isinstance(group[name], (tuple, list)) or index >= len(group[name])
        ):
            raise ValueError(
                f"hyperparameters[{key!r}]: param_groups[{i}][{name!r}] is "
                f"{group[name]!r}, which has no entry {index}"
            )
    return name, index


def _momentum_key(optimizer: Optimizer) -> str:
    """Where an optimizer keeps its momentum: ``momentum`` (SGD, RMSprop) or
    ``betas[0]`` (the Adam family), as torch's ``CyclicLR``/``OneCycleLR``."""
    if "momentum" in optimizer.defaults:
        return "momentum"
    if "betas" in optimizer.defaults:
        return "betas[0]"
    raise ValueError(
        f"momentum needs an optimizer with 'momentum' or 'betas' hyperparameters; "
        f"{type(optimizer).__name__} has neither"
    )


def _config(schedule: BaseLR) -> dict[str, Any] | None:
    try:
        return schedule.to_dict()
    except TypeError:  # an unregistered schedule: the constructor's is kept
        return None


def _number(value: Any) -> int | float:
    """An epoch as saved: an int, or a float for a fractional ``step(epoch)``."""
    return int(value) if float(value).is_integer() else float(value)


class ScheduleLR(LRScheduler):
    r"""Set parameter groups' learning rates (and other hyperparameters) from
    arraylr schedules.

    After :math:`k` calls of :meth:`step`, group :math:`i`'s learning rate is

    .. math::

        \eta_i(k) = s_i(k)\, c_i, \qquad
        c_i = \begin{cases} 1 & \text{default} \\
        \mathrm{initial\_lr}_i / s_i.\mathrm{start\_lr} &
        \texttt{scale\_by\_initial\_lr=True} \end{cases}

    where :math:`s_i` is the schedule of group :math:`i` (one schedule for every
    group, or a list).  ``base_lrs[i]`` is :math:`c_i\, s_i.\mathrm{start\_lr}`
    (with torch's schedulers, the rate is ``base_lr`` times a factor; here the
    factor is :math:`s_i(k) / s_i.\mathrm{start\_lr}`).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    schedule : arraylr.BaseLR or list of arraylr.BaseLR
        Evaluated at the scheduler's step count (``last_epoch``), starting at 0.
        A list holds one schedule per parameter group (a different length is a
        ``ValueError``).
    last_epoch : int, optional
        The index of the last step, for resuming (default -1: a fresh run).
        Resuming is simpler with :meth:`state_dict`/:meth:`load_state_dict`.
    scale_by_initial_lr : bool, optional
        Scale each group's rate by its ``initial_lr / start_lr`` (its ``lr`` when
        the scheduler is created), so that groups keep the ratio they were
        created with (default ``False``: every group gets its schedule's rate).
    momentum : arraylr.BaseLR or list of arraylr.BaseLR, optional
        A schedule for the momentum: ``momentum`` (SGD, RMSprop) or ``betas[0]``
        (Adam, AdamW, ...), where torch's ``CyclicLR``/``OneCycleLR`` cycle it; a
        ``ValueError`` for an optimizer with neither.  ``cyclic`` and
        ``onecycle`` schedules give theirs with ``momentum_schedule``.
    hyperparameters : mapping of str to schedule(s), optional
        Any other parameter-group entry driven by a schedule, by name
        (``"weight_decay"``), or by name and index for a tuple entry
        (``"betas[1]"``).

    Notes
    -----
    As torch's own schedulers: calling :meth:`step` before the optimizer's
    ``step()`` warns; ``step(epoch)`` (deprecated in torch, with its warning)
    evaluates the schedules at ``epoch``, fractional epochs included;
    :meth:`load_state_dict` sets the groups' rates at once.  :meth:`get_last_lr`
    returns Python floats, also for tensor learning rates (no copy, no device
    round trip).  ``state_dict()`` is plain data (the step, the factors, the last
    rates and each schedule's ``to_dict()``), so a checkpoint loads with
    ``torch.load``'s default ``weights_only=True``, as Lightning's and
    transformers' Trainer's resumes do; :meth:`load_state_dict` rebuilds the
    saved schedules, and the resumed run continues exactly.

    Under ``torch.compile``, keep the ``lr`` a tensor (``fill_`` writes it in
    place) and a compiled ``optimizer.step()`` compiles once.  To evaluate a
    schedule inside a compiled function, pass the step as a 0-d tensor
    (:func:`assign_lr_`): a Python ``int`` step is a constant of the graph, and
    every new rate it gives compiles again, as any Python number does.
    """

    schedule: BaseLR
    schedules: list[BaseLR]

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: Schedules,
        last_epoch: int = -1,
        *,
        scale_by_initial_lr: bool = False,
        momentum: Schedules | None = None,
        hyperparameters: Mapping[str, Schedules] | None = None,
    ) -> None:
        _check_optimizer(optimizer)
        if last_epoch != -1:  # resuming: the groups' initial_lr, as torch asks
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] "
                        "when resuming scheduler with last_epoch >= 0 (load the "
                        "optimizer's state first, or start with last_epoch=-1)"
                    )
        self.schedules = _per_group("schedule", optimizer, schedule)
        self.schedule = self.schedules[0]
        if not isinstance(scale_by_initial_lr, bool):
            raise TypeError(
                f"scale_by_initial_lr must be a bool, got {scale_by_initial_lr=!r}"
            )
        self.scale_by_initial_lr = scale_by_initial_lr
        extra: dict[str, Schedules] = {}
        if momentum is not None:
            extra[_momentum_key(optimizer)] = momentum
        if hyperparameters is not None:
            if not isinstance(hyperparameters, Mapping):
                raise TypeError(
                    "hyperparameters must be a dict of names to schedules, got "
                    f"{type(hyperparameters).__name__}"
                )
            for key, value in hyperparameters.items():
                if key in extra:
                    raise ValueError(f"{key!r} is given twice (momentum and {key!r})")
                extra[key] = value
        self._hyper: list[tuple[str, str, int | None, list[BaseLR]]] = []
        for key, value in extra.items():
            name, index = _parse_key(key, optimizer)
            self._hyper.append(
                (
                    key,
                    name,
                    index,
                    _per_group(f"hyperparameters[{key!r}]", optimizer, value),
                )
            )
        self._factors = [
            float(f)
            for f in _group_factors(optimizer, self.schedules, scale_by_initial_lr)
        ]
        groups = optimizer.param_groups
        for group, s, f in zip(groups, self.schedules, self._factors, strict=True):
            for entry, rate in s._group_entries().items():  # onecycle's max_lr
                group[entry] = rate * f
        if momentum is not None:  # as torch's cycling schedulers keep them
            cycles = _per_group("momentum", optimizer, momentum)
            for group, m in zip(groups, cycles, strict=True):
                group["base_momentum"], group["max_momentum"] = m._rate_range()
        if not scale_by_initial_lr and last_epoch == -1:  # the schedule's base
            for group, lr in zip(optimizer.param_groups, self._base(), strict=True):
                group["initial_lr"] = lr
        super().__init__(optimizer, last_epoch)
        self.base_lrs = list(self._base())

    def _base(self) -> list[float]:
        return [
            s.start_lr * f for s, f in zip(self.schedules, self._factors, strict=True)
        ]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The learning rates of the current step, one per parameter group."""
        step = self.last_epoch
        if all(s is self.schedule for s in self.schedules):  # one evaluation
            value = self.schedules[0].value(step)
            return [value if f == 1.0 else value * f for f in self._factors]
        return [
            s.value(step) * f
            for s, f in zip(self.schedules, self._factors, strict=True)
        ]

    def _apply(self) -> None:
        """Set every group's rate and hyperparameters at ``last_epoch``."""
        values = self.get_lr()
        groups = self.optimizer.param_groups
        for group, lr in zip(groups, values, strict=True):
            current = group["lr"]
            if isinstance(current, torch.Tensor):
                current.fill_(lr)  # same tensor: compiled steps see the new value
            else:
                group["lr"] = lr
        for _, name, index, schedules in self._hyper:
            for group, schedule in zip(groups, schedules, strict=True):
                _set(group, name, index, schedule.value(self.last_epoch))
        self._last_lr = list(values)

    def step(self, epoch: float | None = None) -> None:
        """Advance one step and set the rates (``epoch``, deprecated as in torch:
        evaluate at that step, fractional steps included)."""
        count = getattr(self, "_step_count", 0)
        if count == 1:
            wrapped = hasattr(self.optimizer.step, "_wrapped_by_lr_sched")
            if not wrapped:
                warnings.warn(
                    "Seems like `optimizer.step()` has been overridden after "
                    "learning rate scheduler initialization. Please, make sure to "
                    "call `optimizer.step()` before `lr_scheduler.step()`. "
                    f"See more details at {_ORDER_DOCS}",
                    UserWarning,
                    stacklevel=2,
                )
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(
                    "Detected call of `lr_scheduler.step()` before "
                    "`optimizer.step()`. Call them in the opposite order: "
                    "`optimizer.step()` before `lr_scheduler.step()`, or the "
                    "first value of the learning rate schedule is skipped. "
                    f"See more details at {_ORDER_DOCS}",
                    UserWarning,
                    stacklevel=2,
                )
        self._step_count = count + 1
        if epoch is None:
            self.last_epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch  # type: ignore[assignment]
        self._apply()

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain data (no pickled objects)."""
        return {
            "last_epoch": _number(self.last_epoch),
            "_step_count": int(getattr(self, "_step_count", 0)),
            "factors": [float(f) for f in self._factors],
            "base_lrs": [float(b) for b in self.base_lrs],
            "last_lr": [float(v) for v in getattr(self, "_last_lr", [])],
            "schedule": _config(self.schedule),
            "schedules": [_config(s) for s in self.schedules],
            "hyperparameters": {
                key: [_config(s) for s in schedules]
                for key, _, _, schedules in self._hyper
            },
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (the saved schedules included)
        and set the groups' rates and hyperparameters at once."""

        def rebuild(configs: list[Any], current: list[BaseLR]) -> list[BaseLR]:
            if len(configs) != len(current):
                raise ValueError(
                    f"the state holds {len(configs)} schedules for "
                    f"{len(current)} parameter groups"
                )
            return [
                s if c is None else BaseLR(**c)  # type: ignore[abstract]
                for c, s in zip(configs, current, strict=True)
            ]

        if "schedules" in state_dict:
            self.schedules = rebuild(state_dict["schedules"], self.schedules)
        elif state_dict.get("schedule") is not None:  # arraylr 0.2's state
            self.schedules = [BaseLR(**state_dict["schedule"])] * len(self.schedules)  # type: ignore[abstract]
        self.schedule = self.schedules[0]
        saved = state_dict.get("hyperparameters", {})
        self._hyper = [
            (
                key,
                name,
                index,
                rebuild(saved[key], schedules) if key in saved else schedules,
            )
            for key, name, index, schedules in self._hyper
        ]
        self.last_epoch = _number(state_dict["last_epoch"])  # type: ignore[assignment]
        self._step_count = int(state_dict.get("_step_count", 0))
        factors = state_dict.get("factors", state_dict.get("ratios"))
        if factors is not None:
            self._factors = [float(f) for f in factors]
        self.base_lrs = list(self._base())
        self._apply()

    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """The learning rates set by the last :meth:`step`, as Python floats."""
        return [float(v) for v in self._last_lr]


def assign_lr_(
    optimizer: Optimizer,
    schedule: Schedules,
    step: torch.Tensor,
    *,
    scale_by_initial_lr: bool = False,
) -> None:
    r"""Write ``schedule(step)`` into every group's tensor learning rate, on device.

    Tensor operations only (no Python float, no host synchronisation), so it can
    sit inside a ``torch.compile``-d or CUDA-graph-captured training step (one
    compilation for every value of a 0-d ``step`` tensor).  The rule is
    :class:`ScheduleLR`'s: group :math:`i` gets :math:`s_i(\mathrm{step})\,c_i`,
    its schedule's rate (:math:`c_i = 1`) unless ``scale_by_initial_lr=True``
    asks for :math:`c_i = \mathrm{initial\_lr}_i / s_i.\mathrm{start\_lr}`, which
    keeps the ratio between groups created with different rates.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Each group's ``lr`` must be a tensor.
    schedule : arraylr.BaseLR or list of arraylr.BaseLR
        One schedule for every group, or one per group.
    step : torch.Tensor
        0-d step counter (integer or floating) on any device.
    scale_by_initial_lr : bool, optional
        Scale by each group's ``initial_lr`` (recorded from its ``lr`` at the
        first call where a scheduler has not set it) over ``start_lr``.
    """
    _check_optimizer(optimizer)
    if not isinstance(step, torch.Tensor) or step.ndim != 0:
        shape = tuple(step.shape) if isinstance(step, torch.Tensor) else None
        raise TypeError(
            "step must be a 0-d tensor (the step counter, one step), got "
            + (f"a tensor of shape {shape}" if shape is not None else f"step={step!r}")
        )
    schedules = _per_group("schedule", optimizer, schedule)
    for i, group in enumerate(optimizer.param_groups):
        lr = group["lr"]
        if not isinstance(lr, torch.Tensor):
            raise TypeError(
                f"assign_lr_ needs tensor learning rates; param_groups[{i}]['lr'] is "
                f"{type(lr).__name__} (create the optimizer with lr=torch.tensor(...))"
            )
    factors = _group_factors(optimizer, schedules, scale_by_initial_lr)
    for group, s, factor in zip(
        optimizer.param_groups, schedules, factors, strict=True
    ):
        lr = group["lr"]
        value = s(step, dtype=lr.dtype)
        if not (isinstance(factor, float) and factor == 1.0):
            value = value * factor
        # through a 1-element view: torch 2.13's compiled copy_ (and fill_)
        # into a 0-d float64 CPU tensor is dropped (aot_eager, inductor)
        lr.view(-1).copy_(value.reshape(-1))
