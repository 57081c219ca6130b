"""Registers each provider's simulator plug-in when Django starts: the only way production code
(integrations.plugins.plugin_for) reaches a simulator. Not installed, nothing registers
and no simulator module is ever imported (tests/integrations/test_plugins.py)."""

from __future__ import annotations

import importlib
import importlib.util

from django.apps import AppConfig


class SimulatorPluginsConfig(AppConfig):
    name = "integrations.simulator_plugins"
    label = "simulator_plugins"
    verbose_name = "Built-in ATS simulators (dev and tests)"

    def ready(self) -> None:
        from integrations.plugins import simulator_plugin_register
        from integrations.registry import get_providers

        # The providers are the explicit list in settings.ATS_PROVIDERS; a provider's simulator,
        # if it has one, is `simulator_plugin.py` in its folder, exposing `plugin`.
        for provider in get_providers().values():
            package = type(provider).__module__.rpartition(".")[0]
            if importlib.util.find_spec(f"{package}.simulator_plugin") is None:
                continue  # no built-in simulator (the test suite's fake ATS)
            module = importlib.import_module(f"{package}.simulator_plugin")
            simulator_plugin_register(key=provider.key, plugin=module.plugin)
