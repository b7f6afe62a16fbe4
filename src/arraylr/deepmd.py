r"""arraylr's schedules inside DeePMD-kit: ``"learning_rate": {"type": "onecycle"}``.

With ``python -m pip install ".[deepmd]"`` (from a clone of arraylr), DeePMD-kit
(3.x) loads this plugin through its entry points, and every arraylr schedule type
that DeePMD-kit lacks (``constant``, ``linear``, ``polynomial``, ``piecewise``,
``inverse_sqrt``, ``cosine_restarts``, ``onecycle``, ``cyclic``, ``sequence``, ...)
becomes a
``learning_rate.type`` of ``dp train``: in DeePMD-kit's learning-rate registry
(:class:`deepmd.dpmodel.utils.learning_rate.BaseLR`) and in its input schema
(``deepmd.utils.argcheck``), so that ``dp train`` validates the parameters and
``dp doc-train-input`` documents them.  DeePMD-kit's own ``exp``, ``cosine`` and
``wsd`` stay DeePMD-kit's.

Two entry points do the work, so that a ``dp`` command that never builds a
schedule does not pay for importing ``deepmd.dpmodel``:

* group ``deepmd.backend`` (loaded by every ``dp`` command) registers the schema;
* group ``deepmd.dpmodel`` (loaded whenever DeePMD-kit's learning-rate module is
  imported, by every backend) registers the schedules and the schema.

``import arraylr.deepmd`` registers nothing by itself; call :func:`register` to
do it by hand (it is idempotent).

The object DeePMD-kit builds (:class:`DeePMDSchedule`) takes the same keyword
arguments as DeePMD-kit's own schedules (DeePMD-kit fills in ``num_steps`` from
``training.numb_steps``), has ``start_lr``, ``stop_lr``, ``warmup_steps``,
``num_steps`` and ``value(step)``, and its values are those of the arraylr
schedule it wraps (:attr:`DeePMDSchedule.schedule`) on every input: Python ints,
NumPy, PyTorch and JAX arrays, traced JAX arrays under ``jax.jit``.

DeePMD-kit's common ``learning_rate`` keys that a type does not take are accepted
only with the value that means "not given" (DeePMD-kit writes them into every
validated input): ``warmup_steps=0``, ``warmup_ratio=None``,
``warmup_start_factor=0.0``, ``stop_lr_ratio=None``, and ``stop_lr`` either
``None`` or ``5e-08``, the default DeePMD-kit fills in when neither ``stop_lr``
nor ``stop_lr_ratio`` is given.  Any other value is a ``ValueError`` naming the
key.  ``scale_by_worker`` is the trainer's (DeePMD-kit's own schedules ignore it
too).  ``sequence`` has no ``start_lr`` of its own; DeePMD-kit's schema requires
one, and it must equal the first child's ``start_lr``.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import textwrap
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from ._roles import shipped
from ._version import __version__
from .base import BaseLR
from .config import DEEPMD_OWN_TYPES

__all__ = [
    "DEEPMD_OWN_TYPES",
    "DeePMDSchedule",
    "plugin_types",
    "register",
    "register_schedules",
    "register_schema",
    "schema_arguments",
]


_COMMON = (
    "start_lr",
    "stop_lr",
    "stop_lr_ratio",
    "warmup_steps",
    "warmup_ratio",
    "warmup_start_factor",
)
"""DeePMD-kit's ``learning_rate`` keys outside the type variant."""

_TRAINER_KEYS = ("scale_by_worker",)
"""Keys DeePMD-kit passes that belong to its trainer, not to the schedule."""

_FILLED_STOP_LR = 5e-8
"""The ``stop_lr`` DeePMD-kit's schema writes when neither stop key is given."""

_NOT_GIVEN: dict[str, tuple[Any, ...]] = {
    "stop_lr": (None, _FILLED_STOP_LR),
    "stop_lr_ratio": (None,),
    "warmup_steps": (0,),
    "warmup_ratio": (None,),
    "warmup_start_factor": (0.0,),
}

