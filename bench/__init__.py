"""Benchmarks of the ThingsCloud integration (``scripts/bench``; not part of the tests).

Runs the integration inside a Home Assistant test instance against the simulator's generated
scenario, served by a separate simulator process over loopback with injected latency, and
prints what polling, real-time updates, rate limits and the energy backfill cost. See
``python -m bench --help`` and the docstring of ``bench/run.py``.
"""
