"""The built-in simulators' state: the plug-in app's model, so only a database where simulators
run (dev and tests) has its table; production never installs the app (issue 22)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SimulatorObject(models.Model):
    """One object of a built-in ATS simulator (an account, a candidate, a queued delivery ...),
    in the database so the web server and the worker processes see the same sandbox."""

    provider = models.CharField(max_length=40)
    kind = models.CharField(max_length=60)
    key = models.CharField(max_length=120)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind", "key"], name="uniq_simulator_plugin_object")
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.key}"
