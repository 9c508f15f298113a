"""Polling benchmark of the ThingsCloud integration (``scripts/bench``; not part of the tests).

Runs the integration inside a Home Assistant test instance against the simulator's generated
scenario, served by a separate simulator process over loopback with injected latency, and
prints what one steady polling cycle costs. See ``python -m bench --help``.
"""
