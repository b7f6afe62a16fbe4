"""Time arraylr against its peers, case by case, in one run on one machine.

    python benchmarks/run.py            # full run (a few minutes)
    python benchmarks/run.py --quick    # under a minute: smaller arrays, fewer repeats

Cases (each peer runs only where installed; ratios are taken within the run):

* ``scalar``: one Python-int step, ``lr(step)`` per call, as a training loop does:
  arraylr, a bare Python function holding the same formula, the reference
  (DeePMD-kit's ``deepmd.dpmodel.utils.learning_rate``), PyTorch's ``LambdaLR``
  stepping an optimizer, and an optax schedule called with an int;
* ``numpy``: N int64 steps to float64 on NumPy: arraylr, the reference, and the
  fastest hand-written NumPy for the formula (in-place ufuncs, masks for the
  phases); peak extra memory (tracemalloc) in units of the output's size;
* ``torch``: the same on PyTorch CPU tensors;
* ``jax``: N int32 steps under ``jax.jit`` (float32): arraylr, the reference's
  array-API code and optax's schedules;
* ``sweep``: time per call against the number of steps (0-d, 1, 10, ... 1e7) for
  NumPy and PyTorch CPU, arraylr beside the hand-written code and the reference,
  for cosine and the stepped exp; ``--plot FILE`` draws it on log-log axes;
* ``npscalar``: one NumPy integer step (``np.int64``, as ``np.arange`` yields),
  arraylr beside the hand-written formula on a 0-d array and the reference;
* ``scheduler``: ``scheduler.step()`` on an SGD optimizer: ``ScheduleLR`` (float
  and tensor ``lr``) beside torch's ``CosineAnnealingLR`` and ``LambdaLR``;
* ``busy``: 10**6 steps on PyTorch CPU at torch's default threads while a
  background process keeps one core busy, arraylr beside the hand-written code.

The printed table gives the median time and ``x arraylr`` (peer time / arraylr
time: above 1 means arraylr is faster).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("JAX_PLATFORMS", "cpu")

from benchmarks import baselines, cases, harness, report  # noqa: E402
from benchmarks.cases import CASES  # noqa: E402
from benchmarks.harness import Row  # noqa: E402

__all__ = ["baselines", "cases", "harness", "main", "report"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="arraylr benchmarks")
    parser.add_argument("--quick", action="store_true", help="under a minute")
    parser.add_argument("--n", type=int, default=None, help="steps per array case")
    parser.add_argument(
        "--cases", nargs="+", choices=sorted(CASES), default=list(CASES)
    )
    parser.add_argument("-o", "--output", help="also write the table to this file")
    parser.add_argument(
        "--plot", help="draw the size sweep (log-log) into this image file"
    )
    parser.add_argument(
        "--rst",
        help="also write the tables as reStructuredText list-tables to this file "
        "(docs/performance_tables.inc, included by the Performance page)",
    )
    args = parser.parse_args(argv)
    n = args.n or (1_000_000 if args.quick else 10_000_000)
    rows: list[Row] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peers' own warnings (the reference under JAX)
        for name in args.cases:
            rows += CASES[name](n, args.quick)
    text = report.table(rows, n)
    condensed = report.sweep_table(rows)
    if condensed:
        text += "\n\nSize sweep:\n\n" + condensed
    print(text)
    if args.plot:
        report.plot_sweep(rows, args.plot)
    if args.output:
        Path(args.output).write_text(text + "\n")
    if args.rst:
        Path(args.rst).write_text(report.rst_tables(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
