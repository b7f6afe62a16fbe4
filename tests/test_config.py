"""Registry, construction from dicts, to_dict round trips and config files."""

from __future__ import annotations

import copy
import json
import pickle
import warnings
from pathlib import Path
from typing import Any

import pytest

from arraylr import (
    BaseLR,
    ConfigNote,
    LearningRateCosine,
    LearningRateExp,
    LearningRateWSD,
    load_config,
    make_learning_rate_schedule,
)

EXP = {
    "type": "exp",
    "start_lr": 1e-3,
    "stop_lr": 1e-5,
    "num_steps": 10000,
    "decay_steps": 500,
    "warmup_steps": 100,
}


class TestDispatch:
    @pytest.mark.parametrize(
        ("name", "cls"),
        [
            ("exp", LearningRateExp),
            ("cosine", LearningRateCosine),
            ("wsd", LearningRateWSD),
        ],
    )
    def test_type_dispatch(self, name: str, cls: type) -> None:
        lr = BaseLR(type=name, start_lr=1.0, stop_lr=0.1, num_steps=10)
        assert type(lr) is cls
        assert cls.type_name == name
        assert BaseLR.registered_types()[name] is cls

    def test_make_defaults_to_exp_and_keeps_params(self) -> None:
        params = {"start_lr": 1e-3, "stop_lr": 1e-5, "num_steps": 5, "_comment": "x"}
        before = copy.deepcopy(params)
        lr = make_learning_rate_schedule(params, 20000)
        assert isinstance(lr, LearningRateExp)
        assert lr.num_steps == 20000
        assert params == before

    def test_make_rejects_non_mapping(self) -> None:
        with pytest.raises(TypeError, match="params must be a mapping"):
            make_learning_rate_schedule([("start_lr", 1.0)], 10)  # type: ignore[arg-type]


class TestRegistry:
    def test_custom_schedule(self) -> None:
        @BaseLR.register("test-halving")
        class Halving(BaseLR):
            _propagates_nan = True

            def __init__(
                self, start_lr: float, num_steps: int, period: int = 10, **kwargs: Any
            ) -> None:
                super().__init__(start_lr, num_steps, stop_lr=0.0, **kwargs)
                self.period = period

            def _decay_value(self, step: Any, xp: Any) -> Any:
                return self.start_lr * 0.5 ** xp.floor_divide(step, self.period)

        lr = BaseLR(
            type="test-halving", start_lr=1.0, num_steps=100, period=5, warmup_steps=10
        )
        assert isinstance(lr, Halving)
        assert lr(5) == 0.5 and lr(10) == 1.0 and lr(25) == 0.125
        assert lr.to_dict() == {
            "type": "test-halving",
            "start_lr": 1.0,
            "num_steps": 100,
            "period": 5,
            "warmup_steps": 10,
        }
        assert BaseLR(**lr.to_dict()) == lr
        with pytest.raises(TypeError, match="'perio'; did you mean 'period'"):
            BaseLR(type="test-halving", start_lr=1.0, num_steps=100, perio=5)
        with pytest.raises(
            TypeError, match="'warmup_step'; did you mean 'warmup_steps'"
        ):
            BaseLR(type="test-halving", start_lr=1.0, num_steps=100, warmup_step=5)

    def test_name_taken(self) -> None:
        with pytest.raises(ValueError, match="'exp' is already registered"):

            @BaseLR.register("exp")
            class Other(LearningRateCosine):
                pass

    def test_register_needs_schedule(self) -> None:
        with pytest.raises(TypeError, match="decorates BaseLR subclasses"):
            BaseLR.register("x")(dict)  # type: ignore[type-var]
        with pytest.raises(TypeError, match="name=''"):
            BaseLR.register("")

    def test_unregistered_subclass_has_no_dict(self) -> None:
        class Local(LearningRateCosine):
            pass

        lr = Local(start_lr=1.0, stop_lr=0.0, num_steps=10)
        with pytest.raises(TypeError, match="Local is not registered"):
            lr.to_dict()


