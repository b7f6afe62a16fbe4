"""Fit a linear model on synthetic data with PyTorch, the learning rate from an
arraylr config, a tensor learning rate and a compiled optimizer step.

    python examples/torch_train.py [CONFIG] [--compile]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch

from arraylr import load_config
from arraylr.torch import ScheduleLR


class _QuietProfilerNote(logging.Filter):
    """torch.compile of ``Optimizer.step`` logs once that it skips the
    optimizer's profiler hook (``record_function``): harmless, so not printed.
    Every other message of torch.compile is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Profiler record function")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].replace("\n", " ")
    )
    parser.add_argument(
        "config", nargs="?", default=str(Path(__file__).with_name("train_config.json"))
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the step")
    args = parser.parse_args()

    schedule = load_config(args.config)
    torch.manual_seed(0)
    true_w = torch.randn(8, 1)
    x = torch.randn(512, 8)
    y = x @ true_w + 0.01 * torch.randn(512, 1)

    model = torch.nn.Linear(8, 1)
    # a tensor lr is updated in place by ScheduleLR: a compiled step never recompiles
    optimizer = torch.optim.Adam(model.parameters(), lr=torch.tensor(schedule.start_lr))
    scheduler = ScheduleLR(optimizer, schedule)

    def opt_step() -> None:
        optimizer.step()

    if args.compile:
        logger = logging.getLogger("torch._dynamo.variables.ctx_manager")
        logger.addFilter(_QuietProfilerNote())
    step_fn = torch.compile(opt_step) if args.compile else opt_step
    for step in range(schedule.num_steps):
        lr = scheduler.get_last_lr()[0]  # the rate this step trains with
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        step_fn()
        scheduler.step()
        if step % 50 == 0 or step == schedule.num_steps - 1:
            print(f"step {step:4d}  lr {lr:.3e}  loss {loss.item():.5f}")
    print(f"final loss {loss.item():.5f}")


if __name__ == "__main__":
    main()
