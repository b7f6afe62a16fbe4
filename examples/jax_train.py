"""Fit a linear model on synthetic data with JAX and optax, the learning rate from
the same arraylr config as torch_train.py: the schedule object *is* the optax
schedule, and the jitted update compiles once.

    python examples/jax_train.py [CONFIG]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import optax

from arraylr import load_config


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].replace("\n", " ")
    )
    parser.add_argument(
        "config", nargs="?", default=str(Path(__file__).with_name("train_config.json"))
    )
    args = parser.parse_args()

    schedule = load_config(args.config)
    key_w, key_x, key_n = jax.random.split(jax.random.PRNGKey(0), 3)
    true_w = jax.random.normal(key_w, (8, 1))
    x = jax.random.normal(key_x, (512, 8))
    y = x @ true_w + 0.01 * jax.random.normal(key_n, (512, 1))
    params = {"w": jnp.zeros((8, 1)), "b": jnp.zeros((1,))}

    # inject_hyperparams exposes the learning rate in the optimizer state
    optimizer = optax.inject_hyperparams(optax.adam)(learning_rate=schedule)
    state = optimizer.init(params)

    def loss_fn(p: dict[str, jax.Array]) -> jax.Array:
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    @jax.jit
    def update(p, s):  # type: ignore[no-untyped-def]
        loss, grads = jax.value_and_grad(loss_fn)(p)
        updates, s = optimizer.update(grads, s, p)
        return optax.apply_updates(p, updates), s, loss

    for step in range(schedule.num_steps):
        params, state, loss = update(params, state)
        lr = state.hyperparams["learning_rate"]  # the rate this update used
        if step % 50 == 0 or step == schedule.num_steps - 1:
            print(f"step {step:4d}  lr {float(lr):.3e}  loss {float(loss):.5f}")
    print(f"final loss {float(loss):.5f}")
    print(f"compilations {update._cache_size()}")


if __name__ == "__main__":
    main()
