"""DTensor (and other tensor subclasses) keep their type at every size: neither
the NumPy route of small CPU tensors nor the blocked route of large ones takes
them.  Two gloo processes on the loopback address shard the steps."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from conftest import examples

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

WORKER = textwrap.dedent(
    """
    import sys
    import torch
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import DTensor, Shard, distribute_tensor
    from arraylr import BaseLR
    from arraylr.testing import torch_operations

    dist.init_process_group("gloo")
    mesh = init_device_mesh("cpu", (dist.get_world_size(),))
    schedules = [
        BaseLR(type="cosine", start_lr=1e-3, stop_lr=1e-5, num_steps=300_000,
               warmup_steps=1000),
        BaseLR(type="exp", start_lr=1e-3, stop_lr=1e-6, num_steps=300_000,
               decay_steps=7000),
    ]
    checked = 0
    # 100: the NumPy route's size; 5,000: one expression; 300,000: blocks
    for n in (100, 5_000, 300_000):
        for dtype in (torch.int64, torch.float32):
            steps = torch.arange(n).to(dtype)
            shard = distribute_tensor(steps, mesh, [Shard(0)])
            for lr in schedules:
                out = lr(shard)
                assert type(out) is DTensor, (n, type(out))
                assert out.placements == shard.placements
                assert out.to_local().shape[0] == n // dist.get_world_size()
                with torch_operations():
                    expected = lr(steps)
                full = out.full_tensor()
                assert full.dtype == expected.dtype
                assert torch.equal(full, expected), (n, dtype, lr)
                plain = lr(steps)  # the plain tensor's own route
                scale = 8 * 2.0**-23 * lr.scale
                assert float((full.double() - plain.double()).abs().max()) <= scale
                checked += 1
    # every registered type, and a population of each (tables, members on
    # the leading axis), as sharded steps of uneven shards
    import json
    configs = json.loads(sys.argv[1])
    from arraylr import Population
    for name, config in configs.items():
        lr = BaseLR(**config)
        other = {**config}
        for key in ("start_lr", "max_lr"):
            if key in other:
                other[key] = other[key] * 0.5
        population = Population([config, other])
        for dtype in (torch.int64, torch.float64):
            steps = torch.linspace(0, 1.3 * lr.num_steps, 101).to(dtype)
            shard = distribute_tensor(steps, mesh, [Shard(0)])
            for f in (lr, population):
                out = f(shard)
                assert type(out) is DTensor, (name, type(out))
                full = out.full_tensor()
                with torch_operations():
                    expected = f(steps)
                assert full.shape == expected.shape, (name, full.shape)
                assert torch.equal(full, expected), (name, dtype)
                checked += 1
    dist.destroy_process_group()
    print("checked", checked)
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed missing")
def test_dtensor_keeps_its_type_at_every_size_on_two_gloo_ranks() -> None:
    port = str(_free_port())
    procs = []
    for rank in range(2):
        env = {
            **os.environ,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": port,
            "RANK": str(rank),
            "WORLD_SIZE": "2",
            "GLOO_SOCKET_IFNAME": "lo",
            "OMP_NUM_THREADS": "1",
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, json.dumps(examples())],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out
        checked = 12 + 4 * len(examples())
        assert out.strip().endswith(f"checked {checked}"), out
