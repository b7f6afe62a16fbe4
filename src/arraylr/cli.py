"""The ``arraylr`` command: show, plot and check a schedule before training with it.

Every subcommand takes configs the way :func:`arraylr.load_config` does (a JSON or
YAML file, inline JSON, or a DeePMD-kit training input) and ``--num-steps`` to
override the length.  Errors print one line and exit with status 2; ``check``
exits with status 1 when a backend breaks an agreement bound (docs/semantics.rst).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ._version import __version__
from .base import BaseLR
from .config import ConfigNote, ConfigOrigins, read_config
from .population import Population

__all__ = ["draw", "main", "milestones"]


class CLIError(Exception):
    """An error reported as one line and exit status 2."""


def milestones(schedule: BaseLR) -> list[tuple[int, str]]:
    """Meaningful steps of ``schedule``: start, phase boundaries, quarters, end."""
    w, t = schedule.warmup_steps, schedule.decay_num_steps
    marks: dict[int, str] = {0: "start"}
    if w > 0:
        marks.setdefault(w // 2, "mid-warmup")
    for step, label in schedule.phases():
        marks[step] = label
    # a cyclic rate goes up and down: its quarters are of the run, not of a decay
    part = schedule._quarters_of
    for quarter in (1, 2, 3):
        marks.setdefault(w + quarter * t // 4, f"{part} {quarter}/4")
    return sorted(marks.items())


def phase_lines(schedule: BaseLR) -> list[tuple[int, str]]:
    """Phase boundaries to mark on a plot (the end is the plot's edge)."""
    return [(s, label) for s, label in schedule.phases() if s != schedule.num_steps]


def _read(
    source: str, num_steps: int | None, workers: int | None = None
) -> tuple[BaseLR, ConfigOrigins, list[str]]:
    """The schedule of ``source``, where its parameters came from, and the notes
    the reader raised (as text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigNote)
        try:
            schedule, origins = read_config(source, num_steps, workers)
        except (TypeError, ValueError) as exc:
            raise CLIError(str(exc)) from None
    notes = [str(w.message) for w in caught if issubclass(w.category, ConfigNote)]
    return schedule, origins, notes


def _load(source: str, num_steps: int | None) -> tuple[BaseLR, list[str]]:
    schedule, _, notes = _read(source, num_steps)
    return schedule, notes


_NONE_MEANS_DEFAULT: dict[str, Any] = {
    "warmup_type": "linear",
    "exponent": 1.0,
    "decay_phase_ratio": 0.1,
}
"""Parameters whose ``None`` default stands for a value (the rest's ``None``
means: derived from the other parameters)."""


def _parameter_default(schedule: BaseLR, key: str) -> tuple[bool, Any]:
    """Whether ``key`` is a constructor parameter of ``schedule``'s class (its
    own ``__init__`` or one it passes ``**kwargs`` on to), and its default."""
    for klass in type(schedule).__mro__:
        if not (isinstance(klass, type) and issubclass(klass, BaseLR)):
            continue
        parameter = klass._init_signature().parameters.get(key)
        if parameter is not None and parameter.kind not in (
            parameter.VAR_KEYWORD,
            parameter.VAR_POSITIONAL,
        ):
            default = parameter.default
            if default is None:
                default = _NONE_MEANS_DEFAULT.get(key)
            return True, default
    return False, None


def _origin(schedule: BaseLR, origins: ConfigOrigins, key: str, value: Any) -> str:
    """Where the resolved ``key`` came from: ``config`` (as the config says it),
    ``default`` (the reader or the schedule filled it in) or ``derived``."""
    if key in origins.scaled:
        return "derived"
    if key in origins.filled:
        return "default"
    if key in origins.given:
        return "config" if origins.given[key] == value else "derived"
    parameter, default = _parameter_default(schedule, key)
    if parameter and default is not inspect.Parameter.empty and default == value:
        return "default"
    return "derived"


def _origin_label(origins: ConfigOrigins, key: str, kind: str) -> str:
    """The label ``arraylr show`` prints after a value of that origin."""
    given = origins.given
    if key in origins.scaled:
        before, how = origins.scaled[key]
        source = origins.filled.get(key, "config says")
        return f"  (derived: {source} {before!r} {how})"
    if key in origins.filled:
        return f"  ({origins.filled[key]})"
    if kind == "config":
        return f"  (from {origins.keys[key]})" if key in origins.keys else ""
    if kind == "derived" and key in given:
        return f"  (derived; config says {given[key]!r})"
    return f"  ({kind})"


def _plain_config(given: dict[str, Any]) -> dict[str, Any]:
    """What the config says, as JSON can hold it (child schedules as dicts)."""
    return {
        key: value.to_dict() if isinstance(value, BaseLR) else value
        for key, value in given.items()
    }


def _sweep_value(text: str) -> Any:
    """A swept value as written: an int, else a float, else the string."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def sweep_arg(text: str) -> tuple[str, list[Any]]:
    """``--sweep name=v1,v2,...`` as ``(name, [v1, v2, ...])``."""
    name, sep, values = text.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not name.strip() or not items:
        raise argparse.ArgumentTypeError(
            f"expected NAME=V1,V2,... (for example start_lr=1e-4,3e-4), got {text!r}"
        )
    return name.strip(), [_sweep_value(v) for v in items]


