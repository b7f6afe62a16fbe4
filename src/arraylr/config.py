"""Schedules from configs: dicts, JSON/YAML files, inline JSON, DeePMD-kit inputs.

A schedule config is a mapping with a ``type`` (default ``"exp"``) and the
schedule's parameters::

    {"type": "cosine", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 100000,
     "warmup_steps": 1000}

A DeePMD-kit training input keeps the schedule under ``learning_rate`` and the
step count under ``training.numb_steps``; :func:`load_config` reads both.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import BaseLR

__all__ = ["ConfigNote", "load_config", "make_learning_rate_schedule"]


class ConfigNote(UserWarning):
    """A config key was accepted but has no effect on the arraylr schedule."""


# Keys of a DeePMD-kit ``learning_rate`` section that configure the trainer, not
# the schedule, with the note a reader should see when they would change results.
_DEEPMD_TRAINER_KEYS: dict[str, str] = {
    "scale_by_worker": (
        "learning_rate.scale_by_worker={value!r} is a DeePMD-kit trainer setting "
        "(it rescales the learning rate by the number of parallel workers); arraylr "
        "accepts it and does not apply it"
    ),
}


def make_learning_rate_schedule(params: Mapping[str, Any], num_steps: int) -> BaseLR:
    """Build the schedule described by ``params`` for a run of ``num_steps`` steps.

    Parameters
    ----------
    params : Mapping
        Schedule config; ``type`` defaults to ``"exp"``. Keys starting with ``_``
        are comments and ignored; any other unknown key is a ``TypeError``.
        ``params`` is not modified.
    num_steps : int
        Total number of training steps (overrides any ``num_steps`` in ``params``).

    Returns
    -------
    BaseLR

    Examples
    --------
    >>> from arraylr import make_learning_rate_schedule
    >>> make_learning_rate_schedule({"start_lr": 1e-3, "stop_lr": 1e-5}, 10000)
    LearningRateExp(start_lr=0.001, num_steps=10000, stop_lr=1e-05, decay_steps=5000, \
warmup_steps=0, warmup_start_factor=0.0, smooth=False)
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            "params must be a mapping (a dict), got params of type "
            f"{type(params).__name__}"
        )
    config = dict(params)
    config.setdefault("type", "exp")
    config["num_steps"] = num_steps
    # BaseLR(type=...) dispatches to a concrete, registered subclass
    schedule: BaseLR = BaseLR(**config)  # type: ignore[abstract]
    return schedule


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _read_text(path: Path) -> str:
    """The file's text: UTF-8, or UTF-16/32 with a byte-order mark."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such config file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read config file ({exc.strerror})") from None
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not valid {encoding.upper()} text (byte {exc.start}: "
            f"{exc.reason}); save the config as UTF-8"
        ) from None


def _yaml_loader() -> Any:
    """PyYAML's safe loader, reading ``1e-3`` as the number people mean (YAML 1.1,
    and so PyYAML, reads a float without a dot, such as ``1e-3``, as a string)."""
    import yaml

    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
    return Loader


def _parse(text: str, where: str, suffix: str) -> Any:
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ValueError(
                f"{where}: reading YAML needs PyYAML (pip install 'arraylr[yaml]')"
            ) from None
        try:
            return yaml.load(text, Loader=_yaml_loader())  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise ValueError(f"{where}: malformed YAML: {exc}") from None
        except RecursionError:
            raise ValueError(f"{where}: YAML nested too deeply") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{where}: malformed JSON at line {exc.lineno} column {exc.colno}: "
            f"{exc.msg}"
        ) from None
    except RecursionError:
        raise ValueError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise ValueError(f"{where}: unreadable JSON: {exc}") from None


def _read_source(source: Any) -> tuple[Any, str]:
    """The parsed config of ``source`` and a name for it in error messages."""
    if isinstance(source, Mapping):
        return source, "config"
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return _parse(source, "inline JSON config", ".json"), "inline JSON config"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return _parse(_read_text(path), str(path), path.suffix.lower()), str(path)
    raise TypeError(
        "source must be a dict, a path to a JSON/YAML file, an inline JSON string or "
        f"a schedule, got source of type {type(source).__name__}"
    )


def _schedule_section(
    config: Mapping[str, Any], where: str, num_steps: int | None
) -> tuple[dict[str, Any], int | None]:
    """Split a (possibly DeePMD-kit) config into schedule parameters and steps."""
    if "learning_rate" in config:  # a DeePMD-kit training input
        section = config["learning_rate"]
        if not isinstance(section, Mapping):
            raise ValueError(f"{where}: key 'learning_rate' must be a mapping")
        params = dict(section)
        for key, note in _DEEPMD_TRAINER_KEYS.items():
            if key in params:
                value = params.pop(key)
                if value != "none":
                    warnings.warn(
                        f"{where}: {note.format(value=value)}", ConfigNote, stacklevel=4
                    )
        if num_steps is None:
            training = config.get("training")
            if not isinstance(training, Mapping) or "numb_steps" not in training:
                raise ValueError(
                    f"{where}: missing key 'training.numb_steps' (the number of "
                    "training steps); add it or pass num_steps (--num-steps on the "
                    "command line)"
                )
            num_steps = training["numb_steps"]
        if "num_steps" in params:
            raise ValueError(
                f"{where}: key 'learning_rate.num_steps' is not part of a DeePMD-kit "
                "input; the step count is 'training.numb_steps'"
            )
    elif "training" in config or "model" in config:
        raise ValueError(
            f"{where}: missing key 'learning_rate' (this looks like a DeePMD-kit "
            "input: the schedule goes under 'learning_rate')"
        )
    else:
        params = dict(config)
        if num_steps is None:
            num_steps = params.get("num_steps")
            if num_steps is None and "num_steps" in _required(params):
                raise ValueError(
                    f"{where}: missing key 'num_steps' (the number of training "
                    "steps); add it or pass num_steps (--num-steps on the command line)"
                )
        params.pop("num_steps", None)
    if "start_lr" not in params and "start_lr" in _required(params):
        key = "learning_rate.start_lr" if "learning_rate" in config else "start_lr"
        raise ValueError(f"{where}: missing key {key!r}")
    return params, num_steps


def _required(params: Mapping[str, Any]) -> set[str]:
    """The parameters the config's schedule type cannot do without."""
    try:
        cls = BaseLR._lookup(params.get("type", "exp"))
    except ValueError:
        return set()  # an unknown type: building it reports that
    signature = cls._init_signature()
    return {n for n, p in signature.parameters.items() if p.default is p.empty}