_BACKENDS = ("tf", "pt", "jax", "pd", "pt_expt", "tf2")


def _require_deepmd() -> None:
    if importlib.util.find_spec("deepmd") is None:
        raise ImportError("arraylr.deepmd needs DeePMD-kit: pip install deepmd-kit")


def plugin_types() -> dict[str, type[BaseLR]]:
    """The arraylr types offered to DeePMD-kit: every type arraylr ships but
    DeePMD-kit's own ``exp``, ``cosine`` and ``wsd``, by name.  Schedules you
    register yourself with ``@BaseLR.register`` are not offered."""
    return {
        name: cls
        for name, cls in sorted(BaseLR.registered_types().items())
        if name not in DEEPMD_OWN_TYPES and shipped(cls)
    }


# ----------------------------------------------------------------- docstrings


_SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.MULTILINE)


def _docstring_parameters(cls: type) -> dict[str, str]:
    """``name -> description`` from the numpydoc ``Parameters`` section of the
    docstrings of ``cls`` and its bases (the nearest class wins); a grouped
    entry ``a, b`` gives each name the same text."""
    found: dict[str, str] = {}
    for klass in cls.__mro__:
        # a name list continued on the next line (a backslash in a raw docstring)
        doc = inspect.cleandoc((klass.__doc__ or "").replace("\\\n", ""))
        sections = list(_SECTION.finditer(doc))
        for i, match in enumerate(sections):
            if match.group(1).strip() != "Parameters":
                continue
            end = sections[i + 1].start() if i + 1 < len(sections) else len(doc)
            body = doc[match.end() : end].strip("\n")
            entries: list[tuple[str, list[str]]] = []
            for line in body.splitlines():
                if line and not line.startswith(" "):
                    entries.append((line, []))
                elif entries:
                    entries[-1][1].append(line.strip())
            for head, lines in entries:
                names = head.split(" : ")[0]
                text = " ".join(x for x in lines if x)
                for name in (n.strip() for n in names.split(",")):
                    if name and name not in found:
                        found[name] = text
    return found


def _summary(cls: type) -> str:
    """The first paragraph of ``cls``'s docstring, on one line."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    return " ".join(doc.split("\n\n")[0].split())


# -------------------------------------------------------------------- schema


def _parameters(cls: type[BaseLR]) -> list[tuple[inspect.Parameter, Any]]:
    """The keyword parameters of ``cls`` (as ``BaseLR(**config)`` accepts them)
    with their resolved type hints."""
    out: list[tuple[inspect.Parameter, Any]] = []
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not (isinstance(klass, type) and issubclass(klass, BaseLR)):
            continue
        params = klass._init_signature().parameters.values()
        hints = typing.get_type_hints(klass.__init__)
        for p in params:
            named = p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            if named and p.name not in seen:
                seen.add(p.name)
                out.append((p, hints.get(p.name, Any)))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return out


def _dargs_types(hint: Any) -> tuple[list[Any], list[str]]:
    """The dargs types of a type hint, and the choices of a ``Literal``."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        types: list[Any] = []
        choices: list[str] = []
        for arg in typing.get_args(hint):
            more, extra = _dargs_types(arg)
            types += [t for t in more if t not in types]
            choices += extra
        return types, choices
    if origin is typing.Literal:
        values = typing.get_args(hint)
        return sorted({type(v) for v in values}, key=str), [repr(v) for v in values]
    if hint is type(None) or hint is None:
        return [None], []
    if hint in (bool, int, float, str):
        return [hint], []
    if origin is not None and isinstance(origin, type):
        if issubclass(origin, Mapping):
            return [dict], []
        if issubclass(origin, Sequence):
            return [list], []
    raise TypeError(f"arraylr.deepmd: no DeePMD-kit schema type for {hint!r}")


