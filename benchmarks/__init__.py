"""arraylr's benchmark runner: ``python benchmarks/run.py`` (see run.py)."""
