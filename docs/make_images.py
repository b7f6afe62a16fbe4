"""Draw the README's picture of the schedule family: ``docs/images/schedules.png``.

    python docs/make_images.py            # rewrite the image
    python docs/make_images.py --check    # exit 1 if the image is stale

Each built-in schedule type is drawn from one example config, on a shared axis of
the fraction of the run, with its phase boundaries marked.  The PNG carries a
hash of the configs and of the rates it shows (``arraylr-data`` in its metadata),
so ``--check`` (and tests/test_docs.py) can tell, without comparing pixels, that
the picture still shows what the library computes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from arraylr import BaseLR  # noqa: E402

IMAGE = ROOT / "docs" / "images" / "schedules.png"
N = 10_000
EXAMPLES: dict[str, dict[str, object]] = {
    "exp": {"start_lr": 1.0, "stop_lr": 0.01, "decay_steps": 500, "warmup_steps": 500},
    "cosine": {"start_lr": 1.0, "stop_lr": 0.01, "warmup_steps": 500},
    "wsd": {"start_lr": 1.0, "stop_lr": 0.01, "warmup_steps": 500, "decay_phase_ratio": 0.2},
    "constant": {"start_lr": 1.0, "warmup_steps": 500},
    "linear": {"start_lr": 1.0, "stop_lr": 0.0},
    "polynomial": {"start_lr": 1.0, "stop_lr": 0.0, "power": 2.0},
    "piecewise": {"start_lr": 1.0, "boundaries": [3000, 6000, 8000], "factors": [0.5, 0.5, 0.5]},
    "inverse_sqrt": {"start_lr": 1.0, "warmup_steps": 500},
    "inverse_time": {"start_lr": 1.0, "decay_steps": 500, "decay_rate": 1.0, "staircase": True, "warmup_steps": 500},
    "cosine_restarts": {"start_lr": 1.0, "stop_lr": 0.0, "period": 1000, "period_mult": 2, "peak_decay": 0.8},
    "onecycle": {"start_lr": 1.0, "pct_start": 0.3},
    "cyclic": {"start_lr": 0.1, "max_lr": 1.0, "step_size_up": 1000, "step_size_down": 1500, "mode": "triangular2"},
    "sequence": {
        "boundaries": [2000],
        "schedules": [
            {"type": "linear", "start_lr": 0.1, "stop_lr": 1.0},
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.05, "num_steps": 8000},
        ],
    },
    "product": {
        "schedules": [
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "warmup_steps": 500},
            {"type": "piecewise", "start_lr": 1.0, "boundaries": [4000, 7000], "factors": [0.5, 0.5]},
        ],
    },
}  # fmt: skip


def schedules() -> dict[str, BaseLR]:
    out = {}
    for name, params in EXAMPLES.items():
        config = {"type": name, **params}
        if name != "sequence":
            config["num_steps"] = N
        out[name] = BaseLR(**config)
    return out


def data_hash(found: dict[str, BaseLR]) -> str:
    """A hash of every config and of its rates at the drawn steps (rounded)."""
    steps = np.arange(0, N + 1, 10)
    digest = hashlib.sha256()
    for schedule in found.values():
        digest.update(json.dumps(schedule.to_dict(), sort_keys=True).encode())
        digest.update(np.round(schedule(steps), 9).tobytes())
    return digest.hexdigest()[:16]


def draw(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = schedules()
    rows = -(-len(found) // 4)
    fig, axes = plt.subplots(rows, 4, figsize=(11, 2.1 * rows), dpi=100, sharex=True)
    steps = np.arange(0, N + 1, 10)
    for ax, (name, schedule) in zip(axes.flat, found.items(), strict=False):
        ax.plot(steps / N, schedule(steps), color="#1f6feb", linewidth=1.6)
        for step, _label in schedule.phases():
            if 0 < step < N:
                ax.axvline(step / N, color="0.6", linestyle=":", linewidth=0.9)
        ax.set_title(name, fontsize=10, family="monospace")
        ax.set_ylim(-0.05, 1.1)
        ax.grid(True, alpha=0.25)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(found) :]:
        ax.axis("off")
    fig.supxlabel("fraction of num_steps", fontsize=9)
    fig.supylabel("learning rate / start_lr", fontsize=9)
    fig.suptitle("arraylr's schedule types (dotted: phase boundaries)", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"arraylr-data": data_hash(found)})
    plt.close(fig)


def stored_hash(path: Path) -> str | None:
    from PIL import Image

    with Image.open(path) as image:
        return image.info.get("arraylr-data")  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if stale")
    args = parser.parse_args(argv)
    if args.check:
        expected = data_hash(schedules())
        found = stored_hash(IMAGE) if IMAGE.exists() else None
        if found != expected:
            print(
                f"{IMAGE.relative_to(ROOT)} is stale (holds {found}, the library "
                f"gives {expected}): run python docs/make_images.py"
            )
            return 1
        return 0
    draw(IMAGE)
    print(f"wrote {IMAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
