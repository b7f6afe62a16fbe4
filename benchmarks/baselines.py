"""The peers' side of each benchmark: the configs, the reference, and the
schedules written by hand (a bare Python function, the fastest straightforward
NumPy and PyTorch), each checked against arraylr by the cases that time it."""

from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import arraylr

LR0, STOP, WARM_FRAC, DECAY_STEPS = 1e-3, 1e-5, 0.1, 5000


def have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def configs(n: int) -> dict[str, dict[str, Any]]:
    w = int(n * WARM_FRAC)
    return {
        "cosine": {
            "type": "cosine",
            "start_lr": LR0,
            "stop_lr": STOP,
            "num_steps": n,
            "warmup_steps": w,
        },
        "exp": {
            "type": "exp",
            "start_lr": LR0,
            "stop_lr": STOP,
            "num_steps": n,
            "warmup_steps": w,
            "decay_steps": DECAY_STEPS,
        },
        "wsd": {
            "type": "wsd",
            "start_lr": LR0,
            "stop_lr": STOP,
            "num_steps": n,
            "warmup_steps": w,
            "decay_type": "inverse_linear",
        },
    }


def reference_module() -> Any | None:
    if not have("deepmd"):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import deepmd.dpmodel.utils.learning_rate as ref
    return ref


def bare_functions(n: int) -> dict[str, Callable[[int], float]]:
    """The schedules as plain Python functions: the floor for a scalar call."""
    w = int(n * WARM_FRAC)
    t = n - w
    f = STOP / LR0
    h = 0.5 * (1 - f)
    cos, pi, exp, log = math.cos, math.pi, math.exp, math.log
    log_rate = log(arraylr.BaseLR(**configs(n)["exp"]).decay_rate)
    stable = t - max(1, min(int(0.1 * n), t))
    dphase = t - stable

    def cosine(step: int) -> float:
        if step < w:
            return LR0 * step / w
        d = step - w
        if d >= t:
            return LR0 * f
        return LR0 * (f + h * (1 + cos(pi * (d / t))))

    def exp_(step: int) -> float:
        if step < w:
            return LR0 * step / w
        return max(LR0 * exp(((step - w) // DECAY_STEPS) * log_rate), STOP)

    def wsd(step: int) -> float:
        if step < w:
            return LR0 * step / w
        d = step - w
        if d < stable:
            return LR0
        if d >= t:
            return STOP
        tau = (d - stable) / dphase
        return 1.0 / (tau / STOP + (1 - tau) / LR0)

    return {"cosine": cosine, "exp": exp_, "wsd": wsd}


def numpy_baselines(n: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """The fastest straightforward NumPy for each formula: in-place ufuncs on
    preallocated arrays, masks for the warmup and the end."""
    w = int(n * WARM_FRAC)
    t = n - w
    f = STOP / LR0
    h = 0.5 * (1 - f)
    log_rate = math.log(arraylr.BaseLR(**configs(n)["exp"]).decay_rate)

    def warmup(steps: np.ndarray, out: np.ndarray) -> None:
        mask = steps < w
        np.copyto(out, steps * (LR0 / w), where=mask)

    def cosine(steps: np.ndarray) -> np.ndarray:
        out = np.empty(steps.shape)
        np.subtract(steps, w, out=out)
        np.maximum(out, 0.0, out=out)
        np.multiply(out, math.pi / t, out=out)
        np.cos(out, out=out)
        np.add(out, 1.0, out=out)
        np.multiply(out, LR0 * h, out=out)
        np.add(out, LR0 * f, out=out)
        np.copyto(out, LR0 * f, where=steps >= w + t)
        warmup(steps, out)
        return out

    def exp_(steps: np.ndarray) -> np.ndarray:
        # explicit outputs: a 0-d array stays an array (ufuncs return scalars)
        d = np.subtract(steps, w, out=np.empty(steps.shape, steps.dtype))
        np.maximum(d, 0, out=d)
        np.floor_divide(d, DECAY_STEPS, out=d)
        out = np.multiply(d, log_rate, out=np.empty(steps.shape))
        del d
        np.exp(out, out=out)
        np.multiply(out, LR0, out=out)
        np.maximum(out, STOP, out=out)
        warmup(steps, out)
        return out

    return {"cosine": cosine, "exp": exp_}


def torch_baselines(n: int) -> dict[str, Callable[[Any], Any]]:
    import torch

    w = int(n * WARM_FRAC)
    t = n - w
    f = STOP / LR0
    h = 0.5 * (1 - f)
    log_rate = math.log(arraylr.BaseLR(**configs(n)["exp"]).decay_rate)

    def cosine(steps: Any) -> Any:
        out = steps.to(torch.float64)
        d = (out - w).clamp_(min=0).mul_(math.pi / t).cos_().add_(1)
        d.mul_(LR0 * h).add_(LR0 * f)
        d.masked_fill_(steps >= w + t, LR0 * f)
        return torch.where(steps < w, out.mul_(LR0 / w), d)

    def exp_(steps: Any) -> Any:
        e = (steps - w).clamp_(min=0).div_(DECAY_STEPS, rounding_mode="floor")
        out = e.to(torch.float64).mul_(log_rate).exp_().mul_(LR0).clamp_(min=STOP)
        return torch.where(steps < w, steps.to(torch.float64).mul_(LR0 / w), out)

    return {"cosine": cosine, "exp": exp_}
