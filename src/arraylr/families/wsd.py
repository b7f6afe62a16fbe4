r"""Warmup, stable, decay: ``type="wsd"``."""

from __future__ import annotations

from typing import Any, Literal, get_args

from .._exact import FLOAT32_MAX, FLOAT32_TINY, as_float, exceeds_dtype, split_edge
from .._roles import SHARED_EDGES
from .._scalar import SCALAR, Array, Namespace, zero_safe
from .._validation import check_choice, check_float, check_int, short_repr
from ..base import BaseLR, WarmupType

__all__ = ["LearningRateWSD"]

DecayType = Literal["inverse_linear", "cosine", "linear", "1-sqrt"]
DECAY_TYPES: tuple[str, ...] = get_args(DecayType)


@BaseLR.register("wsd")
class LearningRateWSD(BaseLR):
    r"""Warmup, a stable phase at ``start_lr``, then a decay phase to ``stop_lr``.

    With :math:`T = \mathrm{num\_steps} - W`, the decay phase lasts
    :math:`D` = ``decay_phase_steps`` steps, or
    :math:`D = \max(1, \min(\lfloor \rho\, \mathrm{num\_steps} \rfloor, T))`
    (:math:`\rho` = ``decay_phase_ratio``), after :math:`S = T - D` stable steps.
    At decay-phase step :math:`d`, with
    :math:`\tau = \mathrm{clip}((d - S) / D, 0, 1)`,

    .. math::

        \eta(d) = \begin{cases}
            \eta_0 & d < S \\
            g(\tau) & S \le d < T \\
            \eta_{end} & d \ge T
        \end{cases}

    where :math:`g` is ``decay_type``:

    * ``inverse_linear``: :math:`1 / (\tau / \eta_{end} + (1 - \tau) / \eta_0)`,
      evaluated as :math:`\eta_0 / (\tau \eta_0 / \eta_{end} + 1 - \tau)` (or the
      mirror image when :math:`\eta_{end} > \eta_0`), the same number with no
      subnormal reciprocal, which JAX float32 would flush to 0
    * ``cosine``: :math:`\eta_{end} + (\eta_0 - \eta_{end})\,\tfrac{1}{2}
      (1 + \cos \pi\tau)`
    * ``linear``: :math:`\eta_0 + (\eta_{end} - \eta_0)\,\tau`
    * ``1-sqrt``: :math:`\eta_{end} + (\eta_0 - \eta_{end})\,(1 - \sqrt{\tau})`

    ``transformers.get_wsd_schedule(num_warmup_steps=W, num_decay_steps=D,
    num_training_steps=N, warmup_type=..., decay_type=..., min_lr_ratio=r)`` is
    ``wsd(start_lr=lr, stop_lr=r * lr, warmup_start_factor=r, num_steps=N,
    warmup_steps=W, decay_phase_steps=D, warmup_type=..., decay_type=...)``
    (its warmup starts from ``r * lr``).

    Parameters
    ----------
    start_lr, num_steps, stop_lr, stop_lr_ratio
        See :class:`~arraylr.BaseLR`. ``stop_lr`` may be 0 except for the
        ``inverse_linear`` decay, which needs ``stop_lr > 0``.
    warmup_steps, warmup_ratio, warmup_start_factor, warmup_type
        See :class:`~arraylr.BaseLR`.
    decay_phase_ratio : float, optional
        :math:`\rho` in (0, 1] (default 0.1). Ignored when ``decay_phase_steps``
        is given (give one of the two).
    decay_type : {"inverse_linear", "cosine", "linear", "1-sqrt"}, optional
        The decay rule (default ``"inverse_linear"``, DeePMD-kit's default;
        transformers' default is ``"cosine"``).
    decay_phase_steps : int, optional
        :math:`D` itself, ``1 <= D <= T``: exact where a ratio would be truncated
        (0.29 * 2900 gives 840, not 841).

    Attributes
    ----------
    decay_phase_steps : int
        :math:`D`.
    stable_steps : int
        :math:`S`.

    Examples
    --------
    >>> from arraylr import LearningRateWSD
    >>> lr = LearningRateWSD(start_lr=1.0, stop_lr=0.5, num_steps=100,
    ...                      decay_phase_ratio=0.5, decay_type="linear")
    >>> lr(10), lr(75), lr(100)
    (1.0, 0.75, 0.5)
    """

    _propagates_nan = True
    _derived = ("decay_phase_ratio", "decay_type", "decay_phase_steps", "stable_steps")
    _example = {"start_lr": 1.0, "stop_lr": 0.01, "num_steps": 10_000,
                "warmup_steps": 500, "decay_phase_ratio": 0.2}  # fmt: skip
    _edges = SHARED_EDGES | {"stable_steps", "decay_phase_steps"}
    _differentiable = ("start_lr", "stop_lr", "stop_lr_ratio")
    _draws = frozenset({"decay_phase_ratio", "decay_phase_steps"})
    _exclusive = (("decay_phase_steps", "decay_phase_ratio"),)
    decay_phase_ratio: float | None

    decay_type: str
    decay_phase_steps: int
    stable_steps: int
    _ratio: float

    def __init__(
        self,
        start_lr: float,
        num_steps: int,
        stop_lr: float | None = None,
        stop_lr_ratio: float | None = None,
        warmup_steps: int = 0,
        warmup_ratio: float | None = None,
        warmup_start_factor: float = 0.0,
        decay_phase_ratio: float | None = None,
        decay_type: DecayType = "inverse_linear",
        warmup_type: WarmupType | None = None,
        decay_phase_steps: int | None = None,
    ) -> None:
        super().__init__(
            start_lr,
            num_steps,
            stop_lr=stop_lr,
            stop_lr_ratio=stop_lr_ratio,
            warmup_steps=warmup_steps,
            warmup_ratio=warmup_ratio,
            warmup_start_factor=warmup_start_factor,
            warmup_type=warmup_type,
        )
        self.decay_type = check_choice("decay_type", decay_type, DECAY_TYPES)
        if self.decay_type == "inverse_linear" and not self.stop_lr >= FLOAT32_TINY:
            given = (
                f"stop_lr={stop_lr!r}"
                if stop_lr is not None
                else f"stop_lr_ratio={stop_lr_ratio!r}"
            )
            raise ValueError(
                "wsd's inverse_linear decay needs stop_lr > 0 (at least "
                f"{FLOAT32_TINY:.6g}; 1 / stop_lr must be finite), got {given}; the "
                "linear, cosine and 1-sqrt decays allow 0"
            )
        if decay_phase_steps is not None:
            if decay_phase_ratio is not None:
                raise ValueError(
                    "decay_phase_steps and decay_phase_ratio are mutually exclusive, "
                    f"got decay_phase_steps={short_repr(decay_phase_steps)}, "
                    f"decay_phase_ratio={short_repr(decay_phase_ratio)}"
                )
            steps = check_int("decay_phase_steps", decay_phase_steps, minimum=1)
            if steps > self.decay_num_steps:
                raise ValueError(
                    f"decay_phase_steps must be <= num_steps - warmup_steps = "
                    f"{self.decay_num_steps}, got decay_phase_steps={steps}"
                )
            self.decay_phase_ratio = None
            self.decay_phase_steps = steps
        else:
            ratio = check_float(
                "decay_phase_ratio",
                0.1 if decay_phase_ratio is None else decay_phase_ratio,
                positive=True,
            )
            if ratio > 1:
                raise ValueError(
                    "decay_phase_ratio must be in (0, 1], got "
                    f"decay_phase_ratio={ratio!r}"
                )
            self.decay_phase_ratio = ratio
            self.decay_phase_steps = max(
                1, min(int(ratio * num_steps), self.decay_num_steps)
            )
        self.stable_steps = self.decay_num_steps - self.decay_phase_steps
        # decided here, not in the formula (a population hands it arrays)
        self._falls = self.stop_lr <= self.start_lr
        self._settle()

    @classmethod
    def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
        out = super()._derive(p, s, xp)
        start, stop = out["start_lr"], out["stop_lr"]
        if s.decay_type == "inverse_linear":  # see _from_tau
            # the ratio of the larger rate to the smaller (which is which:
            # _falls, decided once), capped at the largest float32; not max/min,
            # whose derivative at start_lr == stop_lr splits between the two
            ratio = start / stop if s._falls else stop / start
            out["_ratio"] = xp.minimum(ratio, FLOAT32_MAX)
        plateaus: list[Any] = [(s.decay_num_steps, None, stop)]  # lr_end from T on
        if s.stable_steps > 0:
            plateaus.insert(0, (0, s.stable_steps, start))
        out["_plateaus"] = tuple(plateaus)
        return out

    @classmethod
    def _draw(
        cls, draw: Any, st: Any, config: dict[str, Any], configs: Any
    ) -> dict[str, Any]:
        """The decay phase as a ratio, or (where there are decay steps) in steps."""
        n = config["num_steps"]
        warmup = config.get("warmup_steps", int(config.get("warmup_ratio", 0.0) * n))
        if n - warmup >= 1 and draw(st.booleans()):
            return {"decay_phase_steps": draw(st.integers(1, n - warmup))}
        return {"decay_phase_ratio": draw(st.floats(1e-6, 1.0))}

    def phases(self) -> list[tuple[int, str]]:
        extra = [(self.warmup_steps + self.stable_steps, "start of decay phase")]
        return sorted(set(super().phases() + extra))

    def _decay_value(self, step: Any, xp: Namespace) -> Any:
        if xp is SCALAR:
            into = step - self.stable_steps
        else:  # d - S with S split into hi + lo: one rounding near the edge
            hi, lo = split_edge(self.stable_steps, xp, step)
            into = step - hi
            if lo is not None:
                into = into - lo
        size = as_float(self.decay_phase_steps, xp, step)
        return self._from_tau(xp.clip(into / size, 0.0, 1.0), xp)

    def _decay_value_integer(self, step: Array, xp: Namespace, dtype: object) -> Any:
        if exceeds_dtype(xp, step, self.stable_steps):
            return super()._decay_value_integer(step, xp, dtype)
        into = xp.astype(step - self.stable_steps, dtype)  # exact, then rounded
        size = as_float(self.decay_phase_steps, xp, into)
        return self._from_tau(xp.clip(into / size, 0.0, 1.0), xp)

    def _from_tau(self, tau: Any, xp: Namespace) -> Any:
        lr0, lr_end = self.start_lr, self.stop_lr
        if self.decay_type == "inverse_linear":
            # 1 / (tau / lr_end + (1 - tau) / lr0) scaled by the larger rate, so
            # that no reciprocal is subnormal: 1 / start_lr past 8.5e37 is, and a
            # backend that flushes subnormals to 0 (XLA) gave inf.  The ratio is
            # >= 1 (no division by 0) and capped where float32 overflows (there
            # every rate past tau = 0 is below 1e-19 of the larger one anyway)
            if self._falls:
                return lr0 / (tau * self._ratio + (1 - tau))
            return lr_end / (tau + (1 - tau) * self._ratio)
        # lr0 w + lr_end (1 - w): exactly lr0 at tau = 0 and lr_end at tau = 1
        # (lr_end + (lr0 - lr_end) w rounds twice: 1 ulp off at the start)
        if self.decay_type == "cosine":
            w = 0.5 * (1 + xp.cos(xp.pi * tau))
            return lr0 * w + lr_end * (1 - w)
        if self.decay_type == "1-sqrt":
            # tau = 0 through the stable phase: a finite slope there (zero_safe)
            w = 1.0 - zero_safe(xp.sqrt, tau, xp)
            return lr0 * w + lr_end * (1 - w)
        return lr0 * (1 - tau) + lr_end * tau