class TestIdentity:
    @pytest.mark.parametrize(
        "config",
        [
            EXP,
            {
                **EXP,
                "decay_rate": 0.9,
                "smooth": True,
                "warmup_steps": 0,
                "warmup_ratio": 0.1,
                "warmup_start_factor": 0.2,
            },
            {"type": "cosine", "start_lr": 0.1, "stop_lr_ratio": 0.01, "num_steps": 7},
            {
                "type": "wsd",
                "start_lr": 0.1,
                "stop_lr": 0.001,
                "num_steps": 700,
                "decay_phase_ratio": 0.25,
                "decay_type": "linear",
            },
        ],
    )
    def test_to_dict_round_trip(self, config: dict[str, Any]) -> None:
        lr = BaseLR(**config)
        data = lr.to_dict()
        assert json.loads(json.dumps(data)) == data
        again = BaseLR(**json.loads(json.dumps(data)))
        assert again == lr
        assert hash(again) == hash(lr)
        assert again.describe() == lr.describe()
        for key, value in config.items():
            assert data[key] == value

    def test_to_dict_plain_types(self) -> None:
        import numpy as np

        lr = BaseLR(
            type="cosine",
            start_lr=np.float32(0.5),
            stop_lr=np.float64(0.0),
            num_steps=np.int64(10),
        )
        data = lr.to_dict()
        assert type(data["start_lr"]) is float and type(data["num_steps"]) is int
        assert lr.num_steps == 10 and type(lr.num_steps) is int

    def test_equality(self) -> None:
        a = BaseLR(**EXP)
        assert a == BaseLR(**EXP)
        assert a != BaseLR(**{**EXP, "decay_steps": 501})
        assert a != BaseLR(**{**EXP, "smooth": True})
        cos = BaseLR(type="cosine", start_lr=1.0, stop_lr=0.0, num_steps=10)
        assert cos != BaseLR(type="wsd", start_lr=1.0, stop_lr=0.5, num_steps=10)
        assert cos != "cosine"
        assert len({a, BaseLR(**EXP), cos}) == 2

    def test_repr(self) -> None:
        lr = BaseLR(type="cosine", start_lr=0.1, stop_lr=0.0, num_steps=10)
        text = repr(lr)
        assert text == (
            "LearningRateCosine(start_lr=0.1, num_steps=10, stop_lr=0.0, "
            "warmup_steps=0, warmup_start_factor=0.0)"
        )
        assert eval(text, {"LearningRateCosine": LearningRateCosine}) == lr

    def test_immutable(self) -> None:
        lr = BaseLR(**EXP)
        with pytest.raises(AttributeError, match="immutable"):
            lr.start_lr = 1.0
        with pytest.raises(AttributeError, match="immutable"):
            del lr.start_lr
        assert lr.start_lr == 1e-3

    def test_pickle(self) -> None:
        lr = BaseLR(**EXP)
        again = pickle.loads(pickle.dumps(lr))
        assert again == lr and again(1234) == lr(1234)

    def test_describe(self) -> None:
        lr = BaseLR(**{**EXP, "num_steps": 1000, "decay_steps": 5000})
        info = lr.describe()
        assert info["decay_steps"] == 10  # adjusted: T = 900, 900 // 100 + 1
        assert info["decay_num_steps"] == 900
        assert info["warmup_steps"] == 100
        assert info["min_lr"] == 1e-5
        assert info["decay_rate"] == lr.decay_rate
        json.dumps(info)


DEEPMD_INPUT = {
    "model": {"type_map": ["O", "H"]},
    "learning_rate": {
        "type": "exp",
        "decay_steps": 5000,
        "start_lr": 0.001,
        "stop_lr": 3.51e-8,
        "_comment": "that's all",
    },
    "training": {"numb_steps": 1000000, "seed": 10},
}


