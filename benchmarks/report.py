"""The benchmark report: the machine, the tables (every row, and the size sweep
condensed), and the plot of the sweep."""

from __future__ import annotations

import importlib
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

from .baselines import have
from .harness import Row

ZERO_D_X = 0.2
"""Where the plot puts the 0-d point (left of one step, on the log axis)."""


def plot_sweep(rows: list[Row], path: str) -> None:
    """Time per call against the number of steps, log-log: a grid of panels, two
    a row (one per library and schedule), each with its own legend, readable at
    the width of a README (about 900 pixels)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r.case, r.schedule) for r in rows if r.case.startswith("sweep")})
    if not panels:
        return
    columns = min(2, len(panels))
    lines = -(-len(panels) // columns)
    fig, axes = plt.subplots(
        lines,
        columns,
        figsize=(4.6 * columns, 3.5 * lines),
        dpi=100,
        squeeze=False,
    )
    styles = {"arraylr": "-o", "hand-written": "--s", "reference": ":^"}
    for ax, (case, schedule) in zip(axes.flat, panels, strict=False):
        here = [r for r in rows if (r.case, r.schedule) == (case, schedule)]
        for impl in dict.fromkeys(r.impl for r in here):
            points = sorted(
                (r.extra["size"] or ZERO_D_X, r.seconds) for r in here if r.impl == impl
            )
            style = next(v for k, v in styles.items() if impl.startswith(k))
            ax.loglog(
                [p[0] for p in points],
                [p[1] for p in points],
                style,
                label=impl.split(" (")[0],  # hand-written numpy / torch, by panel
                markersize=5,
                linewidth=1.6,
            )
        library = case.split()[1]
        ax.set_title(f"{schedule} on {'NumPy' if library == 'numpy' else 'PyTorch'}")
        ax.set_xlabel("steps per call")
        ax.set_ylabel("seconds per call")
        ticks = [ZERO_D_X, 1, 10**2, 10**4, 10**6]
        ax.set_xticks(ticks, ["0-d", "1", "100", "10k", "1M"])
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=9, loc="upper left")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle("Time per call: arraylr, hand-written code, the reference")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for mod in ("torch", "jax", "optax", "deepmd"):
        if have(mod):
            module = importlib.import_module(mod)
            versions.append(f"{mod} {getattr(module, '__version__', '?')}")
    return f"{cpu}, {os.cpu_count()} cores; " + ", ".join(versions)


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return (
            f"{seconds * 1e9:,.0f} ns" if seconds < 1e-6 else f"{seconds * 1e6:,.1f} us"
        )
    return f"{seconds * 1e3:,.1f} ms"


def table(rows: list[Row], n: int) -> str:
    lines = [
        f"Machine: {machine()}",
        f"Array cases: {n:,} steps. "
        "`x arraylr` = time / arraylr's time in the same run.",
        "",
        "| case | schedule | implementation | median | x arraylr | memory / note |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    base: dict[tuple[str, str, Any], float] = {}
    for row in rows:  # the first arraylr row of a case is its unit
        if row.impl.startswith("arraylr"):
            base.setdefault(
                (row.case, row.schedule, row.extra.get("size")), row.seconds
            )
    for row in rows:
        size = row.extra.get("size")
        ref = base.get((row.case, row.schedule, size))
        ratio = f"{row.seconds / ref:.2f}" if ref else ""
        peak = f"{row.extra['peak']:.2f} x output" if "peak" in row.extra else ""
        case = row.case
        if size is not None:
            case += f" ({'0-d' if size == 0 else f'{int(size):,}'})"
        lines.append(
            f"| {case} | {row.schedule} | {row.impl} | "
            f"{fmt_time(row.seconds)} | {ratio} | {peak or row.note} |"
        )
    return "\n".join(lines)


def sweep_table(rows: list[Row]) -> str:
    """The size sweep condensed, one line per library, schedule and size (the
    README's table): arraylr's time, and each peer's with its ratio to it."""
    sweep = [r for r in rows if r.case.startswith("sweep ")]
    if not sweep:
        return ""
    lines = [
        "| library | schedule | steps | arraylr | hand-written (x arraylr) "
        "| reference (x arraylr) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    cells: dict[tuple[str, str, float], dict[str, float]] = {}
    for row in sweep:
        key = (row.case.removeprefix("sweep "), row.schedule, row.extra["size"])
        impl = row.impl.split(" ")[0]  # arraylr, hand-written, reference
        cells.setdefault(key, {})[impl] = row.seconds
    for (library, schedule, size), found in cells.items():
        ours = found["arraylr"]
        peers = [
            f"{fmt_time(found[p])} ({found[p] / ours:.2f})" if p in found else ""
            for p in ("hand-written", "reference")
        ]
        steps = "0-d" if size == 0 else f"{int(size):,}"
        lines.append(
            f"| {library} | {schedule} | {steps} | {fmt_time(ours)} | "
            f"{peers[0]} | {peers[1]} |"
        )
    return "\n".join(lines)


def rst_tables(text: str) -> str:
    """The Markdown tables of a report as reStructuredText list-tables (the
    documentation's Performance page includes them); other lines are kept as
    paragraphs, empty cells shown as a dash."""
    out: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if not rows:
            return
        width = len(rows[0])
        out.extend([".. list-table::", "   :header-rows: 1", ""])
        for row in rows:
            cells = [c if c else "–" for c in row] + ["–"] * (width - len(row))
            out.append(f"   * - {cells[0]}")
            out.extend(f"     - {c}" for c in cells[1:])
        out.append("")
        rows.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):  # not the rule line
                rows.append([c.replace("`", "``") if "`" in c else c for c in cells])
            continue
        flush()
        out.append(line.replace("`", "``"))
    flush()
    return "\n".join(out).strip() + "\n"
