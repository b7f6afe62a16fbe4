"""PyTorch integration: drive ``torch.optim`` optimizers with an arraylr schedule.

:class:`ScheduleLR` is a ``torch.optim.lr_scheduler.LRScheduler``::

    optimizer = torch.optim.AdamW(model.parameters(), lr=torch.tensor(1e-3))
    scheduler = ScheduleLR(optimizer, load_config("lr.json"))
    for batch in data:
        ...
        optimizer.step()
        scheduler.step()

Each parameter group's learning rate is ``schedule(step) * initial_lr /
schedule.start_lr``, so a group whose initial ``lr`` equals ``start_lr`` follows
the schedule exactly and any other group keeps its ratio (as DeePMD-kit's
``LambdaLR`` wrapper does).  A group whose ``lr`` is a tensor (what PyTorch
recommends for ``torch.compile``-d optimizers and CUDA graphs) is updated in place
with ``fill_``: the tensor object never changes, so a compiled ``optimizer.step``
is not recompiled as the learning rate moves.  :func:`assign_lr_` is the fully
device-resident route: from a step counter tensor, tensor operations only.

PyTorch is imported when this module is, never by ``import arraylr``.
"""

from __future__ import annotations

from typing import Any

try:
    import torch
    from torch.optim import Optimizer
    from torch.optim.lr_scheduler import LRScheduler
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("arraylr.torch needs PyTorch: pip install torch") from exc

from .base import BaseLR

__all__ = ["ScheduleLR", "assign_lr_"]


def _check(optimizer: Any, schedule: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    if not isinstance(schedule, BaseLR):
        raise TypeError(
            "schedule must be an arraylr schedule (BaseLR), got "
            f"{type(schedule).__name__}"
        )


def _ratio(initial: Any, start_lr: float) -> float:
    """A group's ``initial_lr / start_lr``: exactly 1 when the group was created
    with ``start_lr`` (a float32 tensor of 1e-3 is not 1e-3, but it means it)."""
    if isinstance(initial, torch.Tensor):
        if bool(initial == torch.tensor(start_lr, dtype=initial.dtype)):
            return 1.0
        initial = initial.item()
    return 1.0 if initial == start_lr else float(initial) / start_lr


class ScheduleLR(LRScheduler):
    """Set every parameter group's learning rate from an arraylr schedule.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    schedule : arraylr.BaseLR
        Evaluated at the scheduler's step count (``last_epoch``), starting at 0.
    last_epoch : int, optional
        The index of the last step, for resuming (default -1: a fresh run).
        Resuming is simpler with :meth:`state_dict`/:meth:`load_state_dict`.

    Notes
    -----
    :meth:`get_last_lr` returns Python floats, also for tensor learning rates (no
    copy, no device round trip).  ``state_dict()`` is plain data (the step, the
    group ratios, the last rates and ``schedule.to_dict()``), so a checkpoint
    loads with ``torch.load``'s default ``weights_only=True``, as Lightning's and
    transformers' Trainer's resumes do; :meth:`load_state_dict` rebuilds the
    saved schedule, and the resumed run continues exactly.
    """

    schedule: BaseLR

    def __init__(
        self, optimizer: Optimizer, schedule: BaseLR, last_epoch: int = -1
    ) -> None:
        _check(optimizer, schedule)
        self.schedule = schedule
        self._ratios: list[float] = [
            _ratio(group.get("initial_lr", group["lr"]), schedule.start_lr)
            for group in optimizer.param_groups
        ]
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The learning rates of the current step, one per parameter group."""
        value = self.schedule.value(self.last_epoch)
        return [value * ratio for ratio in self._ratios]

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (``epoch`` jumps to that step) and set the rates."""
        self._step_count = getattr(self, "_step_count", 0) + 1
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            current = group["lr"]
            if isinstance(current, torch.Tensor):
                current.fill_(lr)  # same tensor: compiled steps see the new value
            else:
                group["lr"] = lr
        last: list[float | torch.Tensor] = list(values)
        self._last_lr = last

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain data (no pickled objects)."""
        try:
            config: dict[str, Any] | None = self.schedule.to_dict()
        except TypeError:  # an unregistered schedule: the constructor's is kept
            config = None
        return {
            "last_epoch": int(self.last_epoch),
            "_step_count": int(getattr(self, "_step_count", 0)),
            "ratios": [float(r) for r in self._ratios],
            "base_lrs": [float(b) for b in self.base_lrs],
            "last_lr": [float(v) for v in getattr(self, "_last_lr", [])],
            "schedule": config,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (the saved schedule included)."""
        config = state_dict.get("schedule")
        if config is not None:
            self.schedule = BaseLR(**config)  # type: ignore[abstract]
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict.get("_step_count", 0))
        self._ratios = [float(r) for r in state_dict["ratios"]]
        self.base_lrs = [float(b) for b in state_dict.get("base_lrs", self.base_lrs)]
        self._last_lr = [float(v) for v in state_dict.get("last_lr", [])]

    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """The learning rates set by the last :meth:`step`, as Python floats."""
        return [float(v) for v in self._last_lr]


def assign_lr_(optimizer: Optimizer, schedule: BaseLR, step: torch.Tensor) -> None:
    """Write ``schedule(step)`` into every group's tensor learning rate, on device.

    Tensor operations only (no Python float, no host synchronisation), so it can
    sit inside a ``torch.compile``-d or CUDA-graph-captured training step. Each
    group's ``lr`` must be a tensor; groups keep the ratio of their
    ``initial_lr`` (when set, else their current ``lr``) to ``schedule.start_lr``,
    as in :class:`ScheduleLR`.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    schedule : arraylr.BaseLR
    step : torch.Tensor
        0-d step counter (integer or floating) on any device.
    """
    _check(optimizer, schedule)
    for i, group in enumerate(optimizer.param_groups):
        lr = group["lr"]
        if not isinstance(lr, torch.Tensor):
            raise TypeError(
                f"assign_lr_ needs tensor learning rates; param_groups[{i}]['lr'] is "
                f"{type(lr).__name__} (create the optimizer with lr=torch.tensor(...))"
            )
        value = schedule(step, dtype=lr.dtype)
        initial = group.get("initial_lr")
        if initial is not None and initial is not lr:
            value = value * (initial / schedule.start_lr)
        lr.copy_(value)
