"""The arraylr command, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arraylr import BaseLR
from arraylr.cli import main, milestones

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEEPMD = str(EXAMPLES / "deepmd_input.json")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_deepmd_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", DEEPMD)
    assert code == 0 and err == ""
    assert "LearningRateExp (type 'exp')" in out
    assert "decay_rate       0.9499576398  (derived)" in out
    assert "warmup_steps     1000\n" in out
    lines = {
        line.split()[-1]: line.split() for line in out.splitlines() if "e-" in line
    }
    assert "1000000" in out and "end" in lines
    assert float(lines["end"][1]) == pytest.approx(3.657158e-08, rel=1e-6)


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", DEEPMD, "--num-steps", "4000", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["type"] == "exp"
    # what the input says (and the command line), nothing the reader filled in
    assert data["config"] == {
        "type": "exp",
        "start_lr": 0.001,
        "stop_lr": 3.51e-08,
        "decay_steps": 5000,
        "warmup_steps": 1000,
        "num_steps": 4000,
    }
    assert data["resolved"]["decay_steps"] == 100  # 5000 >= T = 3000: adjusted
    assert data["derived"]["decay_steps"] == 100
    assert data["defaults"] == {"warmup_type": "linear", "smooth": False}
    steps = [m["step"] for m in data["milestones"]]
    assert steps[0] == 0 and steps[-1] == 4000 and 1000 in steps
    lr = BaseLR(**data["schedule"])
    for m in data["milestones"]:
        assert m["learning_rate"] == pytest.approx(lr(m["step"]), rel=0, abs=5e-19)


def test_show_says_what_the_file_says(capsys: pytest.CaptureFixture[str]) -> None:
    # examples/cosine.yaml sets warmup_ratio, stop_lr_ratio and warmup_start_factor
    pytest.importorskip("yaml")
    code, out, _ = run(capsys, "show", str(EXAMPLES / "cosine.yaml"))
    assert code == 0
    assert "warmup_steps     5000  (derived)\n" in out  # from warmup_ratio, not 0
    assert "exponent         1  (default)\n" in out
    assert "warmup_type      linear  (default)\n" in out
    assert "stop_lr          1e-05  (derived)\n" in out
    assert "num_steps        100000\n" in out  # as the file says it
    assert "config says" not in out
    code, out, _ = run(capsys, "show", str(EXAMPLES / "cosine.yaml"), "--json")
    data = json.loads(out)
    assert data["config"] == {
        "type": "cosine",
        "start_lr": 1e-3,
        "stop_lr_ratio": 0.01,
        "num_steps": 100000,
        "warmup_ratio": 0.05,
        "warmup_start_factor": 0.1,
    }
    assert data["defaults"] == {"warmup_type": "linear", "exponent": 1.0}
    assert set(data["derived"]) == {
        "stop_lr",
        "warmup_steps",
        "warmup_start_lr",
        "decay_num_steps",
        "lr_min_factor",
    }
    assert BaseLR(**data["schedule"]) == BaseLR(**data["config"])


def test_show_notes_deepmd_trainer_keys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = json.loads(Path(DEEPMD).read_text())
    config["learning_rate"]["scale_by_worker"] = "sqrt"
    path = tmp_path / "input.json"
    path.write_text(json.dumps(config))
    code, out, _ = run(capsys, "show", str(path))
    assert code == 0
    assert "note: " in out and "scale_by_worker='sqrt'" in out


def test_show_wsd_milestones() -> None:
    lr = BaseLR(type="wsd", start_lr=1.0, stop_lr=0.1, num_steps=1000, warmup_steps=100)
    marks = dict(milestones(lr))
    assert marks[0] == "start" and marks[100] == "end of warmup"
    assert marks[100 + lr.stable_steps] == "start of decay phase"
    assert marks[1000] == "end"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "missing.json"], "missing.json: no such config file"),
        (["show", '{"type": "exp",, }'], "malformed JSON at line 1 column 16"),
        (
            ["show", '{"type": "cosin", "start_lr": 1, "stop_lr": 0, "num_steps": 3}'],
            "unknown schedule type='cosin'; did you mean 'cosine'?",
        ),
        (
            ["show", '{"type": "exp", "start_lr": -1, "stop_lr": 0, "num_steps": 3}'],
            "start_lr must be > 0, got start_lr=-1",
        ),
        (
            ["check", '{"type": "exp", "start_lr": 1, "stop_lr": 0}'],
            "missing key 'num_steps'",
        ),
        (
            ["plot", DEEPMD, '{"decay_step": 1, "start_lr": 1, "num_steps": 2}'],
            "'decay_step'; did you mean 'decay_steps'?",
        ),
        (["check", DEEPMD, "--backends", "tensorflow"], "unknown backend 'tensorflow'"),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"arraylr {argv[0]}: error: ")
    assert message in err


def test_plot_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "lr.png"
    code, out, _ = run(
        capsys, "plot", DEEPMD, str(EXAMPLES / "cosine.yaml"), "--log", "-o", str(png)
    )
    assert code == 0 and f"wrote {png}" in out
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_plot_without_matplotlib(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run(capsys, "plot", DEEPMD, "-o", str(tmp_path / "x.png"))
    assert code == 2
    assert "needs matplotlib: pip install matplotlib" in err


def test_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", DEEPMD, "--num-steps", "50000")
    assert code == 0
    rows = {
        tuple(line.split()[:3]) for line in out.splitlines() if line.startswith("  ")
    }
    assert ("numpy", "int64", "float64") in rows
    assert ("jax_jit", "float32", "float32") in rows  # checked under jax.jit too
    assert " NO" not in out


def test_check_fails_on_broken_bound(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    import test_testing  # registers the deliberately inconsistent schedules

    assert test_testing.TorchDrift.type_name == "test-torch-drift"
    config = '{"type": "test-torch-drift", "start_lr": 0.001, "num_steps": 1000}'
    code, out, _ = run(capsys, "check", config, "--backends", "numpy", "torch")
    assert code == 1
    assert "broken: backend 'torch'" in out


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arraylr", "show", DEEPMD, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["resolved"]["warmup_steps"] == 1000
    bad = subprocess.run(
        [sys.executable, "-m", "arraylr", "show", "nope.json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "arraylr show: error: nope.json: no such config file"


def test_output_piped_into_head() -> None:
    done = subprocess.run(
        f"{sys.executable} -m arraylr show {DEEPMD} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout == "LearningRateExp (type 'exp')\n"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_plot_points_below_two_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    config = '{"type": "cosine", "start_lr": 1e-3, "stop_lr": 0, "num_steps": 10}'
    assert main(["plot", config, "--points", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["arraylr plot: error: --points must be >= 2, got --points 0"]


def test_show_explains_the_last_stair(capsys: pytest.CaptureFixture[str]) -> None:
    config = (
        '{"type": "exp", "start_lr": 1e-3, "stop_lr": 3.51e-8, "num_steps": 10500, '
        '"decay_steps": 1000}'
    )
    assert main(["show", config]) == 0
    out = capsys.readouterr().out
    assert "note: the rate at the end (step 10500) is" in out
    assert "10 whole stairs" in out
    smooth = config.replace('"decay_steps"', '"smooth": true, "decay_steps"')
    assert main(["show", smooth]) == 0
    assert "whole stairs" not in capsys.readouterr().out


def test_step_labels_and_merged_phase_marks() -> None:
    from arraylr.cli import _phase_marks, step_label

    assert [step_label(v) for v in (0, 500, 20_000, 1_500_000, 2e9)] == [
        "0",
        "500",
        "20k",
        "1.5M",
        "2B",
    ]
    marks = [
        (1000, "end of warmup", "a"),
        (5000, "end of warmup", "b"),
        (9e5, "x", "a"),
    ]
    assert _phase_marks(marks, span=1e6) == [
        (1000, "end of warmup", "0.25"),  # marks of two schedules: grey
        (9e5, "x", "a"),
    ]
    many = [(i, f"restart {i}", "a") for i in range(1, 6)]
    assert _phase_marks(many, span=1000) == [
        (1, "restart 1 / restart 2 (+3 more)", "a")
    ]
    close = [(10, "end of warmup", "a"), (11, "peak", "b")]
    assert _phase_marks(close, span=100) == [(10, "end of warmup / peak", "0.25")]
    same = [(10, "end of warmup", "a"), (11, "peak", "a")]
    assert _phase_marks(same, span=100) == [(10, "end of warmup / peak", "a")]


@pytest.mark.parametrize("layout", ["plain", "normalise", "panels", "log"])
def test_plot_labels_never_cross_curves(layout: str) -> None:
    # phase labels above each plotting area, apart from each other; legends
    # below it; --normalise scales rates as well as steps
    pytest.importorskip("matplotlib")
    from arraylr.cli import draw

    wsd = BaseLR(
        type="wsd", start_lr=1e-3, stop_lr=1e-5, num_steps=100_000, warmup_steps=5000
    )
    cosine = BaseLR(
        type="cosine", start_lr=2.0, stop_lr=0.0, num_steps=40_000, warmup_steps=4000
    )
    restarts = BaseLR(
        type="cosine_restarts", start_lr=1.0, stop_lr=0.0, num_steps=1000, period=100
    )
    fig = draw(
        [(wsd, ["wsd: a.json"]), (cosine, ["cosine: b.json"]), (restarts, ["c"])],
        normalise=layout == "normalise",
        panels=layout == "panels",
        log=layout == "log",
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        area = ax.get_window_extent(renderer)
        labels = [t.get_window_extent(renderer) for t in ax.texts]
        assert labels
        for box in labels:
            assert box.y0 >= area.y1, "a phase label inside the plotting area"
        for i, box in enumerate(labels):
            for other in labels[i + 1 :]:
                assert not box.overlaps(other), "phase labels print over each other"
        legend = ax.get_legend().get_window_extent(renderer)
        assert legend.y1 <= area.y0, "the legend covers the plotting area"
        if layout == "normalise":
            peaks = [np.nanmax(line.get_ydata()) for line in ax.get_lines()[:1]]
            assert peaks == [pytest.approx(1.0)]
    # each schedule its own colour (all three were drawn in one: the colour
    # counter was reused for the number of sample points)
    curves = [
        line for ax in fig.axes for line in ax.get_lines() if line.get_label()[0] != "_"
    ]
    assert len(curves) == 3
    assert len({line.get_color() for line in curves}) == 3
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.parametrize("layout", [[], ["--normalise"], ["--panels"], ["--log"]])
def test_plot_layouts(tmp_path: Path, layout: list[str]) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "lr.png"
    zero_start = (
        '{"type": "cosine", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 1000, '
        '"warmup_steps": 10}'
    )
    assert main(["plot", DEEPMD, zero_start, *layout, "-o", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_plot_sweep_one_curve_per_member(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plt = pytest.importorskip("matplotlib.pyplot")

    config = '{"type": "cosine", "start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 1000}'
    out = tmp_path / "sweep.png"
    shown: list[list[tuple[str, object]]] = []
    original = plt.Figure.savefig

    def keep(fig: object, *args: object, **kwargs: object) -> object:
        lines = fig.axes[0].lines  # type: ignore[attr-defined]
        shown.append([(line.get_label(), line.get_ydata()) for line in lines])
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(plt.Figure, "savefig", keep)
    code = main(["plot", config, "--sweep", "start_lr=1e-4,3e-4,1e-3", "-o", str(out)])
    assert code == 0 and out.stat().st_size > 0
    labels = [label for label, _ in shown[0]]
    assert labels == [f"cosine: start_lr={v}" for v in (1e-4, 3e-4, 1e-3)]
    assert [float(y[0]) for _, y in shown[0]] == [1e-4, 3e-4, 1e-3]  # type: ignore[index]
    population = tmp_path / "pop.json"
    population.write_text(
        '{"type": "population", "members": [' + config + ", " + config + "]}"
    )
    assert main(["plot", str(population), "-o", str(out)]) == 0
    assert [label for label, _ in shown[1]] == ["member 0", "member 1"]
    with pytest.raises(SystemExit):
        main(["plot", config, "--sweep", "start_lr", "-o", str(out)])
    assert "NAME=V1,V2" in capsys.readouterr().err
    assert main(["plot", config, "--sweep", "stop_lrr=1,2", "-o", str(out)]) == 2
    assert "stop_lrr" in capsys.readouterr().err