class TestLoadConfig:
    def test_dict(self) -> None:
        lr = load_config(
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 4}
        )
        assert lr(2) == pytest.approx(0.5)
        assert load_config(lr) is lr
        assert load_config(lr, num_steps=8)(4) == pytest.approx(0.5)

    def test_num_steps_override(self) -> None:
        lr = load_config(
            {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 4},
            num_steps=10,
        )
        assert lr.num_steps == 10

    def test_json_file(self, tmp_path: Path) -> None:
        path = tmp_path / "lr.json"
        path.write_text(json.dumps(EXP))
        assert load_config(path) == BaseLR(**EXP)
        assert load_config(str(path)) == BaseLR(**EXP)

    def test_yaml_file(self, tmp_path: Path) -> None:
        pytest.importorskip("yaml")
        path = tmp_path / "lr.yaml"
        path.write_text(
            "type: wsd\nstart_lr: 1.0e-3\nstop_lr: 1.0e-5\nnum_steps: 1000\n"
            "decay_type: cosine\n"
        )
        lr = load_config(path)
        assert isinstance(lr, LearningRateWSD) and lr.decay_type == "cosine"

    def test_inline_json(self) -> None:
        lr = load_config(
            ' {"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0, "num_steps": 4}'
        )
        assert isinstance(lr, LearningRateCosine)

    def test_deepmd_input(self, tmp_path: Path) -> None:
        path = tmp_path / "input.json"
        path.write_text(json.dumps(DEEPMD_INPUT))
        lr = load_config(path)
        assert isinstance(lr, LearningRateExp)
        assert lr.num_steps == 1000000 and lr.decay_steps == 5000
        assert lr.stop_lr == 3.51e-8
        assert load_config(DEEPMD_INPUT, num_steps=2000).num_steps == 2000

    def test_deepmd_scale_by_worker_note(self) -> None:
        config = copy.deepcopy(DEEPMD_INPUT)
        config["learning_rate"]["scale_by_worker"] = "linear"  # type: ignore[index]
        with pytest.warns(ConfigNote, match="scale_by_worker='linear'.*does not apply"):
            lr = load_config(config)
        assert lr == load_config(DEEPMD_INPUT)
        config["learning_rate"]["scale_by_worker"] = "none"  # type: ignore[index]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            load_config(config)

    def test_deepmd_missing_steps(self, tmp_path: Path) -> None:
        path = tmp_path / "input.json"
        path.write_text(
            json.dumps({"learning_rate": {"start_lr": 1e-3, "stop_lr": 1e-8}})
        )
        with pytest.raises(
            ValueError, match=r"input\.json: missing key 'training\.numb_steps'"
        ):
            load_config(path)
        assert load_config(path, num_steps=100).num_steps == 100

    def test_missing_keys(self, tmp_path: Path) -> None:
        path = tmp_path / "lr.json"
        path.write_text(json.dumps({"type": "cosine", "stop_lr": 0.0, "num_steps": 3}))
        with pytest.raises(ValueError, match=r"lr\.json: missing key 'start_lr'"):
            load_config(path)
        path.write_text(json.dumps({"type": "cosine", "start_lr": 1.0, "stop_lr": 0.0}))
        with pytest.raises(ValueError, match=r"lr\.json: missing key 'num_steps'"):
            load_config(path)
        with pytest.raises(ValueError, match="missing key 'learning_rate.start_lr'"):
            load_config({"learning_rate": {}, "training": {"numb_steps": 3}})

    def test_malformed_files(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.json"
        bad.write_text('{"type": "exp",, }')
        with pytest.raises(
            ValueError, match=r"bad\.json: malformed JSON at line 1 column 16"
        ):
            load_config(bad)
        with pytest.raises(ValueError, match=r"nope\.json: no such config file"):
            load_config(tmp_path / "nope.json")
        top = tmp_path / "list.json"
        top.write_text("[1, 2]")
        with pytest.raises(
            ValueError, match=r"list\.json: expected a mapping.*got list"
        ):
            load_config(top)
        with pytest.raises(ValueError, match="inline JSON config: malformed JSON"):
            load_config("{not json")
        with pytest.raises(ValueError, match="learning_rate' must be a mapping"):
            load_config({"learning_rate": 3})

    def test_malformed_yaml(self, tmp_path: Path) -> None:
        pytest.importorskip("yaml")
        bad = tmp_path / "bad.yaml"
        bad.write_text("type: [exp\n")
        with pytest.raises(ValueError, match=r"bad\.yaml: malformed YAML"):
            load_config(bad)
        # one line, with the line and column of the problem
        bad.write_text("type: cosine\n  start_lr: 1\n")
        with pytest.raises(ValueError) as info:
            load_config(bad)
        assert str(info.value) == (
            f"{bad}: malformed YAML at line 2 column 11: mapping values are not "
            "allowed here"
        )

    def test_not_a_config_file(self, tmp_path: Path) -> None:
        script = tmp_path / "train.py"
        script.write_text("import torch\n")
        with pytest.raises(ValueError) as info:
            load_config(script)
        message = str(info.value)
        assert message.startswith(f"{script}: not a config: arraylr reads JSON")
        assert "YAML (.yaml, .yml)" in message and "\n" not in message

    def test_bad_parameter_names_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "lr.json"
        path.write_text(json.dumps({**EXP, "decay_step": 10}))
        with pytest.raises(TypeError, match=r"lr\.json: .*'decay_step'; did you mean"):
            load_config(path)
        path.write_text(json.dumps({**EXP, "start_lr": -1}))
        with pytest.raises(
            ValueError, match=r"lr\.json: start_lr must be > 0, got start_lr=-1"
        ):
            load_config(path)
        path.write_text(json.dumps({**EXP, "type": "cosin"}))
        with pytest.raises(
            ValueError, match=r"lr\.json: unknown schedule type='cosin'"
        ):
            load_config(path)

    def test_bad_source(self) -> None:
        with pytest.raises(TypeError, match="source must be"):
            load_config(42)
