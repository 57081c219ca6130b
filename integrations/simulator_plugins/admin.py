"""The built-in simulators' state in the Django admin: registered by the plug-in app, so it exists
only where the simulators run (dev and tests); production never installs the app and has no such
page (tests/integrations/test_plugins.py)."""

from __future__ import annotations

from django.contrib import admin

from integrations.simulator_plugins.models import SimulatorObject


@admin.register(SimulatorObject)
class SimulatorObjectAdmin(admin.ModelAdmin):
    list_display = ["provider", "kind", "key", "created_at", "updated_at"]
    list_filter = ["provider", "kind"]
    search_fields = ["key"]
