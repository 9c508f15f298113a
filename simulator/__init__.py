"""A stateful simulator of the ThingsCloud project HTTP API (for tests, benchmarks, demos)."""

from .app import create_app
from .faults import FAULT_KINDS, Fault, FaultRegistry
from .routes import ROUTE_NAMES, ROUTES
from .scenarios import demo_state, generated_state
from .state import SimulatorState
from .testing import RunningSimulator, start_simulator

__all__ = [
    "FAULT_KINDS",
    "ROUTES",
    "ROUTE_NAMES",
    "Fault",
    "FaultRegistry",
    "RunningSimulator",
    "SimulatorState",
    "create_app",
    "demo_state",
    "generated_state",
    "start_simulator",
]
