"""Where an ATS sends an integration's webhooks. Providers, the console and demo_seed build the
URL from here, not from integrations.views (a provider must not depend on a web module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

if TYPE_CHECKING:
    from integrations.models import Integration


def webhook_url_for(integration: Integration) -> str:
    """The per-integration webhook path (/webhooks/<provider>/<integration uuid>/)."""
    return reverse("integrations:webhook", args=[integration.provider, integration.public_id])