def _population_config(source: str) -> dict[str, Any] | None:
    """The dict of a population config (``{"type": "population", ...}``, a JSON
    file or inline JSON), or ``None`` for any other config."""
    text = source.strip()
    if not text.startswith("{"):
        path = Path(source)
        if path.suffix.lower() != ".json" or not path.is_file():
            return None
        try:
            text = path.read_text()
        except (OSError, ValueError):  # the config reader says what is wrong
            return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # the config reader says what is wrong
        return None
    if isinstance(data, dict) and data.get("type") == "population":
        return data
    return None


def _curves(
    source: str, sweeps: list[tuple[str, list[Any]]], num_steps: int | None
) -> tuple[BaseLR | Population, list[str], list[str]]:
    """What one config draws: a schedule, or a population (``--sweep``, or a
    population config) with one legend label per member; and the notes."""
    population = _members(source, num_steps)
    if population is not None:  # each member by the parameters that differ
        configs = [member.to_dict() for member in population]
        keys = sorted({k for c in configs for k in c})
        differ = [k for k in keys if len({repr(c.get(k)) for c in configs}) > 1]
        labels = [
            f"member {i}: " + (", ".join(f"{k}={c.get(k)!r}" for k in differ) or "")
            if differ
            else f"member {i}"
            for i, c in enumerate(configs)
        ]
        return population, labels, []
    schedule, notes = _load(source, num_steps)
    if not sweeps:
        return schedule, [f"{schedule.type_name}: {_short(source)}"], notes
    values = dict(sweeps)
    base = schedule.to_dict()
    for name in values:  # a swept value replaces the file's other spelling
        for partner in sorted(type(schedule)._partners(name) - set(values)):
            if base.get(partner) is not None:
                notes.append(
                    f"--sweep {name} replaces {partner}={base[partner]!r} of "
                    f"{_short(source)}"
                )
            base.pop(partner, None)
    try:
        population = Population.sweep(base, grid=True, **values)
    except (TypeError, ValueError) as exc:
        given = [
            f"{k}={v!r}"
            for k, v in base.items()
            if k not in values and k != "type" and re.search(rf"\b{k}\b", str(exc))
        ]
        where = f" (from {_short(source)}: {', '.join(given)})" if given else ""
        raise CLIError(f"--sweep: {exc}{where}") from None
    labels = [
        f"{schedule.type_name}: "
        + ", ".join(f"{name}={member.to_dict().get(name)!r}" for name in values)
        for member in population
    ]
    return population, labels, notes


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _end_notes(schedule: BaseLR) -> list[str]:
    """Why the rate at the end differs from stop_lr, where a reader would ask."""
    end = schedule(schedule.num_steps)
    stop = schedule.stop_lr
    if abs(end - stop) <= 1e-9 * max(abs(stop), 1e-300) or schedule.num_steps == 0:
        return []
    note = schedule._end_note()
    return [] if note is None else [note]


