"""Our per-integration webhook secret (whsec_…) is offered only for an ATS that signs with it.
Lever (its own signature tokens), SmartRecruiters (the secret key it generates) and Knit (the
Knit API key) never take it: their pages must not ask for it, show it or offer to rotate it."""

import re

import pytest
from django.urls import reverse

from integrations.models import Integration
from tests.integrations.console.test_wizard import start

pytestmark = pytest.mark.django_db

# How each says it signs (README "Signature"): Lever and SmartRecruiters issue their own key, which
# JobCannon stores when it registers the webhooks; Knit signs with the customer's Knit API key.
OWN_SIGNING = {
    "lever": "Lever signs each webhook with a signature token of its own",
    "smartrecruiters": "SmartRecruiters signs with the secret key it generates",
    "knit": "Knit signs its webhooks (X-Knit-Signature) with your Knit API key",
}


def _start(client, key: str) -> Integration:
    from integrations.registry import get_provider

    provider = get_provider(key)
    start(client, provider=key, auth_kind=provider.auth_kinds[0],
          **({"region": provider.regions[0]} if provider.regions else {}))  # fmt: skip
    return Integration.objects.get(provider=key)


def _our_secret(integration: Integration) -> str:
    return (integration.webhook_secrets or [{}])[0].get("secret", "")


@pytest.mark.parametrize("key", sorted(OWN_SIGNING))
def test_setup_page_does_not_hand_out_a_secret_the_ats_never_uses(client_in_workspace, key):
    integration = _start(client_in_workspace, key)
    secret = _our_secret(integration)
    page = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    assert "Step 2" in page
    assert not secret or secret not in page
    assert 'id="new-secret"' not in page and "asks for a signing secret" not in page
    # Instead it says how the ATS signs its webhooks.
    assert 'id="webhook-signing"' in page and OWN_SIGNING[key] in page


@pytest.mark.parametrize("key", sorted(OWN_SIGNING))
def test_integration_page_offers_no_rotation_of_an_unused_secret(client_in_workspace, key):
    integration = _start(client_in_workspace, key)
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Rotate webhook secret" not in page
    assert 'id="webhook-signing"' in page and OWN_SIGNING[key] in page


def test_ashby_still_shows_its_secret_once_and_offers_rotation(client_in_workspace):
    integration = _start(client_in_workspace, "ashby")
    secret = _our_secret(integration)
    setup = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    assert secret and secret in setup and 'id="new-secret"' in setup
    detail = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Rotate webhook secret" in detail and 'id="webhook-signing"' not in detail


def test_simulator_note_reads_well_for_a_provider_named_after_two_products(client_in_workspace):
    integration = _start(client_in_workspace, "knit")
    page = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    assert "nothing to do in your real Ashby via Knit account" in page
    assert not re.search(r"\ba (real )?Ashby", page), re.findall(r".{40}\ba (?:real )?Ashby.{40}", page)


@pytest.mark.parametrize("key", sorted(OWN_SIGNING))
def test_rotating_a_secret_the_ats_never_uses_is_refused(client_in_workspace, key):
    integration = _start(client_in_workspace, key)
    before = list(integration.webhook_secrets or [])
    answer = client_in_workspace.post(
        reverse("integrations:action", args=[integration.pk, "rotate-secret"]), follow=True
    )
    assert "no JobCannon webhook secret to rotate" in answer.content.decode()
    integration.refresh_from_db()
    assert list(integration.webhook_secrets or []) == before


def test_smartrecruiters_on_the_seeds_webhooks_signs_with_our_secret_so_it_is_shown(client_in_workspace):
    """The seed's SmartRecruiters setup (X-SmartRecruiters-Signature, provider_settings webhook_api
    "seed") signs with our secret: there the page shows it and offers its rotation."""
    from integrations.providers.smartrecruiters import constants

    integration = _start(client_in_workspace, "smartrecruiters")
    integration.provider_settings = {
        **integration.provider_settings,
        "webhook_api": constants.WEBHOOK_API_SEED,
    }
    integration.save()
    detail = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Rotate webhook secret" in detail and 'id="webhook-signing"' not in detail
    client_in_workspace.post(reverse("integrations:action", args=[integration.pk, "rotate-secret"]))
    integration.refresh_from_db()
    assert len(integration.webhook_secrets) == 2  # a new one, the old one still accepted
