"""Loading the built-in ATS simulators, which are dev/test plug-ins: a provider's
`simulator*.py` / `*_simulator.py` modules are never imported by production code (the
"simulators" import contract in pyproject.toml). A provider reaches them by dotted path, only
when settings.ATS_SIMULATORS_ENABLED (on in local and test settings, off in production):

    urlpatterns = simulator_module(__package__, "simulator").urlpatterns   # in a method
    sim = LazySimulatorModule(__package__, "simulator_state")              # at module level

With simulators off, nothing is imported and a caller gets SimulatorsDisabled (a clear 409 on
the console's "test now" actions), never an ImportError."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from django.conf import settings

from jobcannon.core.exceptions import Conflict


class SimulatorsDisabled(Conflict):
    code = "simulators_disabled"


def simulator_module(package: str | None, name: str) -> ModuleType:
    """Import `<package>.<name>` (a simulator module in a provider's folder)."""
    if not settings.ATS_SIMULATORS_ENABLED:
        raise SimulatorsDisabled(
            "The built-in ATS simulators are off on this server (settings.ATS_SIMULATORS_ENABLED)."
        )
    return importlib.import_module(f"{package}.{name}")


class LazySimulatorModule:
    """Stands in for a simulator module at module level: imported on first attribute use."""

    def __init__(self, package: str | None, name: str) -> None:
        self._package, self._name = package, name

    def __getattr__(self, attr: str) -> Any:
        return getattr(simulator_module(self._package, self._name), attr)
