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
import math
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._validation import check_int
from .base import BaseLR

__all__ = [
    "DEEPMD_OWN_TYPES",
    "ConfigNote",
    "ConfigOrigins",
    "load_config",
    "make_learning_rate_schedule",
    "read_config",
    "worker_scale",
]


class ConfigNote(UserWarning):
    """A config key was accepted but has no effect on the arraylr schedule."""


_SCALE_BY_WORKER_NOTE = (
    "learning_rate.scale_by_worker={value!r} is a DeePMD-kit trainer setting (its "
    "TensorFlow trainer multiplies every rate by a coefficient of the number of "
    "parallel workers); arraylr accepts it and does not apply it: pass workers=N "
    "(arraylr show --workers N) to see the rate each of N workers trains at"
)

DEEPMD_STEP_KEYS = ("numb_steps", "stop_batch", "num_step", "num_steps", "numb_step")
"""``training.numb_steps`` and the aliases DeePMD-kit 3.2's argcheck accepts for it."""

DEEPMD_OWN_TYPES: frozenset[str] = frozenset({"exp", "cosine", "wsd"})
"""The types DeePMD-kit implements itself (and its TensorFlow trainer's
scale_by_worker applies to); arraylr's plugin never replaces them."""

DEEPMD_STOP_LR = 5e-8
"""The ``stop_lr`` DeePMD-kit 3.2 fills in when a ``learning_rate`` section gives
neither ``stop_lr`` nor ``stop_lr_ratio`` (for every type)."""

SCALE_BY_WORKER_RULES = ("linear", "sqrt", "none")
"""DeePMD-kit's ``scale_by_worker`` values (default ``linear``)."""


def worker_scale(rule: str, workers: int) -> float:
    """The factor DeePMD-kit's TensorFlow trainer applies to every rate when
    ``workers`` workers train in parallel: ``workers`` (``linear``, DeePMD-kit's
    default), ``sqrt(workers)`` (``sqrt``), 1 (``none``, and any other value).

    >>> from arraylr.config import worker_scale
    >>> worker_scale("linear", 4), worker_scale("sqrt", 4), worker_scale("none", 4)
    (4.0, 2.0, 1.0)
    """
    if rule == "linear":
        return float(workers)
    if rule == "sqrt":
        return math.sqrt(workers)
    return 1.0


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
    >>> lr = make_learning_rate_schedule({"start_lr": 1e-3, "stop_lr": 1e-5}, 10000)
    >>> lr.type_name, lr.num_steps, lr.decay_steps
    ('exp', 10000, 5000)
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


