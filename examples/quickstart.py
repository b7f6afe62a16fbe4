"""Show what a schedule config means: its resolved parameters and a table of
learning rates at meaningful steps, evaluated once as an array.

    python examples/quickstart.py [CONFIG] [--num-steps N]

CONFIG is a JSON/YAML schedule config, inline JSON, or a DeePMD-kit training
input (default: examples/deepmd_input.json).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

import arraylr


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].replace("\n", " ")
    )
    default = Path(__file__).with_name("deepmd_input.json")
    parser.add_argument("config", nargs="?", default=str(default))
    parser.add_argument("--num-steps", type=int, default=None)
    args = parser.parse_args()

    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always", arraylr.ConfigNote)
        schedule = arraylr.load_config(args.config, num_steps=args.num_steps)
    print(schedule)
    for note in notes:
        print(f"note: {note.message}")
    print()
    for name, value in schedule.describe().items():
        print(f"  {name:<20} {value}")

    n, w = schedule.num_steps, schedule.warmup_steps
    steps = np.unique(
        np.array(
            [0, w // 2, w, w + (n - w) // 4, w + (n - w) // 2, w + 3 * (n - w) // 4, n]
        )
    )
    values = schedule(steps)  # one array evaluation, float64
    print(f"\n  {'step':>10}  learning rate")
    for step, value in zip(steps.tolist(), values.tolist(), strict=True):
        print(f"  {step:>10}  {value:.6e}")


if __name__ == "__main__":
    main()