def load_config(source: Any, num_steps: int | None = None) -> BaseLR:
    """Build a schedule from a config, wherever it comes from.

    Parameters
    ----------
    source : dict, str, os.PathLike or BaseLR
        A schedule config dict; a path to a JSON file or (with PyYAML) a YAML
        file; an inline JSON string (starting with ``{``); a DeePMD-kit training
        input (dict or file) with the schedule under ``learning_rate`` and the
        step count under ``training.numb_steps``; or a schedule.
    num_steps : int, optional
        Overrides the step count of the config.

    Returns
    -------
    BaseLR

    Raises
    ------
    ValueError
        A missing or unreadable file, malformed JSON/YAML or a missing key; the
        message names the file (or ``config``) and the key.  Bad parameter values
        raise the schedule's ``TypeError``/``ValueError``, prefixed the same way.

    Warns
    -----
    ConfigNote
        For DeePMD-kit keys that arraylr accepts without applying (such as
        ``scale_by_worker``).

    Examples
    --------
    >>> from arraylr import load_config
    >>> load_config('{"type": "cosine", "start_lr": 0.1, "stop_lr": 0.0, '
    ...             '"num_steps": 100}')(50)
    0.05
    """
    if isinstance(source, BaseLR):
        if num_steps is None:
            return source
        return make_learning_rate_schedule(source.to_dict(), num_steps)
    config, where = _read_source(source)
    if not isinstance(config, Mapping):
        raise ValueError(
            f"{where}: expected a mapping of schedule parameters at the top level, "
            f"got {type(config).__name__}"
        )
    params, steps = _schedule_section(config, where, num_steps)
    try:
        if steps is None:  # a type that works out its own length (sequence)
            schedule: BaseLR = BaseLR(**{"type": "exp", **params})  # type: ignore[abstract]
            return schedule
        return make_learning_rate_schedule(params, steps)
    except (TypeError, ValueError) as exc:
        if where == "config":
            raise
        raise type(exc)(f"{where}: {exc}") from None
