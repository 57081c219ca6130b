"""The built-in Knit simulator as a dev/test plug-in (integrations/plugins.py): the plug-in
app registers it only where simulators are enabled; KnitProvider asks for it by key."""

from __future__ import annotations

from typing import Any

from integrations.models import Integration
from integrations.plugins import SimulatorPlugin

from . import simulator_console, simulator_urls, sync_simulator


class KnitSimulatorPlugin(SimulatorPlugin):
    def urlpatterns(self) -> list:
        return [*sync_simulator.urlpatterns(), *simulator_urls.urlpatterns]

    def demo_setup(self, provider: Any, integration: Integration) -> dict[str, Any]:
        return simulator_console.demo_setup(integration)

    def send_test_webhook(self, provider: Any, integration: Integration) -> str:
        return simulator_console.send_test_webhook(provider, integration)

    def send_test_assessment(self, provider: Any, integration: Integration) -> str:
        return simulator_console.send_test_assessment(provider, integration)


plugin = KnitSimulatorPlugin()
