"""Injected faults (``ServerConfig(faults=...)``): latency, error answers, dropped connections.

They act before anything else — expectations aside — as a flaky network or gateway would,
so a client's retry and timeout handling can be tested against an otherwise real target.
Randomness (``probability``, ``delay_max``) is seeded by the config's seed: a failing run
replays exactly. Each fault can be switched off and on while the server runs (the status
page does); a reset turns every one back on, as configured.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Sequence
from typing import NamedTuple

from .config import Fault
from .errors import FakeHTTPError
from .wsgi import DropConnection

__all__ = ["FaultInjector", "FaultState"]


class FaultState(NamedTuple):
    """One configured fault as it stands: switched on or off, and how often it fired."""

    fault: Fault
    enabled: bool
    fired: int


class FaultInjector:
    def __init__(self, faults: Sequence[Fault], seed: int) -> None:
        self.faults = tuple(faults)
        self._seed = seed
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self.reset()

    def reset(self) -> None:
        """Counts and the random sequence back to the start; every fault on again."""
        with self._lock:
            self._fired = [0] * len(self.faults)
            self._enabled = [True] * len(self.faults)
            self._random = random.Random(self._seed)
            self._wake.clear()

    def set_enabled(self, index: int, enabled: bool) -> None:
        """Switch fault number ``index`` (its place in the config) off or back on."""
        if not 0 <= index < len(self.faults):
            raise IndexError(f"no fault number {index}: {len(self.faults)} configured")
        with self._lock:
            self._enabled[index] = enabled

    def states(self) -> list[FaultState]:
        """Every configured fault, in config order, with its switch and its count."""
        with self._lock:
            return [
                FaultState(fault, on, fired)
                for fault, on, fired in zip(self.faults, self._enabled, self._fired, strict=True)
            ]

    def interrupt(self) -> None:
        """Cut every pending delay short (the server is stopping)."""
        self._wake.set()

    def apply(self, method: str, path: str) -> None:
        """Sleep, raise an error answer, or drop the connection, as the matching faults say."""
        delay = 0.0
        action: Fault | None = None
        with self._lock:
            for index, fault in enumerate(self.faults):
                if not self._enabled[index]:
                    continue
                if fault.method is not None and fault.method != method:
                    continue
                if not fnmatch.fnmatchcase(path, fault.path):
                    continue
                if fault.times is not None and self._fired[index] >= fault.times:
                    continue
                if fault.probability < 1 and self._random.random() >= fault.probability:
                    continue
                self._fired[index] += 1
                if fault.kind == "latency":
                    high = fault.delay_max if fault.delay_max is not None else fault.delay
                    delay += self._random.uniform(fault.delay, high)
                elif action is None:
                    action = fault
        if delay and self._wake.wait(delay):
            raise DropConnection  # the server is stopping: no answer, as a real one gives none
        if action is None:
            return
        if action.kind == "drop":
            raise DropConnection
        raise FakeHTTPError(action.status, action.message)
