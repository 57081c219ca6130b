"""What production code may ask of the built-in ATS simulators, which are dev/test plug-ins.

Production code names no simulator module (README "Layout"; the "simulators" import contract in
pyproject.toml and tests/integrations/test_plugins.py keep it so). Instead, each provider folder
has a `simulator_plugin.py` (a plug-in itself) that builds a `SimulatorPlugin` from its simulator
modules; the plug-in app `integrations.simulator_plugins`, installed only by the local and test
settings when ATS_SIMULATORS_ENABLED, registers them here when Django starts. Production settings
never install it, so nothing registers and nothing of the simulators is imported.

A provider asks `plugin_for(self.key)` for what only its simulator can do ("test now" actions,
demo wiring). With simulators off, or none registered for that provider, the caller gets
SimulatorsDisabled: a clear 409 on the console's actions, never an ImportError."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from jobcannon.core.exceptions import Conflict

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

    from integrations.models import Integration

# `provider` below is the ATSProvider calling, typed Any: integrations.base imports this module,
# and a type-checking import back would be a cycle to the "acyclic" contract.


class SimulatorsDisabled(Conflict):
    code = "simulators_disabled"


class SimulatorPlugin:
    """One provider's built-in simulator, as production code sees it. Override what the
    simulator offers; the rest raise NotImplementedError (as ATSProvider's optional hooks do)."""

    def urlpatterns(self) -> list[URLPattern | URLResolver]:
        """The simulator's pages and APIs, mounted at /sim/<key>/ by integrations/urls.py."""
        return []

    def demo_setup(self, provider: Any, integration: Integration) -> dict[str, Any]:
        """ATSProvider.demo_setup for a sandbox integration on this simulator (no HTTP)."""
        raise NotImplementedError

    def send_test_webhook(self, provider: Any, integration: Integration) -> str:
        """The console's "Send a test webhook": the simulator sends one, signed; a sentence back."""
        raise NotImplementedError

    def send_test_assessment(self, provider: Any, integration: Integration) -> str:
        """The console's "Send a test assessment": the simulator orders one as the ATS would."""
        raise NotImplementedError

    def partner_master_credentials(self) -> tuple[str, str]:
        """The partner-level client id and secret the simulated ATS issued to JobCannon
        (SmartRecruiters' master credentials; production reads them from settings)."""
        raise NotImplementedError


_plugins: dict[str, SimulatorPlugin] = {}


def simulator_plugin_register(*, key: str, plugin: SimulatorPlugin) -> None:
    """Called by the plug-in app (integrations.simulator_plugins) only."""
    _plugins[key] = plugin


def simulator_plugin_get(key: str) -> SimulatorPlugin | None:
    """The provider's simulator plug-in, or None where simulators are off or it has none.
    The setting is read on every call, so a test switching it off sees the production answer."""
    return _plugins.get(key) if settings.ATS_SIMULATORS_ENABLED else None


def plugin_for(key: str) -> SimulatorPlugin:
    """As simulator_plugin_get, for a caller that cannot go on without it."""
    plugin = simulator_plugin_get(key)
    if plugin is None and not settings.ATS_SIMULATORS_ENABLED:
        raise SimulatorsDisabled(
            "The built-in ATS simulators are off on this server (settings.ATS_SIMULATORS_ENABLED)."
        )
    if plugin is None:
        raise SimulatorsDisabled(f"No built-in {key} simulator is installed on this server.")
    return plugin
