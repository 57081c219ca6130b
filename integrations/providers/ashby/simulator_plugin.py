"""The built-in Ashby sandbox as a dev/test plug-in (integrations/plugins.py): the plug-in
app registers it only where simulators are enabled; AshbyProvider asks for it by key."""

from __future__ import annotations

from typing import Any

from integrations.models import Integration
from integrations.plugins import SimulatorPlugin

from . import simulator, simulator_state, simulator_support


class AshbySimulatorPlugin(SimulatorPlugin):
    def urlpatterns(self) -> list:
        return simulator.urlpatterns

    def demo_setup(self, provider: Any, integration: Integration) -> dict[str, Any]:
        return simulator_state.demo_register(provider=provider, integration=integration)

    def send_test_webhook(self, provider: Any, integration: Integration) -> str:
        return simulator_support.send_test_webhook(integration)

    def send_test_assessment(self, provider: Any, integration: Integration) -> str:
        return simulator_support.send_test_assessment(integration)


plugin = AshbySimulatorPlugin()
