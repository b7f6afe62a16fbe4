"""Agreement with the reference implementation (DeePMD-kit 3.x), where installed.

SPEC: exp, cosine and wsd give the reference's numbers, so a DeePMD-kit config
trains with the same learning rate here.  Negative steps are excluded: the
reference extrapolates its warmup line below zero, arraylr clamps to step 0.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arraylr import BaseLR
from arraylr.testing.strategies import configs

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    reference = pytest.importorskip("deepmd.dpmodel.utils.learning_rate")

EPS64 = float(np.finfo(np.float64).eps)


@given(st.data())
def test_matches_reference(data: st.DataObject) -> None:
    # only what DeePMD-kit has: linear warmup, plain cosine (no exponent), its
    # three wsd decays, a ratio (DeePMD-kit ignores keys it does not know, so an
    # arraylr-only parameter would compare two different schedules)
    config = data.draw(
        st.sampled_from(["exp", "cosine", "wsd"])
        .flatmap(
            lambda name: configs(
                name,
                warmup_type=st.none(),
                exponent=st.none(),
                decay_phase_steps=st.none(),
                decay_phase_ratio=st.floats(1e-6, 1.0),
                decay_type=st.sampled_from(["inverse_linear", "cosine", "linear"]),
            )
        )
        # DeePMD-kit's wsd needs stop_lr > 0 for every decay type
        .filter(lambda c: c["type"] != "wsd" or BaseLR(**c).stop_lr > 0)
    )
    ours = BaseLR(**config)
    ref = reference.BaseLR(**config)
    for name in ("stop_lr", "warmup_steps", "warmup_start_lr", "decay_num_steps"):
        assert getattr(ours, name) == getattr(ref, name), name
    if config["type"] == "exp":
        assert ours.decay_steps == ref.decay_steps  # type: ignore[attr-defined]
        assert ours.decay_rate == ref.decay_rate  # type: ignore[attr-defined]
    top = 2 * ours.num_steps + 10
    steps = np.asarray(
        data.draw(st.lists(st.integers(0, top), min_size=1, max_size=50))
        + [0, ours.warmup_steps, ours.num_steps, top],
        dtype=np.int64,
    )
    bound = 4 * EPS64 * max(ours.start_lr, ours.warmup_start_lr)
    np.testing.assert_allclose(ours(steps), ref.value(steps), rtol=0, atol=bound)
    for step in steps[:10].tolist():
        assert abs(ours(step) - ref.value(step)) <= bound
