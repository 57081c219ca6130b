"""The built-in SmartRecruiters sandbox as a dev/test plug-in (integrations/plugins.py):
the plug-in app registers it only where simulators are enabled; the provider asks for it by key."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from integrations.models import Integration
from integrations.plugins import SimulatorPlugin

from . import simulator, simulator_console, simulator_state, sync_simulator


class SmartRecruitersSimulatorPlugin(SimulatorPlugin):
    def urlpatterns(self) -> list:
        return [*sync_simulator.urlpatterns(), *simulator.simulator_urls()]

    def demo_setup(self, provider: Any, integration: Integration) -> dict[str, Any]:
        return simulator_console.demo_setup(integration)

    def send_test_webhook(self, provider: Any, integration: Integration) -> str:
        return simulator_console.send_test_webhook(integration)

    def send_test_assessment(self, provider: Any, integration: Integration) -> str:
        return simulator_console.send_test_assessment(integration)

    def company_page_url(self, company_id: str) -> str:
        """The sandbox's page of one company (its apps, jobs and candidates), linked from the
        integration page: production code names no simulator URL (views.detail_context)."""
        return reverse("integrations:sim-smartrecruiters:company", args=[company_id])

    def credentials_page_url(self, company_id: str) -> str:
        """The sandbox's Settings → Apps & Integrations → Credentials page of a company it holds
        ("" for any other), linked from our consent page (apis_consent.py)."""
        if not simulator_state.get("company", company_id):
            return ""
        return reverse("integrations:sim-smartrecruiters:credentials", args=[company_id])

    def partner_master_credentials(self) -> tuple[str, str]:
        partner = simulator_state.partner_master()
        return partner["client_id"], partner["client_secret"]


plugin = SmartRecruitersSimulatorPlugin()
