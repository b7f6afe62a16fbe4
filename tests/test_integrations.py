"""Schedules driving real optimizers: torch.optim (ScheduleLR, tensor lr,
torch.compile) and optax (jit compiles once, the right lr at every step)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arraylr import BaseLR, load_config

F32 = 8 * float(np.finfo(np.float32).eps) * 1e-2  # SPEC float32 bound, S = 1e-2
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CONFIG = {
    "type": "cosine",
    "start_lr": 1e-2,
    "stop_lr": 1e-4,
    "num_steps": 40,
    "warmup_steps": 5,
    "warmup_start_factor": 0.1,
}


class TestTorch:
    torch = pytest.importorskip("torch")

    def make(self, lr: Any, **kwargs: Any) -> tuple[Any, Any]:
        torch = self.torch
        model = torch.nn.Linear(4, 1)
        groups = [
            {"params": [model.weight]},
            {
                "params": [model.bias],
                "lr": lr * 0.1
                if not isinstance(lr, torch.Tensor)
                else torch.tensor(float(lr) * 0.1),
            },
        ]
        return model, torch.optim.Adam(groups, lr=lr, **kwargs)

    def test_float_lr_follows_schedule_and_ratio(self) -> None:
        from arraylr.torch import ScheduleLR

        schedule = BaseLR(**CONFIG)
        _, opt = self.make(1e-2)
        sched = ScheduleLR(opt, schedule, scale_by_initial_lr=True)
        assert opt.param_groups[0]["lr"] == schedule(0)
        for step in range(1, 45):
            opt.step()
            sched.step()
            assert opt.param_groups[0]["lr"] == schedule(step)
            assert opt.param_groups[1]["lr"] == pytest.approx(
                0.1 * schedule(step), rel=1e-15
            )
            assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]

    def test_resume_continues_exactly(self) -> None:
        from arraylr.torch import ScheduleLR

        schedule = BaseLR(**CONFIG)
        _, opt = self.make(1e-2)
        sched = ScheduleLR(opt, schedule)
        for _ in range(17):
            opt.step()
            sched.step()
        saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
        assert saved_sched["last_epoch"] == 17

        _, opt2 = self.make(1e-2)
        opt2.load_state_dict(saved_opt)
        sched2 = ScheduleLR(opt2, BaseLR(**CONFIG))
        sched2.load_state_dict(saved_sched)
        for step in range(18, 30):
            opt.step()
            sched.step()
            opt2.step()
            sched2.step()
            assert sched2.last_epoch == step
            assert (
                opt2.param_groups[0]["lr"]
                == opt.param_groups[0]["lr"]
                == schedule(step)
            )

    def test_tensor_lr_updated_in_place_without_recompiling(self) -> None:
        torch = self.torch
        from torch._dynamo.testing import CompileCounter

        from arraylr.torch import ScheduleLR

        torch._dynamo.reset()
        schedule = BaseLR(**CONFIG)
        model, opt = self.make(torch.tensor(1e-2))
        sched = ScheduleLR(opt, schedule, scale_by_initial_lr=True)
        tensors = [g["lr"] for g in opt.param_groups]
        counter = CompileCounter()

        @torch.compile(backend=counter)
        def opt_step() -> None:
            opt.step()

        x = torch.randn(16, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            for step in range(1, 41):
                opt.zero_grad()
                model(x).pow(2).mean().backward()
                opt_step()
                sched.step()
                assert [g["lr"] for g in opt.param_groups] == tensors  # same objects
                assert all(
                    g["lr"] is t for g, t in zip(opt.param_groups, tensors, strict=True)
                )
                assert float(tensors[0]) == pytest.approx(
                    schedule(step), rel=0, abs=F32
                )
                assert float(tensors[1]) == pytest.approx(
                    0.1 * schedule(step), rel=0, abs=F32
                )
        assert counter.frame_count == 1  # compiled once, whatever the lr did
        assert sched.get_last_lr()[0] == schedule(40)

    def test_assign_lr_on_device_and_compiled(self) -> None:
        torch = self.torch
        from arraylr.torch import ScheduleLR, assign_lr_

        schedule = BaseLR(**CONFIG)
        _, opt = self.make(torch.tensor(1e-2))
        ScheduleLR(opt, schedule, scale_by_initial_lr=True)  # records initial_lr
        counter = torch.zeros((), dtype=torch.int64)
        compiled = torch.compile(assign_lr_, fullgraph=True)
        for step in range(0, 40, 3):
            counter.fill_(step)
            compiled(opt, schedule, counter, scale_by_initial_lr=True)
            assert float(opt.param_groups[0]["lr"]) == pytest.approx(
                schedule(step), rel=0, abs=F32
            )
            assert float(opt.param_groups[1]["lr"]) == pytest.approx(
                0.1 * schedule(step), rel=0, abs=F32
            )

    def test_errors(self) -> None:
        torch = self.torch
        from arraylr.torch import ScheduleLR, assign_lr_

        _, opt = self.make(1e-2)
        with pytest.raises(TypeError, match="schedule must be an arraylr schedule"):
            ScheduleLR(opt, lambda s: 1.0)  # type: ignore[arg-type]
        with pytest.raises(
            TypeError, match="optimizer must be a torch.optim.Optimizer"
        ):
            ScheduleLR(object(), BaseLR(**CONFIG))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"param_groups\[0\]\['lr'\] is float"):
            assign_lr_(opt, BaseLR(**CONFIG), torch.tensor(3))


class TestOptax:
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")

    def test_schedule_is_an_optax_schedule(self) -> None:
        jax, optax = self.jax, self.optax
        import jax.numpy as jnp

        schedule = BaseLR(**CONFIG)
        opt = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule)
        params = {"w": jnp.ones(3)}
        state = opt.init(params)
        traces = []

        @jax.jit
        def update(p: Any, s: Any) -> Any:
            traces.append(1)
            grads = {"w": jnp.ones(3)}
            updates, s = opt.update(grads, s, p)
            return optax.apply_updates(p, updates), s

        w = np.ones(3)
        bound = 8 * float(np.finfo(np.float32).eps) * schedule.start_lr
        for step in range(40):
            params, state = update(params, state)
            # the state records the rate this update used: schedule(step)
            lr = float(state.hyperparams["learning_rate"])
            assert lr == pytest.approx(schedule(step), rel=0, abs=bound)
            w = w - schedule(step)
            np.testing.assert_allclose(np.asarray(params["w"]), w, rtol=1e-5)
        assert len(traces) == 1

    def test_adam_and_static_argument(self) -> None:
        jax, optax = self.jax, self.optax
        import jax.numpy as jnp

        schedule = BaseLR(**CONFIG)
        opt = optax.adam(learning_rate=schedule)
        state = opt.init(jnp.zeros(2))
        updates, _ = jax.jit(opt.update)(jnp.ones(2), state)
        assert np.all(np.isfinite(np.asarray(updates)))

        lr_at = jax.jit(lambda step, sched: sched(step), static_argnums=1)
        assert float(lr_at(jnp.asarray(7), schedule)) == pytest.approx(
            schedule(7), rel=1e-6
        )
        same = BaseLR(**CONFIG)  # equal and hashable: reuses the compiled function
        assert float(lr_at(jnp.asarray(7), same)) == pytest.approx(
            schedule(7), rel=1e-6
        )
        assert lr_at._cache_size() == 1


@pytest.mark.parametrize(
    ("script", "needs", "flags"),
    [
        ("torch_train.py", "torch", []),
        ("torch_train.py", "torch", ["--compile"]),
        ("jax_train.py", "optax", []),
    ],
)
def test_training_examples_run(script: str, needs: str, flags: list[str]) -> None:
    pytest.importorskip(needs)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *flags],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Profiler" not in done.stderr  # torch.compile's note about its hook
    lines = done.stdout.splitlines()
    schedule = load_config(EXAMPLES / "train_config.json")
    first = next(ln for ln in lines if ln.startswith("step    0"))
    assert float(first.split()[3]) == pytest.approx(schedule(0), rel=1e-3)
    assert float(lines[-1 if needs == "torch" else -2].split()[-1]) < 1e-3  # it learned