def _yaml_error(exc: Exception) -> str:
    """PyYAML's error as one line: where, and what."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or getattr(exc, "context", None)
    where = "" if mark is None else f" at line {mark.line + 1} column {mark.column + 1}"
    text = " ".join(str(what if what else exc).split())
    return f"malformed YAML{where}: {text}"


def _parse(text: str, where: str, suffix: str) -> Any:
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ValueError(
                f"{where}: reading YAML needs PyYAML (pip install PyYAML)"
            ) from None
        try:
            return yaml.load(text, Loader=_yaml_loader())  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise ValueError(f"{where}: {_yaml_error(exc)}") from None
        except RecursionError:
            raise ValueError(f"{where}: YAML nested too deeply") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        error = f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        if suffix not in ("", ".json"):  # a file that is no config at all
            raise ValueError(
                f"{where}: not a config: arraylr reads JSON (a .json file, or a file "
                "of any other name that holds JSON), YAML (.yaml, .yml) and inline "
                f"JSON, and this file is not JSON ({error})"
            ) from None
        raise ValueError(f"{where}: {error}") from None
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


@dataclass(frozen=True)
class ConfigOrigins:
    """Where the parameters of a schedule read from a config came from (what
    ``arraylr show`` labels): what the source wrote, what the reader filled in."""

    given: dict[str, Any]
    """The schedule's parameters as the source wrote them (comments left out;
    ``num_steps`` where the source gives the step count)."""
    filled: dict[str, str] = field(default_factory=dict)
    """Parameters the reader filled in, and who chose the value (DeePMD-kit's
    defaults)."""
    keys: dict[str, str] = field(default_factory=dict)
    """Parameters given under another name than their own: a key of the source
    (``training.stop_batch``) or the ``num_steps`` argument."""
    scaled: dict[str, tuple[Any, str]] = field(default_factory=dict)
    """Parameters multiplied by the ``workers`` rule: the value before, and how."""


def _deepmd_steps(config: Mapping[str, Any], where: str) -> tuple[Any, str]:
    """The step count of a DeePMD-kit input and the key it is under: ``numb_steps``
    or one of the aliases DeePMD-kit's argcheck accepts."""
    training = config.get("training")
    if not isinstance(training, Mapping):
        training = {}
    found = [key for key in DEEPMD_STEP_KEYS if key in training]
    if len(found) > 1:
        raise ValueError(
            f"{where}: keys {', '.join(f'training.{k}' for k in found)} name the same "
            "setting (DeePMD-kit accepts one of numb_steps, "
            f"{', '.join(DEEPMD_STEP_KEYS[1:])})"
        )
    if not found:
        epochs = [k for k in training if k in _EPOCH_KEYS]
        if epochs:
            raise ValueError(
                f"{where}: training.{epochs[0]} sets the run in epochs, whose length "
                "depends on the data set; pass num_steps (--num-steps on the command "
                "line)"
            )
        raise ValueError(
            f"{where}: missing key 'training.numb_steps' (the number of training "
            f"steps; DeePMD-kit also reads {', '.join(DEEPMD_STEP_KEYS[1:])}); add it "
            "or pass num_steps (--num-steps on the command line)"
        )
    return training[found[0]], f"training.{found[0]}"


_EPOCH_KEYS = ("numb_epoch", "num_epochs", "num_epoch", "numb_epochs")


def _deepmd_section(
    config: Mapping[str, Any], where: str, num_steps: int | None, workers: int | None
) -> tuple[dict[str, Any], int | None, ConfigOrigins]:
    """The schedule parameters of a DeePMD-kit input, read as DeePMD-kit 3.2's
    argcheck reads them (aliases, the defaults it fills in), and what was filled."""
    section = config["learning_rate"]
    if not isinstance(section, Mapping):
        raise ValueError(f"{where}: key 'learning_rate' must be a mapping")
    params = {k: v for k, v in section.items() if not str(k).startswith("_")}
    given = dict(params)
    info = ConfigOrigins(given)
    if "num_steps" in params:
        raise ValueError(
            f"{where}: key 'learning_rate.num_steps' is not part of a DeePMD-kit "
            "input; the step count is 'training.numb_steps'"
        )
    rule = params.pop("scale_by_worker", None)
    if rule is not None and not isinstance(rule, str):
        raise TypeError(
            f"{where}: learning_rate.scale_by_worker must be one of "
            f"{', '.join(map(repr, SCALE_BY_WORKER_RULES))}, got {rule!r}"
        )
    if rule is not None and rule != "none" and workers is None:
        warnings.warn(
            f"{where}: {_SCALE_BY_WORKER_NOTE.format(value=rule)}",
            ConfigNote,
            stacklevel=5,
        )
    if params.get("stop_lr") is None and params.get("stop_lr_ratio") is None:
        params.pop("stop_lr_ratio", None)
        params["stop_lr"] = DEEPMD_STOP_LR
        info.filled["stop_lr"] = "DeePMD-kit's default"
    if num_steps is None:
        num_steps, key = _deepmd_steps(config, where)
        given["num_steps"] = num_steps
        if key != "training.numb_steps":
            info.keys["num_steps"] = key
    if workers is not None:
        factor = worker_scale("linear" if rule is None else rule, workers)
        kind = params.get("type", "exp")
        if kind not in DEEPMD_OWN_TYPES:
            raise ValueError(
                f"{where}: workers applies DeePMD-kit's scale_by_worker rule, which "
                "its TensorFlow trainer applies to the exp, cosine and wsd types, "
                f"got type={kind!r}"
            )
        named = "linear" if rule is None else rule
        how = f"x {factor:g} for {workers} workers, scale_by_worker={named!r}"
        for name in ("start_lr", "stop_lr"):
            if params.get(name) is not None and factor != 1.0:
                if not isinstance(params[name], (int, float)) or isinstance(
                    params[name], bool
                ):
                    continue  # the schedule reports the bad value
                info.scaled[name] = (params[name], how)
                params[name] = params[name] * factor
    return params, num_steps, info


