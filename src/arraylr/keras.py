r"""Keras 3: an arraylr schedule as a Keras ``LearningRateSchedule``.

>>> import keras                                          # doctest: +SKIP
>>> from arraylr import BaseLR
>>> from arraylr.keras import KerasSchedule
>>> lr = BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=1000,
...             warmup_steps=100)
>>> opt = keras.optimizers.SGD(learning_rate=KerasSchedule(lr))  # doctest: +SKIP

Keras calls the schedule with the optimizer's iteration count (0 for the first
update), so the update after :math:`k` steps uses ``lr(k)``, the convention of
arraylr, optax and torch.  The step is evaluated natively on the backend Keras
runs: a JAX array (traced inside Keras' jitted train step) or a torch tensor on
its device.  On the TensorFlow backend, whose tensors the array API does not
cover, the value is computed with NumPy through ``tf.numpy_function`` (as
DeePMD-kit does for its schedules); that path is not covered by arraylr's tests.

``get_config``/``from_config`` go through :meth:`arraylr.BaseLR.to_dict`, so
``keras.optimizers.schedules.serialize``/``deserialize`` and saved models
round-trip (the class is registered as ``"arraylr>KerasSchedule"``).
"""

from __future__ import annotations

from typing import Any

try:
    import keras
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "arraylr.keras needs Keras 3 and a backend: pip install keras jax "
        "(or torch, or tensorflow, for the backend)"
    ) from exc

from .base import BaseLR

__all__ = ["KerasSchedule"]


@keras.saving.register_keras_serializable(package="arraylr")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """An arraylr schedule for Keras optimizers.

    Parameters
    ----------
    schedule : arraylr.BaseLR
        The schedule; ``schedule(k)`` is the rate of the update after ``k``
        optimizer steps.

    Raises
    ------
    TypeError
        If ``schedule`` is not a :class:`arraylr.BaseLR`.
    """

    def __init__(self, schedule: BaseLR) -> None:
        super().__init__()
        if not isinstance(schedule, BaseLR):
            raise TypeError(
                "KerasSchedule wraps an arraylr schedule (a BaseLR), got "
                f"schedule of type {type(schedule).__name__}"
            )
        self.schedule = schedule

    def __call__(self, step: Any) -> Any:
        step = keras.ops.convert_to_tensor(step)
        if keras.backend.backend() == "tensorflow":  # pragma: no cover - untested
            import numpy as np
            import tensorflow as tf

            def rate(s: Any) -> Any:
                return np.asarray(self.schedule(np.asarray(s)), dtype=np.float32)

            return tf.numpy_function(rate, [step], tf.float32)
        return self.schedule(step)

    def get_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule.to_dict()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> KerasSchedule:
        schedule: BaseLR = BaseLR(**config["schedule"])  # type: ignore[abstract]
        return cls(schedule)

    def __repr__(self) -> str:
        return f"KerasSchedule({self.schedule!r})"
