"""The built-in Lever sandbox as a dev/test plug-in (integrations/plugins.py): the plug-in
app registers it only where simulators are enabled; LeverProvider asks for it by key."""

from __future__ import annotations

from typing import Any

from django.urls import include, path

from integrations.models import Integration
from integrations.plugins import SimulatorPlugin

from . import simulator, simulator_console, simulator_state, sync_simulator


class LeverSimulatorPlugin(SimulatorPlugin):
    def urlpatterns(self) -> list:
        return [*sync_simulator.urlpatterns(), path("", include(simulator.urlpatterns))]

    def demo_setup(self, provider: Any, integration: Integration) -> dict[str, Any]:
        return simulator_state.demo_setup(integration)

    def send_test_webhook(self, provider: Any, integration: Integration) -> str:
        return simulator_console.send_test_webhook(integration)

    def send_test_assessment(self, provider: Any, integration: Integration) -> str:
        return simulator_console.send_test_assessment(integration)


plugin = LeverSimulatorPlugin()
