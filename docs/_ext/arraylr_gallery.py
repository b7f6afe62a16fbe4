"""Build-time pages made from the library itself: the gallery (one plot per
registered schedule type, phases marked, formula next to it) and the CLI
reference (the argparse help of every command)."""

from __future__ import annotations

import inspect
import os
import pprint
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from make_images import examples  # noqa: E402

from arraylr import BaseLR, Population  # noqa: E402
from arraylr.cli import build_parser, phase_lines, step_label  # noqa: E402

OUT = HERE / "generated"


def _formula(cls: type) -> str:
    """The class docstring's text up to its Parameters section (formula included)."""
    # a lone backslash-newline joins two lines; a double backslash ends a LaTeX row
    doc = inspect.cleandoc(re.sub(r"(?<!\\)\\\n", "", cls.__doc__ or ""))
    body = re.split(r"\n(?:Parameters|Attributes|Examples)\n-{3,}\n", doc)[0]
    return body.split("\n", 1)[1].strip() if "\n" in body else ""


def _plot(name: str, lr: BaseLR, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    total = max(lr.num_steps, 1)
    steps = np.linspace(0, total, 2001)
    fig, ax = plt.subplots(figsize=(6.4, 3.0), dpi=100)
    for step, label in phase_lines(lr):
        ax.axvline(step, color="0.6", lw=0.8, ls=":", zorder=1)
        ax.annotate(
            label,
            (step, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -10),
            textcoords="offset points",
            fontsize=7,
            color="0.35",
            rotation=90,
            va="top",
            zorder=3,
            bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.5},
        )
    ax.plot(steps, lr(steps), lw=1.8, color="#1f6feb", zorder=2)
    ax.xaxis.set_major_formatter(step_label)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(f"type={name!r}", fontsize=10, family="monospace")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def gallery_entry(name: str, config: dict[str, Any], images: Path) -> list[str]:
    """The gallery's section of one type: its plot (written into ``images``),
    its config and its formula."""
    lr = BaseLR(**config)
    _plot(name, lr, images / f"{name}.png")
    cls = BaseLR.registered_types()[name]
    title = f"``{name}``: :class:`~arraylr.{cls.__name__}`"
    lines = [title, "-" * len(title), ""]
    lines += [f".. image:: gallery/{name}.png", f"   :alt: the {name} schedule", ""]
    lines += ["Config::", ""]
    shown = pprint.pformat(lr.to_dict(), width=76, sort_dicts=False)
    lines += ["   " + line for line in shown.split("\n")] + [""]
    return [*lines, _formula(cls), ""]


def summary(cls: type) -> str:
    """The first sentence of a class's docstring."""
    first = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    return " ".join(first.split())


def api_entries() -> list[str]:
    """The API reference of every registered schedule class, and a table of
    the types (``generated/schedules.inc``, included by api.rst): generated
    from the registry, so a new type is documented without an edit here."""
    registered = sorted(BaseLR.registered_types().items())
    lines = [
        ".. list-table:: The registered schedule types",
        "   :header-rows: 1",
        "   :widths: 20 30 50",
        "",
        "   * - ``type``",
        "     - class",
        "     - what it is",
    ]
    for name, cls in registered:
        lines += [
            f"   * - ``{name}``",
            f"     - :class:`~{_public(cls)}`",
            f"     - {summary(cls)}",
        ]
    lines.append("")
    for _, cls in registered:
        lines.append(f".. autoclass:: {_public(cls)}")
        # public methods of its own (those BaseLR documents are listed there)
        own = [
            n
            for n, v in vars(cls).items()
            if not n.startswith("_") and callable(v) and not hasattr(BaseLR, n)
        ]
        if own:
            lines.append(f"   :members: {', '.join(own)}")
    return [*lines, ""]


def _public(cls: type) -> str:
    """Where users import a class from: ``arraylr`` for the package's own."""
    import arraylr

    if getattr(arraylr, cls.__name__, None) is cls:
        return f"arraylr.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _gallery() -> None:
    images = OUT / "gallery"
    images.mkdir(parents=True, exist_ok=True)
    lines = [
        "Gallery",
        "=======",
        "",
        "Every registered schedule type, drawn by the library while these pages",
        "were built, with its phase boundaries dotted and its formula from the",
        "class docstring. Each config is the one its class declares as an example.",
        "",
    ]
    for name, config in examples().items():  # every type (one without: an error)
        lines += gallery_entry(name, config, images)
    lines += _population(images)
    (OUT / "gallery.rst").write_text("\n".join(lines) + "\n")
    (OUT / "schedules.inc").write_text("\n".join(api_entries()) + "\n")


POPULATION = {
    "config": {"type": "cosine", "stop_lr": 1e-4, "num_steps": 200},
    "start_lr": [0.05, 0.1, 0.2, 0.4] * 2,
    "warmup_steps": [0] * 4 + [20] * 4,
}
"""The guide's population (eight cosine schedules: four peaks, two warmups)."""


def _population(images: Path) -> list[str]:
    """A population's rates, drawn from one call: one curve per member."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    population = Population.sweep(
        POPULATION["config"],
        start_lr=POPULATION["start_lr"],
        warmup_steps=POPULATION["warmup_steps"],
    )
    steps = np.arange(201)
    rates = population(steps)  # (8, 201): every member in one call
    fig, ax = plt.subplots(figsize=(6.4, 3.0), dpi=100)
    for member, row in zip(population, rates, strict=True):
        style = "-" if member.warmup_steps == 0 else "--"
        label = f"start_lr={member.start_lr:g}, warmup_steps={member.warmup_steps}"
        ax.plot(steps, row, style, lw=1.4, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title("Population of 8 cosine schedules", fontsize=10)
    ax.legend(fontsize=6, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(images / "population.png")
    plt.close(fig)
    config = pprint.pformat(POPULATION, width=76, sort_dicts=False)
    return [
        "Populations: :class:`~arraylr.Population`",
        "------------------------------------------",
        "",
        ".. image:: gallery/population.png",
        "   :alt: eight cosine schedules of a population",
        "",
        "The population of the user guide's JAX example (``Population.sweep`` of",
        "this config), its rates computed in one call::",
        "",
        *("   " + line for line in config.split("\n")),
        "",
    ]


def _cli() -> None:
    os.environ["COLUMNS"] = "76"  # argparse wraps the help to fit the page's box
    parser = build_parser()
    lines = [
        "Command line",
        "============",
        "",
        "``arraylr`` (also ``python -m arraylr``); the help below is the",
        "program's own.",
        "",
        ".. code-block:: text",
        "",
    ]
    lines += ["   " + x for x in parser.format_help().splitlines()] + [""]
    sub = next(
        a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"
    )
    for name, command in sub.choices.items():  # type: ignore[attr-defined]
        title = f"``arraylr {name}``"
        lines += [title, "-" * len(title), "", ".. code-block:: text", ""]
        lines += ["   " + x for x in command.format_help().splitlines()] + [""]
    (OUT / "cli.rst").write_text("\n".join(lines) + "\n")


def _generate(app: Any) -> None:
    OUT.mkdir(exist_ok=True)
    _gallery()
    _cli()


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _generate)
    return {"parallel_read_safe": True, "version": "1"}
