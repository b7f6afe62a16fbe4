"""The ``arraylr`` command: show, plot and check a schedule before training with it.

Every subcommand takes configs the way :func:`arraylr.load_config` does (a JSON or
YAML file, inline JSON, or a DeePMD-kit training input) and ``--num-steps`` to
override the length.  Errors print one line and exit with status 2; ``check``
exits with status 1 when a backend breaks an agreement bound (docs/semantics.rst).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .base import BaseLR
from .config import ConfigNote, load_config

__all__ = ["main", "milestones"]


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
    part = "run" if schedule.type_name == "cyclic" else "decay"
    for quarter in (1, 2, 3):
        marks.setdefault(w + quarter * t // 4, f"{part} {quarter}/4")
    return sorted(marks.items())


def phase_lines(schedule: BaseLR) -> list[tuple[int, str]]:
    """Phase boundaries to mark on a plot (the end is the plot's edge)."""
    return [(s, label) for s, label in schedule.phases() if s != schedule.num_steps]


def _load(source: str, num_steps: int | None) -> tuple[BaseLR, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigNote)
        try:
            schedule = load_config(source, num_steps=num_steps)
        except (TypeError, ValueError) as exc:
            raise CLIError(str(exc)) from None
    notes = [str(w.message) for w in caught if issubclass(w.category, ConfigNote)]
    return schedule, notes


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
    if schedule.type_name == "exp" and not getattr(schedule, "smooth", True):
        stairs = schedule.decay_num_steps // getattr(schedule, "decay_steps", 1)
        return [
            f"the rate at the end (step {schedule.num_steps}) is {end:.4g}, not "
            f"stop_lr={stop:.4g}: a stepped exp has taken {stairs} whole stairs of "
            "decay_steps by then (the last stair would reach stop_lr); smooth=true "
            "ends at stop_lr"
        ]
    return []


def cmd_show(args: argparse.Namespace) -> int:
    schedule, notes = _load(args.config, args.num_steps)
    notes += _end_notes(schedule)
    points = milestones(schedule)
    steps = np.array([s for s, _ in points], dtype=np.int64)
    rates = schedule(steps).tolist()
    if args.json:
        payload = {
            "type": schedule.type_name,
            "config": schedule.to_dict(),
            "resolved": schedule.describe(),
            "notes": notes,
            "milestones": [
                {"step": s, "label": label, "learning_rate": r}
                for (s, label), r in zip(points, rates, strict=True)
            ],
        }
        try:
            text = json.dumps(payload, indent=2, allow_nan=False)
        except ValueError as exc:  # a non-finite number: not JSON
            raise CLIError(f"cannot write JSON: {exc}") from None
        print(text)
        return 0
    print(f"{type(schedule).__name__} (type {schedule.type_name!r})")
    for note in notes:
        print(f"note: {note}")
    print()
    resolved = schedule.describe()
    given = schedule.to_dict()
    width = max(map(len, resolved)) + 2
    for key, value in resolved.items():
        origin = "" if key in given else "  (derived)"
        if key in given and given[key] != value:
            origin = f"  (derived; config says {given[key]!r})"
        print(f"  {key:<{width}}{_value_text(value)}{origin}")
    print()
    print(f"  {'step':>12}  {'learning rate':<14}  milestone")
    for (step, label), rate in zip(points, rates, strict=True):
        print(f"  {step:>12}  {rate:<14.6e}  {label}")
    return 0


def step_label(value: float, _pos: Any = None) -> str:
    """A step count as people write it on an axis: 500, 20k, 1.5M, 2B."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _phase_marks(
    axes_marks: list[tuple[float, str, str]], span: float
) -> list[tuple[float, str, str]]:
    """Phase marks with the labels of marks closer than 2% of the axis merged,
    so that labels never print over each other."""
    merged: list[tuple[float, str, str]] = []
    for x, text, color in sorted(axes_marks):
        if merged and x - merged[-1][0] < 0.02 * span:
            px, ptext, pcolor = merged[-1]
            if text not in ptext.split(" / "):
                merged[-1] = (px, f"{ptext} / {text}", pcolor)
            continue
        merged.append((x, text, color))
    return merged


def cmd_plot(args: argparse.Namespace) -> int:
    loaded = [(src, *_load(src, args.num_steps)) for src in args.config]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        raise CLIError(
            "arraylr plot needs matplotlib: pip install 'arraylr[plot]'"
        ) from None
    panels = args.panels and len(loaded) > 1
    fig, axes = plt.subplots(
        len(loaded) if panels else 1,
        1,
        figsize=(8, 3.2 * len(loaded) if panels else 4.5),
        dpi=120,
        squeeze=False,
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    marks: dict[int, list[tuple[float, str, str]]] = {}
    for i, (source, schedule, notes) in enumerate(loaded):
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        ax = axes[i if panels else 0][0]
        end = max(schedule.num_steps, 1)
        # in Python ints: a float64 linspace to 2**63 - 1 rounds past int64
        count = max(args.points, 2) - 1
        steps = np.unique(
            np.asarray([k * end // count for k in range(count + 1)], dtype=np.int64)
        )
        rates = np.asarray(schedule(steps), dtype=np.float64)
        if args.log:  # a rate of 0 has no place on a log axis: leave a gap
            rates = np.where(rates > 0, rates, np.nan)
        scale = 1.0 / end if args.normalise else 1.0
        color = colors[i % len(colors)]
        label = f"{schedule.type_name}: {_short(source)}"
        ax.plot(steps * scale, rates, color=color, label=label, linewidth=1.6)
        for step, what in phase_lines(schedule):
            ax.axvline(step * scale, color=color, linestyle=":", linewidth=1, zorder=1)
            marks.setdefault(i if panels else 0, []).append((step * scale, what, color))
    for row, row_marks in marks.items():
        ax = axes[row][0]
        low, high = ax.get_xlim()
        for x, text, color in _phase_marks(row_marks, high - low):
            ax.annotate(
                text,
                (x, 0.98),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color=color,
                zorder=5,  # drawn over the curves, not under them
            )
    for (ax,) in axes:
        if args.log:
            ax.set_yscale("log")
        if args.normalise:
            ax.set_xlabel("fraction of each schedule's num_steps")
        else:
            ax.set_xlabel("step")
            ax.xaxis.set_major_formatter(FuncFormatter(step_label))
        ax.set_ylabel("learning rate")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower left" if not args.log else "best")
    fig.tight_layout()
    try:
        fig.savefig(args.output)
    except OSError as exc:
        raise CLIError(f"cannot write {args.output}: {exc.strerror}") from None
    except ValueError as exc:  # an unknown image format, from the suffix
        raise CLIError(f"cannot write {args.output}: {exc}") from None
    finally:
        plt.close(fig)
    print(f"wrote {args.output}")
    return 0


def _short(source: str) -> str:
    text = source.strip()
    if not text.startswith("{"):
        return Path(text).name  # a file: its name is label enough
    return text if len(text) <= 40 else text[:37] + "..."


def cmd_check(args: argparse.Namespace) -> int:
    from .testing import available_backends, backend_disagreements

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arraylr",
        description="See, plot and check a learning-rate schedule config.",
    )
    parser.add_argument("--version", action="version", version=f"arraylr {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
    layout = plot.add_mutually_exclusive_group()
    layout.add_argument(
        "--normalise",
        action="store_true",
        help="x axis as the fraction of each schedule's num_steps (compare "
        "schedules of different lengths)",
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
