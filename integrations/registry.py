"""The explicit provider list: settings.ATS_PROVIDERS names one class per ATS. No discovery."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import Http404
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from integrations.base import ATSProvider
    from integrations.models import Integration


@cache
def _load(paths: tuple[str, ...]) -> dict[str, ATSProvider]:
    providers: dict[str, ATSProvider] = {}
    for path in paths:
        provider = import_string(path)()
        providers[provider.key] = provider
    return providers


def get_providers() -> dict[str, ATSProvider]:
    return _load(tuple(settings.ATS_PROVIDERS))


def get_provider(key: str) -> ATSProvider:
    try:
        return get_providers()[key]
    except KeyError:
        raise Http404(f"Unknown provider {key!r}")


def provider_for(integration: Integration) -> ATSProvider:
    """The provider of one integration. The models sit below the registry (README "Layout"), so
    an Integration hands out no provider object: code above the registry asks it here. Raises
    Http404 for a key no longer in ATS_PROVIDERS, as get_provider does."""
    return get_provider(integration.provider)


def provider_choices() -> list[tuple[str, str]]:
    return [(p.key, p.name) for p in get_providers().values() if not p.hidden]