def _schedule_section(
    config: Mapping[str, Any], where: str, num_steps: int | None, workers: int | None
) -> tuple[dict[str, Any], int | None, ConfigOrigins]:
    """Split a (possibly DeePMD-kit) config into schedule parameters and steps."""
    if "learning_rate" in config:  # a DeePMD-kit training input
        params, num_steps, info = _deepmd_section(config, where, num_steps, workers)
    elif "training" in config or "model" in config:
        raise ValueError(
            f"{where}: missing key 'learning_rate' (this looks like a DeePMD-kit "
            "input: the schedule goes under 'learning_rate')"
        )
    else:
        if workers is not None:
            raise ValueError(
                f"{where}: workers applies DeePMD-kit's learning_rate.scale_by_worker "
                "rule, and this is not a DeePMD-kit input (no 'learning_rate' key)"
            )
        params = {k: v for k, v in config.items() if not str(k).startswith("_")}
        info = ConfigOrigins(dict(params))
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
    return params, num_steps, info


def _required(params: Mapping[str, Any]) -> set[str]:
    """The parameters the config's schedule type cannot do without."""
    try:
        cls = BaseLR._lookup(params.get("type", "exp"))
    except ValueError:
        return set()  # an unknown type: building it reports that
    signature = cls._init_signature()
    return {n for n, p in signature.parameters.items() if p.default is p.empty}


def load_config(
    source: Any, num_steps: int | None = None, workers: int | None = None
) -> BaseLR:
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
    workers : int, optional
        For a DeePMD-kit input: the schedule each of ``workers`` parallel workers
        trains at under the input's ``learning_rate.scale_by_worker`` rule
        (DeePMD-kit's default ``linear`` multiplies every rate by ``workers``,
        ``sqrt`` by its square root, ``none`` by 1; see :func:`worker_scale`).
        ``start_lr`` and ``stop_lr`` are multiplied (``exp``, ``cosine`` and
        ``wsd``, the types DeePMD-kit's TensorFlow trainer scales).

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
    return read_config(source, num_steps, workers)[0]


def read_config(
    source: Any, num_steps: int | None = None, workers: int | None = None
) -> tuple[BaseLR, ConfigOrigins]:
    """:func:`load_config`, and where each parameter came from."""
    if workers is not None:
        workers = check_int("workers", workers, minimum=1)
    if isinstance(source, BaseLR):
        if workers is not None:
            raise ValueError(
                "workers applies DeePMD-kit's learning_rate.scale_by_worker rule to a "
                "DeePMD-kit input, got a schedule"
            )
        if num_steps is None:
            return source, ConfigOrigins(source.to_dict())
        rebuilt = make_learning_rate_schedule(source.to_dict(), num_steps)
        return rebuilt, ConfigOrigins(rebuilt.to_dict())
    config, where = _read_source(source)
    if not isinstance(config, Mapping):
        raise ValueError(
            f"{where}: expected a mapping of schedule parameters at the top level, "
            f"got {type(config).__name__}"
        )
    params, steps, origins = _schedule_section(config, where, num_steps, workers)
    if num_steps is not None:
        origins.given["num_steps"] = num_steps
        origins.keys["num_steps"] = "--num-steps / num_steps="
    try:
        if steps is None:  # a type that works out its own length (sequence)
            schedule: BaseLR = BaseLR(**{"type": "exp", **params})  # type: ignore[abstract]
        else:
            schedule = make_learning_rate_schedule(params, steps)
    except (TypeError, ValueError) as exc:
        if where == "config":
            raise
        raise type(exc)(f"{where}: {exc}") from None
    return schedule, origins
