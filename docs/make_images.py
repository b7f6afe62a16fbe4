"""Draw the README's picture of the schedule family: ``docs/images/schedules.png``.

    python docs/make_images.py            # rewrite the image
    python docs/make_images.py --check    # exit 1 if the image is stale

Each registered schedule type is drawn from the example config its class declares
(``_example``), on a shared axis of the fraction of the run, with its phase
boundaries marked.  The PNG carries a
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


def examples(names: list[str] | None = None) -> dict[str, dict[str, object]]:
    """Every registered type's example config (its class's ``_example``), or
    those of ``names``; a type that declares none is an error (the gallery
    shows every type)."""
    found = {}
    registered = BaseLR.registered_types()
    for name in sorted(registered) if names is None else names:
        cls = registered[name]
        config = cls._example_config()
        if config is None:
            raise RuntimeError(f"{cls.__name__} (type={name!r}) declares no _example")
        found[name] = config
    return found


def schedules() -> dict[str, BaseLR]:
    """The gallery's schedules: every registered type's example."""
    return {name: BaseLR(**config) for name, config in examples().items()}


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
