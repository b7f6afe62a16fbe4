"""The registry is the one list of types: a new type is its module and one
import line, and every registry-driven suite picks it up.

The proof, as a contributor would make it: a copy of the package with a
throwaway type added (``families/halving.py`` and a line in
``families/__init__.py``, nothing else), and this suite's registry-driven
tests run against the copy.  They run the new type and pass; with its array
path broken (NumPy's ``exp`` where the formula should use the namespace's),
the suites that evaluate arrays fail (NumPy's ``exp``, 0.1% off, in place of
the namespace's: wrong on every backend, and not an array of the step's
library on PyTorch or JAX).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from arraylr import BaseLR
from arraylr._roles import shipped

from conftest import TYPES

ROOT = Path(__file__).resolve().parents[1]

HALVING = textwrap.dedent(
    '''
    r"""Smooth halving: ``type="halving"`` (a throwaway type of the tests)."""

    from __future__ import annotations

    import math
    from typing import Any

    import numpy as np

    from .._roles import SHARED_EDGES
    from .._scalar import SCALAR, Namespace
    from .._validation import check_int
    from ..base import BaseLR, WarmupType

    __all__ = ["LearningRateHalving"]


    @BaseLR.register("halving")
    class LearningRateHalving(BaseLR):
        r"""The rate halves every ``period`` steps of the decay phase.

        .. math::

            \\eta(d) = \\eta_0\\, 2^{-d / P}

        Parameters
        ----------
        start_lr, num_steps, warmup_steps, warmup_ratio, warmup_start_factor
            See :class:`~arraylr.BaseLR`.
        warmup_type
            See :class:`~arraylr.BaseLR`.
        period : int, optional
            :math:`P \\ge 1`, the steps over which the rate halves (default 100).

        Examples
        --------
        >>> from arraylr import BaseLR
        >>> BaseLR(type="halving", start_lr=1.0, num_steps=100, period=10)(20)
        0.25
        """

        _propagates_nan = True
        _derived = ("period",)
        _example = {"start_lr": 1.0, "num_steps": 10_000, "period": 1000,
                    "warmup_steps": 500}
        _edges = SHARED_EDGES
        _differentiable = ("start_lr",)

        def __init__(
            self,
            start_lr: float,
            num_steps: int,
            period: int = 100,
            warmup_steps: int = 0,
            warmup_ratio: float | None = None,
            warmup_start_factor: float = 0.0,
            warmup_type: WarmupType | None = None,
        ) -> None:
            super().__init__(
                start_lr, num_steps, stop_lr=0.0, warmup_steps=warmup_steps,
                warmup_ratio=warmup_ratio, warmup_start_factor=warmup_start_factor,
                warmup_type=warmup_type,
            )
            self.period = check_int("period", period, minimum=1)
            self._slope = -math.log(2.0) / self.period
            self._settle()

        @classmethod
        def _derive(cls, p: dict[str, Any], s: Any, xp: Namespace) -> dict[str, Any]:
            return cls._base_values(p, s, 0.0)

        @property
        def final_lr(self) -> float:
            return 0.0

        def _decay_value(self, step: Any, xp: Namespace) -> Any:
            return self.start_lr * xp.exp(step * self._slope)
    '''
)
BROKEN = """if xp is not SCALAR:  # the array path, broken: NumPy's exp, 0.1% off
            return self.start_lr * np.exp(step * (1.001 * self._slope))
        return self.start_lr * xp.exp(step * self._slope)"""

# the registry-driven suites, as a contributor's type meets them
FILES = [
    "tests/test_agreement.py",
    "tests/test_population.py",
    "tests/test_testing.py",
    "tests/test_docs.py",
    "tests/test_deepmd_plugin.py",
    "tests/test_torch_compile.py",
]
SELECT = "(halving and not jax_x64 and not dask) or every_type_cold"
"""The new type's tests (JAX with x64 and Dask left out for time: the same
suites run them for every type in the main run)."""


def _package_with_halving(tmp: Path, broken: bool) -> Path:
    """A copy of ``src/arraylr`` with the halving type: its module and one
    import line (and its name in ``__all__``), as ARCHITECTURE.md says."""
    src = tmp / "src"
    shutil.copytree(
        ROOT / "src" / "arraylr",
        src / "arraylr",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    module = HALVING
    if broken:
        module = module.replace(
            "return self.start_lr * xp.exp(step * self._slope)", BROKEN
        )
    (src / "arraylr" / "families" / "halving.py").write_text(module)
    init = src / "arraylr" / "families" / "__init__.py"
    text = init.read_text()
    text = text.replace(
        "from .exponential import",
        "from .halving import LearningRateHalving\nfrom .exponential import",
    )
    text = text.replace("__all__ = [\n", '__all__ = [\n    "LearningRateHalving",\n')
    init.write_text(text)
    return src


def _run(tmp: Path, broken: bool) -> dict[str, dict[str, int]]:
    """Run the registry-driven tests against the copy; per file, how many of
    the selected tests passed and failed."""
    src = _package_with_halving(tmp, broken)
    report = tmp / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOTHESIS")}
    env.update(PYTHONPATH=str(src), JAX_PLATFORMS="cpu")
    if broken:  # failures as found, not shrunk: only that they fail matters
        env["HYPOTHESIS_PROFILE"] = "noshrink"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-k", SELECT, f"--junitxml={report}", *FILES]
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
    )
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    counts: dict[str, dict[str, int]] = {f: {"passed": 0, "failed": 0} for f in FILES}
    for case in ET.parse(report).getroot().iter("testcase"):
        path = "tests/" + case.get("classname", "").split(".")[-1] + ".py"
        outcome = (
            "failed"
            if case.find("failure") is not None or case.find("error") is not None
            else "skipped"
            if case.find("skipped") is not None
            else "passed"
        )
        if path in counts and outcome != "skipped":
            counts[path][outcome] += 1
    counts["(output)"] = {"tail": done.stdout[-2000:]}  # type: ignore[dict-item]
    return counts


def test_a_new_type_is_its_module_and_every_suite_runs_it(tmp_path: Path) -> None:
    pytest.importorskip("torch")  # the suites that evaluate arrays need both
    pytest.importorskip("jax")
    assert "halving" not in TYPES  # the copy's type, not this package's
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:  # the two runs side by side (2 cores)
        runs = [
            pool.submit(_run, tmp_path / k, k == "broken") for k in ("good", "broken")
        ]
        good, broken = (run.result() for run in runs)
    output = good.pop("(output)")
    for path, outcome in good.items():
        assert outcome["passed"] > 0, (path, output)
        assert outcome["failed"] == 0, (path, output)
    output = broken.pop("(output)")
    # the suites that evaluate arrays find the broken array path; drawing
    # configs and plotting them do not evaluate it against anything
    for path in FILES:
        if path not in ("tests/test_testing.py", "tests/test_docs.py"):
            assert broken[path]["failed"] > 0, (path, broken, output)


def test_the_copy_adds_one_module_and_one_import(tmp_path: Path) -> None:
    # the files a new type touches in the package: its module, and the
    # families package's import line (and __all__ entry)
    src = _package_with_halving(tmp_path, broken=False)
    changed = []
    for path in sorted((src / "arraylr").rglob("*.py")):
        original = ROOT / "src" / path.relative_to(src)
        if not original.exists() or original.read_text() != path.read_text():
            changed.append(str(path.relative_to(src)))
    assert changed == ["arraylr/families/__init__.py", "arraylr/families/halving.py"]
    added = re.findall(r"Halving", (src / "arraylr/families/__init__.py").read_text())
    assert len(added) == 2


def test_registry_lists_every_class_the_package_exports() -> None:
    import arraylr

    exported = {
        name
        for name in arraylr.__all__
        if isinstance(getattr(arraylr, name), type)
        and issubclass(getattr(arraylr, name), BaseLR)
        and getattr(arraylr, name) is not BaseLR
    }
    registered = {  # the package's own (tests and doctests register others)
        cls.__name__ for cls in BaseLR.registered_types().values() if shipped(cls)
    }
    assert exported == registered