def schema_arguments(cls: type[BaseLR]) -> list[Any]:
    """The ``dargs.Argument`` list of a type's own parameters, for DeePMD-kit's
    ``learning_rate`` variant: every parameter of ``cls`` except ``num_steps``
    (DeePMD-kit fills it in) and DeePMD-kit's common keys, with its type, default
    and the documentation from ``cls``'s docstring."""
    from dargs import Argument

    docs = _docstring_parameters(cls)
    arguments = []
    for param, hint in _parameters(cls):
        name = param.name
        if name == "num_steps" or name in _COMMON:
            continue
        types, choices = _dargs_types(hint)
        doc = docs.get(name)
        if doc is None:
            raise ValueError(
                f"arraylr.deepmd: {cls.__name__} documents no parameter {name!r}"
            )
        if choices:
            doc += f" One of {', '.join(choices)}."
        if param.default is param.empty:
            arguments.append(Argument(name, types, optional=False, doc=doc))
        else:
            default = param.default
            if isinstance(default, tuple):
                default = list(default)
            arguments.append(
                Argument(name, types, optional=True, default=default, doc=doc)
            )
    return arguments


def _variant_doc(name: str, cls: type[BaseLR]) -> str:
    from deepmd.utils.argcheck import supported_backends

    accepted = {p.name for p, _ in _parameters(cls)}
    missing = [key for key in _COMMON if key not in accepted]
    note = ""
    if missing:
        note = (
            f" Of the common keys it takes none of {', '.join(missing)}: leave them "
            "out (DeePMD-kit's filled-in stop_lr=5e-08 is ignored)."
        )
        if "start_lr" in missing:
            note += " start_lr must equal the first child's start_lr."
    return (
        f"{supported_backends(*_BACKENDS)}{_summary(cls)} "
        f"(arraylr {__version__}, type {name!r}; see arraylr's documentation for "
        f"the formula).{note}"
    )


def register_schema() -> list[str]:
    """Add every :func:`plugin_types` type to DeePMD-kit's ``learning_rate``
    input schema; returns the names added now (none when already there)."""
    _require_deepmd()
    from deepmd.utils.argcheck import lr_args_plugin

    present = {argument.name for argument in lr_args_plugin.get_all_argument()}
    added = []
    for name, cls in plugin_types().items():
        if name in present:
            continue

        def arguments(cls: type[BaseLR] = cls) -> list[Any]:
            return schema_arguments(cls)

        arguments.__doc__ = _summary(cls)
        lr_args_plugin.register(name, doc=_variant_doc(name, cls))(arguments)
        added.append(name)
    return added


# ----------------------------------------------------------------- schedules


class DeePMDSchedule:
    """Placeholder replaced by the real class once DeePMD-kit is imported.

    The real class subclasses :class:`deepmd.dpmodel.utils.learning_rate.BaseLR`
    and is built by :func:`register_schedules`.
    """


