"""Rejected partner logins cannot write unbounded rows (issue 21, second audit): the caller's
failure budget is taken before anything is written and nothing is written once it is spent (the
call is answered 429), rows are grouped per client bucket (an IPv6 /64), SmartRecruiters' 400
invalid_client is charged like a 401, and an integration gets at most
PARTNER_AUTH_FAILURE_MAX_LINES lines (and audit rows) per window, with the cache up or down.
The right key is still accepted afterwards, from the same addresses."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from integrations.models import IntegrationActivity
from integrations.providers.smartrecruiters import services as sr_services
from jobcannon.audit.models import AuditEvent
from tests.factories import IntegrationFactory
from tests.integrations.providers.ashby.helpers import (
    ashby_integration,
    basic,
    partner_answer,
    with_partner_key,
)

BURST, MAX_LINES = 20, 5
CALLERS = 80  # the audit sent 250; fewer keep the test quick and still far past both bounds
SR_TOKEN = "/partners/smartrecruiters/oauth/token"


@pytest.fixture(autouse=True)
def small_budgets(settings):
    settings.INBOUND_FAILURE_RATE_LIMITS = {"per_second": 0.001, "burst": BURST}
    settings.PARTNER_AUTH_FAILURE_MAX_LINES = MAX_LINES


def ashby_list(client, integration, key: str, address: str) -> str:
    """Ashby's answer: "ok", "unauthenticated" or "rate_limit_exceeded" (its partner spec lists
    no 401/429, so refusals are told by errorInfo.code)."""
    url = reverse("integrations:partner-ashby:assessment-list", kwargs={"public_id": integration.public_id})
    return partner_answer(
        client.post(url, data="{}", content_type="application/json", headers=basic(key), REMOTE_ADDR=address)
    )


def rows(integration) -> tuple[list[IntegrationActivity], list[AuditEvent]]:
    lines = list(IntegrationActivity.objects.filter(integration=integration, kind="partner.auth_failed"))
    audits = list(AuditEvent.objects.filter(action="partner.auth_failed", workspace=integration.workspace))
    return lines, audits


@pytest.mark.django_db
def test_wrong_keys_from_many_addresses_of_one_ipv6_64_write_one_row_and_stop_at_the_budget(client):
    integration = ashby_integration()
    key = with_partner_key(integration)
    network = ipaddress.ip_network("2001:db8:1:2::/64")
    statuses = [
        ashby_list(client, integration, f"jcash_000000000000_wrong{n}", str(network[n + 1]))
        for n in range(CALLERS)
    ]
    assert statuses[:BURST] == ["unauthenticated"] * BURST and set(statuses[BURST:]) == {
        "rate_limit_exceeded"
    }
    lines, audits = rows(integration)
    assert len(lines) == 1 and len(audits) == 1, "one row per /64 and window, not one per address"
    assert lines[0].data["source"] == audits[0].data["source"] == "2001:db8:1:2::/64"
    assert lines[0].data["count"] == audits[0].data["count"] == BURST, "nothing written past the budget"
    # A verified caller is not locked out, even from the same /64.
    assert ashby_list(client, integration, key, str(network[9999])) == "ok"


@pytest.mark.django_db
def test_wrong_keys_from_many_ipv4_addresses_are_capped_per_integration_and_window(client):
    integration = ashby_integration()
    key = with_partner_key(integration)
    addresses = [f"10.1.{n // 200}.{n % 200 + 1}" for n in range(CALLERS)]
    statuses = [ashby_list(client, integration, "jcash_000000000000_wrong", a) for a in addresses]
    assert set(statuses) == {"unauthenticated"}, "each address is within its own budget"
    lines, audits = rows(integration)
    assert len(lines) == MAX_LINES and len(audits) == MAX_LINES
    summary = next(line for line in lines if line.data.get("summary"))
    assert sorted(line.data["count"] for line in lines) == [1] * (MAX_LINES - 1) + [CALLERS - (MAX_LINES - 1)]
    assert f"{CALLERS - (MAX_LINES - 1)} rejected calls from more addresses" in summary.message
    mirror = next(a for a in audits if a.data["activity_id"] == summary.pk)
    assert mirror.data["count"] == summary.data["count"]
    assert ashby_list(client, integration, key, addresses[-1]) == "ok"


@pytest.mark.django_db(transaction=True)
def test_with_the_cache_down_the_budget_and_the_cap_still_bound_the_rows(client, settings):
    integration = ashby_integration()
    key = with_partner_key(integration)
    settings.INBOUND_FAILURE_RATE_LIMITS = {"per_second": 0.001, "burst": 3}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "no_such_table"}
    }
    one = [ashby_list(client, integration, "jcash_000000000000_wrong", "198.51.100.7") for _ in range(30)]
    assert one == ["unauthenticated"] * 3 + ["rate_limit_exceeded"] * 27
    lines, audits = rows(integration)
    assert (len(lines), len(audits)) == (3, 3), "no cache to fold them: one line each, within the budget"
    many = [ashby_list(client, integration, "jcash_000000000000_wrong", f"192.0.2.{n}") for n in range(1, 41)]
    assert set(many) == {"unauthenticated"}
    lines, audits = rows(integration)
    assert (len(lines), len(audits)) == (MAX_LINES, MAX_LINES)
    assert sum(line.data["count"] for line in lines) == 3 + 40
    assert ashby_list(client, integration, key, "198.51.100.7") == "ok"


def sr_token(client, client_id: str, secret: str, address: str = "203.0.113.50"):
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return client.post(
        SR_TOKEN, urlencode(body), content_type="application/x-www-form-urlencoded", REMOTE_ADDR=address
    )


@pytest.fixture
def sr_partner(db):
    integration = IntegrationFactory(provider="smartrecruiters", auth_kind="oauth2", region="eu")
    client_id, secret = sr_services.partner_credentials_issue(integration=integration)
    integration.refresh_from_db()
    return integration, client_id, secret


def test_smartrecruiters_wrong_secret_in_the_body_is_charged_and_answered_429_past_the_budget(
    client, sr_partner
):
    integration, client_id, secret = sr_partner
    responses = [sr_token(client, client_id, "wrong") for _ in range(60)]
    assert [r.status_code for r in responses] == [400] * BURST + [429] * (60 - BURST)
    assert responses[0].json()["error"] == "invalid_client"
    limited = responses[-1]
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited["Retry-After"]) >= 1
    lines, audits = rows(integration)
    assert len(lines) == len(audits) == 1 and lines[0].data["count"] == audits[0].data["count"] == BURST
    ok = sr_token(client, client_id, secret)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"


def test_smartrecruiters_unknown_client_ids_are_charged_too(client, sr_partner):
    _, client_id, secret = sr_partner
    statuses = [sr_token(client, f"jc_sr_unknown{n}", "wrong").status_code for n in range(BURST + 5)]
    assert statuses == [400] * BURST + [429] * 5
    assert not IntegrationActivity.objects.filter(kind="partner.auth_failed").exists()
    assert sr_token(client, client_id, secret).status_code == 200