def _shown(
    schedule: BaseLR, origins: ConfigOrigins, notes: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """What ``show`` says of one schedule: its JSON payload and its lines."""
    notes = notes + _end_notes(schedule)
    points = milestones(schedule)
    steps = np.array([s for s, _ in points], dtype=np.int64)
    rates = schedule(steps).tolist()
    resolved = schedule.describe()
    # the warmup values of a type that takes no warmup: not shown as defaults
    takes = set(type(schedule)._parameter_names())
    fixed = set() if "warmup_steps" in takes else set(_WARMUP_VALUES) - takes
    kinds = {key: _origin(schedule, origins, key, v) for key, v in resolved.items()}
    payload = {
        "type": schedule.type_name,
        "config": _plain_config(origins.given),
        "defaults": {
            k: v
            for k, v in resolved.items()
            if kinds[k] == "default" and k not in fixed
        },
        "derived": {k: v for k, v in resolved.items() if kinds[k] == "derived"},
        "resolved": resolved,
        "schedule": schedule.to_dict(),
        "notes": notes,
        "milestones": [
            {"step": s, "label": label, "learning_rate": r}
            for (s, label), r in zip(points, rates, strict=True)
        ],
    }
    lines = [f"{type(schedule).__name__} (type {schedule.type_name!r})"]
    lines += [f"note: {note}" for note in notes]
    if fixed:
        lines.append(f"note: {schedule.type_name} takes no warmup parameters")
    lines.append("")
    shown = [key for key in resolved if key not in fixed]
    width = max(map(len, shown)) + 2
    for key in shown:
        label = _origin_label(origins, key, kinds[key])
        lines.append(f"  {key:<{width}}{_value_text(resolved[key])}{label}")
    lines += ["", f"  {'step':>12}  {'learning rate':<14}  milestone"]
    for (step, label), rate in zip(points, rates, strict=True):
        lines.append(f"  {step:>12}  {rate:<14.6e}  {label}")
    return payload, lines


_WARMUP_VALUES = ("warmup_steps", "warmup_start_lr", "warmup_type")
"""The warmup values ``describe()`` lists for every type."""


def _members(source: str, num_steps: int | None) -> Population | None:
    """The population of a population config (``Population.to_dict()``), or
    ``None`` for any other config."""
    config = _population_config(source)
    if config is None:
        return None
    members = config.get("members")
    if num_steps is not None and isinstance(members, list):
        members = [{**m, "num_steps": num_steps} for m in members]
    try:
        return Population.from_dict({**config, "members": members})
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from None


def _print_json(payload: Any) -> None:
    try:
        text = json.dumps(payload, indent=2, allow_nan=False)
    except ValueError as exc:  # a non-finite number: not JSON
        raise CLIError(f"cannot write JSON: {exc}") from None
    print(text)


def cmd_show(args: argparse.Namespace) -> int:
    population = _members(args.config, args.num_steps)
    if population is not None:  # every member, as show gives one
        shown = []
        for member in population:
            _, origins, notes = _read(
                json.dumps(member.to_dict()), args.num_steps, args.workers
            )
            shown.append(_shown(member, origins, notes))
        if args.json:
            members = [payload for payload, _ in shown]
            _print_json(
                {"type": "population", "groups": population.groups, "members": members}
            )
            return 0
        print(
            f"Population of {len(population)} {population[0].type_name!r} schedules "
            f"({population.groups} vectorised evaluation(s))"
        )
        for i, (_, lines) in enumerate(shown):
            print()
            print(f"member {i}: " + lines[0])
            for line in lines[1:]:
                print(f"  {line}" if line else "")
        return 0
    schedule, origins, notes = _read(args.config, args.num_steps, args.workers)
    payload, lines = _shown(schedule, origins, notes)
    if args.json:
        _print_json(payload)
        return 0
    for line in lines:
        print(line)
    return 0


def step_label(value: float, _pos: Any = None) -> str:
    """A step count as people write it on an axis: 500, 20k, 1.5M, 2B."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


SHARED_MARK = "0.25"
"""The colour of a phase label that stands for marks of several schedules."""


def _phase_marks(
    axes_marks: list[tuple[float, str, str]], span: float
) -> list[tuple[float, str, str]]:
    """Phase marks with the labels of marks closer than 2% of the axis merged,
    so that labels never print over each other (two names at most, then a
    count); a label that merges marks of schedules of different colours is
    drawn in :data:`SHARED_MARK`."""
    groups: list[tuple[float, list[str], str]] = []
    for x, text, color in sorted(axes_marks):
        if groups and x - groups[-1][0] < 0.02 * span:
            px, texts, pcolor = groups[-1]
            if text not in texts:
                texts.append(text)
            groups[-1] = (px, texts, pcolor if pcolor == color else SHARED_MARK)
            continue
        groups.append((x, [text], color))
    merged = []
    for x, texts, color in groups:
        label = " / ".join(texts[:2])
        if len(texts) > 2:
            label += f" (+{len(texts) - 2} more)"
        merged.append((x, label, color))
    return merged


def cmd_plot(args: argparse.Namespace) -> int:
    loaded = [
        (src, *_curves(src, args.sweep or [], args.num_steps)) for src in args.config
    ]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CLIError(
            "arraylr plot needs matplotlib: pip install matplotlib"
        ) from None
    for _, _, _, notes in loaded:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    fig = draw(
        [(drawn, labels) for _, drawn, labels, _ in loaded],
        points=args.points,
        log=args.log,
        normalise=args.normalise,
        panels=args.panels,
    )
    try:
        fig.savefig(args.output, bbox_inches="tight")
    except OSError as exc:
        raise CLIError(f"cannot write {args.output}: {exc.strerror}") from None
    except ValueError as exc:  # an unknown image format, from the suffix
        raise CLIError(f"cannot write {args.output}: {exc}") from None
    finally:
        plt.close(fig)
    print(f"wrote {args.output}")
    return 0


def draw(
    curves: list[tuple[BaseLR | Population, list[str]]],
    *,
    points: int = 2000,
    log: bool = False,
    normalise: bool = False,
    panels: bool = False,
) -> Any:
    """The figure ``arraylr plot`` writes: for each schedule (or population, a
    curve per member, one call for all) and its legend labels, the rates against
    the steps, a schedule's phase boundaries dotted and labelled above the
    plotting area (so that no label crosses a curve), and the legend below it.
    ``normalise`` divides steps by each schedule's ``num_steps`` and rates by its
    largest rate (``schedule.scale``); ``panels`` gives each entry a panel of its
    own."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    panels = panels and len(curves) > 1
    rows = len(curves) if panels else 1
    fig, axes = plt.subplots(
        rows, 1, figsize=(8, 4.2 * rows if panels else 5.6), dpi=120, squeeze=False
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    marks: dict[int, list[tuple[float, str, str]]] = {}
    count = 0
    for i, (drawn, labels) in enumerate(curves):
        row = i if panels else 0
        ax = axes[row][0]
        members = drawn.members if isinstance(drawn, Population) else (drawn,)
        end = max(max(m.num_steps for m in members), 1)
        # in Python ints: a float64 linspace to 2**63 - 1 rounds past int64
        intervals = max(points, 2) - 1
        steps = np.unique(
            np.asarray(
                [k * end // intervals for k in range(intervals + 1)], dtype=np.int64
            )
        )
        # a population: every member's rates in one call, a row each
        rates = np.asarray(drawn(steps), dtype=np.float64).reshape(len(members), -1)
        if normalise:
            rates = rates / np.asarray([[m.scale] for m in members])
        if log:  # a rate of 0 has no place on a log axis: leave a gap
            rates = np.where(rates > 0, rates, np.nan)
        scale = 1.0 / end if normalise else 1.0
        for member_rates, label in zip(rates, labels, strict=True):
            color = colors[count % len(colors)]
            count += 1
            ax.plot(steps * scale, member_rates, color=color, label=label, lw=1.6)
        if isinstance(drawn, Population):
            continue  # one curve per member: phase marks would crowd the plot
        for step, what in phase_lines(drawn):
            ax.axvline(step * scale, color=color, linestyle=":", linewidth=1, zorder=1)
            marks.setdefault(row, []).append((step * scale, what, color))
    for row, row_marks in marks.items():
        ax = axes[row][0]
        low, high = ax.get_xlim()
        for x, text, color in _phase_marks(row_marks, high - low):
            ax.annotate(  # above the plotting area: never across a curve
                text,
                (x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3),
                textcoords="offset points",
                rotation=90,
                va="bottom",
                ha="center",
                fontsize=7,
                color=color,
                annotation_clip=False,
            )
    for (ax,) in axes:
        if log:
            ax.set_yscale("log")
        if normalise:
            ax.set_xlabel("step / the schedule's num_steps")
            ax.set_ylabel("rate / the schedule's largest rate")
        else:
            ax.set_xlabel("step")
            ax.xaxis.set_major_formatter(FuncFormatter(step_label))
            ax.set_ylabel("learning rate")
        ax.grid(True, alpha=0.3)
        ax.legend(  # below the plotting area: never over a curve
            fontsize=8,
            loc="upper left",
            bbox_to_anchor=(0.0, -0.16 if not panels else -0.2),
            ncol=1 if count < 3 or panels else 2,
            frameon=False,
        )
    fig.tight_layout()
    return fig


def _short(source: str) -> str:
    text = source.strip()
    if not text.startswith("{"):
        return Path(text).name  # a file: its name is label enough
    return text if len(text) <= 40 else text[:37] + "..."


def cmd_check(args: argparse.Namespace) -> int:
    from .testing import available_backends, backend_disagreements

    population = _members(args.config, args.num_steps)
    if population is not None:  # member by member, in one vectorised call
        schedule: BaseLR | Population = population
    else:
        schedule, notes = _load(args.config, args.num_steps)
        for note in notes:
            print(f"note: {note}")
    backends = args.backends or available_backends()
    try:
        report = backend_disagreements(schedule, backends=backends)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    print(f"{schedule!r}")
    print(
        "largest disagreement with NumPy float64, in units of the agreement bound "
        "(<= 1 passes)"
    )
    print()
    header = ("backend", "steps", "result", "worst step", "x bound", "ok")
    cells = []
    for d in report:
        steps = d.steps_dtype if not d.requested else f"{d.requested}->{d.steps_dtype}"
        step = "" if math.isnan(d.step) else f"{int(d.step):,}"
        ok = "yes" if d.ok else "NO"
        cells.append((d.backend, steps, d.dtype, step, f"{d.ratio:.3f}", ok))
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(6)]
    for row in [header, *cells]:
        left = "  ".join(row[i].ljust(widths[i]) for i in range(3))
        right = "  ".join(row[i].rjust(widths[i]) for i in range(3, 5))
        print(f"  {left}  {right}  {row[5]}")
    if any(d.requested for d in report):
        print()
        print(
            "a->b: steps of dtype a were given and the backend holds them as b "
            "(JAX without jax_enable_x64\nholds 64-bit steps as 32-bit; set "
            "JAX_ENABLE_X64=1 to check float64 on JAX)."
        )
    print()
    print(
        "float32-step rows cover steps below 2**24 = 16,777,216, where float32 "
        "holds every step;\ninteger-step rows cover every step (phase edges and "
        "cycles are found in integers)."
    )
    broken = [d for d in report if not d.ok]
    if broken:
        print()
        for d in broken:
            print(f"broken: {d}")
        return 1
    return 0


def steps_arg(text: str) -> int:
    """``--num-steps``: an integer, also written as ``1e6`` or ``1_000_000``."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of steps: {text!r}") from None
    if not (math.isfinite(number) and number == int(number)):
        raise argparse.ArgumentTypeError(f"not a whole number of steps: {text!r}")
    return int(number)


class _Parser(argparse.ArgumentParser):
    """argparse, its errors one line (``arraylr show: error: ...``) as every other
    error of the command is; ``--help`` gives the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="arraylr",
        description="See, plot and check a learning-rate schedule config.",
    )
    parser.add_argument("--version", action="version", version=f"arraylr {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    config_help = (
        "schedule config: JSON/YAML file, inline JSON, or a DeePMD-kit training input"
    )

    show = sub.add_parser(
        "show", help="resolved parameters and learning rates at meaningful steps"
    )
    show.add_argument("config", help=config_help)
    show.add_argument(
        "--num-steps", type=steps_arg, help="override the number of steps"
    )
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="DeePMD-kit input: the rates each of N parallel workers trains at under "
        "its learning_rate.scale_by_worker rule (linear, the default: x N; sqrt: "
        "x sqrt(N); none: x 1)",
    )
    show.set_defaults(func=cmd_show)

    plot = sub.add_parser("plot", help="PNG of one or several schedules (matplotlib)")
    plot.add_argument("config", nargs="+", help=config_help)
    plot.add_argument(
        "--num-steps", type=steps_arg, help="override the number of steps"
    )
    plot.add_argument("--log", action="store_true", help="logarithmic y axis")
    plot.add_argument(
        "-o",
        "--output",
        default="schedule.png",
        help="PNG file (default: schedule.png)",
    )
    plot.add_argument("--points", type=int, default=2000, help="points per curve")
    plot.add_argument(
        "--sweep",
        action="append",
        type=sweep_arg,
        metavar="NAME=V1,V2,...",
        help="one curve per value of a parameter (a population, evaluated in one "
        "call); repeat for every combination of several parameters",
    )
    layout = plot.add_mutually_exclusive_group()
    layout.add_argument(
        "--normalise",
        action="store_true",
        help="steps as the fraction of each schedule's num_steps, rates as the "
        "fraction of its largest rate (compare the shapes of schedules of "
        "different lengths and sizes)",
    )
    layout.add_argument(
        "--panels", action="store_true", help="one panel per schedule, stacked"
    )
    plot.set_defaults(func=cmd_plot)

    check = sub.add_parser(
        "check",
        help="evaluate on every installed backend and "
        "compare with the agreement bounds",
    )
    check.add_argument("config", help=config_help)
    check.add_argument(
        "--num-steps", type=steps_arg, help="override the number of steps"
    )
    check.add_argument(
        "--backends",
        nargs="+",
        metavar="NAME",
        help="backends to check (default: every installed one)",
    )
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "points", 2) < 2:
            raise CLIError(f"--points must be >= 2, got --points {args.points}")
        return int(args.func(args))
    except CLIError as exc:
        print(f"arraylr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (OverflowError, RecursionError, MemoryError) as exc:  # a safety net
        what = type(exc).__name__
        print(f"arraylr {args.command}: error: {what}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