def _split_kwargs(
    cls: type[BaseLR], name: str, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """DeePMD-kit's keyword arguments as ``cls`` takes them (see module doc)."""
    accepted = {p.name for p, _ in _parameters(cls)}
    config: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in _TRAINER_KEYS:
            continue
        if key in accepted:
            config[key] = value
            continue
        if key == "start_lr" and name == "sequence":
            continue  # checked against the first child once built
        if key in _NOT_GIVEN:
            not_given = any(
                value is v or (v is not None and value == v) for v in _NOT_GIVEN[key]
            )
            # stop_lr=5e-08 is DeePMD-kit's filler only when no ratio is given
            if not_given and (key != "stop_lr" or kwargs.get("stop_lr_ratio") is None):
                continue
            raise ValueError(
                f"learning_rate type {name!r} takes no {key} (got {key}={value!r}); "
                f"its parameters are: {', '.join(sorted(accepted - {'num_steps'}))}"
            )
        config[key] = value  # unknown: arraylr names it, with a did-you-mean
    return config


def _make_adapter(deepmd_base: type) -> type:
    class _DeePMDSchedule(deepmd_base):  # type: ignore[misc]
        """An arraylr schedule as a DeePMD-kit learning-rate schedule.

        Built by DeePMD-kit from a ``learning_rate`` section (``type`` is one of
        :func:`arraylr.deepmd.plugin_types`); ``num_steps`` comes from
        ``training.numb_steps``.  :meth:`value` is the arraylr schedule's, on every
        input DeePMD-kit's backends pass.

        Attributes
        ----------
        schedule : arraylr.BaseLR
            The arraylr schedule (``schedule.to_dict()`` is its config).
        """

        _arraylr_type: str = ""
        _arraylr_class: Any = None

        def __init__(self, **kwargs: Any) -> None:
            name = self._arraylr_type
            cls = self._arraylr_class
            config = _split_kwargs(cls, name, kwargs)
            schedule = cls(**config)
            start = kwargs.get("start_lr")
            if name == "sequence" and start is not None and start != schedule.start_lr:
                raise ValueError(
                    "learning_rate type 'sequence': start_lr must equal the first "
                    f"child's start_lr ({schedule.start_lr!r}), got start_lr={start!r}"
                )
            self.schedule = schedule
            self._start_lr = float(schedule.start_lr)
            self.stop_lr = float(schedule.stop_lr)
            self.num_steps = int(schedule.num_steps)
            self.warmup_steps = int(getattr(schedule, "warmup_steps", 0))
            self.warmup_start_lr = float(getattr(schedule, "warmup_start_lr", 0.0))
            self.decay_num_steps = self.num_steps - self.warmup_steps

        def value(self, step: Any) -> Any:
            """The learning rate at absolute step ``step`` (see
            :meth:`arraylr.BaseLR.value`): a ``float`` for a Python number, an
            array of the step's library and device for an array."""
            return self.schedule.value(step)

        def _decay_value(self, step: Any) -> Any:
            """The rate at decay-phase step ``step`` (absolute step minus warmup)."""
            return self.schedule.value(step + self.warmup_steps)

        def __repr__(self) -> str:
            return f"DeePMD-kit schedule {self._arraylr_type!r}: {self.schedule!r}"

    _DeePMDSchedule.__name__ = _DeePMDSchedule.__qualname__ = "DeePMDSchedule"
    _DeePMDSchedule.__module__ = __name__
    return _DeePMDSchedule


def _class_name(name: str) -> str:
    return "DeePMD" + "".join(part.title() for part in name.split("_"))


def register_schedules() -> list[str]:
    """Register every :func:`plugin_types` type in DeePMD-kit's learning-rate
    registry; returns the names added now (none when already there)."""
    _require_deepmd()
    from deepmd.dpmodel.utils.learning_rate import BaseLR as DeePMDBaseLR

    module = sys.modules[__name__]
    base = module.__dict__.get("_adapter_base")
    if base is None or not issubclass(base, DeePMDBaseLR):
        base = _make_adapter(DeePMDBaseLR)
        module.DeePMDSchedule = base  # type: ignore[attr-defined]
        module._adapter_base = base  # type: ignore[attr-defined]
    present = DeePMDBaseLR.get_plugins()
    added = []
    for name, cls in plugin_types().items():
        if name in present:
            continue
        class_name = _class_name(name)
        sub = type(
            class_name,
            (base,),
            {
                "_arraylr_type": name,
                "_arraylr_class": cls,
                "__module__": __name__,
                "__qualname__": class_name,
                "__doc__": textwrap.dedent(
                    f"""DeePMD-kit schedule ``type={name!r}``: arraylr's
                    :class:`arraylr.{cls.__name__}`."""
                ),
            },
        )
        setattr(module, class_name, sub)  # picklable by name
        DeePMDBaseLR.register(name)(sub)
        added.append(name)
    return added


def register() -> list[str]:
    """Register the schema and the schedules (idempotent); returns the type
    names registered in DeePMD-kit's learning-rate registry now."""
    register_schema()
    return register_schedules()
