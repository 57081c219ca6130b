"""The client's address behind a load balancer (jobcannon/core/clientaddr.py): every request
arrives from the balancer (REMOTE_ADDR 127.0.0.1 here), the client is in X-Forwarded-For or the
proxy's own header. One rule for the login throttle, the audit log and the webhook log."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from integrations.models import WebhookEvent
from jobcannon.audit.models import AuditEvent
from jobcannon.core.clientaddr import client_address, client_bucket
from tests.factories import IntegrationFactory, UserFactory
from tests.integrations.test_webhook_intake import post, signed, url_for

ATTACKER, VICTIM = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_CLIENT_IP_HEADER = None


def xff(*hops: str) -> dict[str, str]:
    return {"X-Forwarded-For": ", ".join(hops)}


@pytest.mark.django_db
def test_failed_logins_of_one_client_do_not_lock_out_another_behind_the_balancer(
    client, settings, behind_one_proxy
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    victim = UserFactory()
    for n in range(12):  # guessing passwords of many accounts from one address
        client.post(
            "/accounts/login/",
            {"login": f"someone{n}@example.com", "password": "guess"},
            headers=xff(ATTACKER),
        )
    refused = client.post(
        "/accounts/login/", {"login": "other@example.com", "password": "guess"}, headers=xff(ATTACKER)
    )
    assert "Too many failed login attempts" in refused.content.decode()
    response = client.post(
        "/accounts/login/",
        {"login": victim.email, "password": "correct-horse-battery"},
        headers=xff(VICTIM),
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session.get("_auth_user_id") == str(victim.pk)


@pytest.mark.django_db
def test_audit_events_record_the_client_not_the_balancer(client_in_workspace, integration, behind_one_proxy):
    client_in_workspace.post(f"/integrations/{integration.pk}/rotate-secret/", headers=xff(VICTIM))
    assert AuditEvent.objects.get(action="secret.rotated").ip == VICTIM


@pytest.mark.django_db
def test_webhook_events_record_the_client_not_the_balancer(client, behind_one_proxy):
    integration = IntegrationFactory()
    post(client, url_for(integration), headers={**signed(), **xff(VICTIM)})
    assert WebhookEvent.objects.get().remote_addr == VICTIM


def _meta(remote: str = "127.0.0.1", **headers: str):
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


def test_a_client_cannot_choose_its_address_by_prepending_to_x_forwarded_for(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = _meta(**{"X-Forwarded-For": f"10.0.0.1, {ATTACKER}"})  # "10.0.0.1" is the client's claim
    assert client_address(spoofed) == ATTACKER
    settings.TRUSTED_PROXY_COUNT = 2  # a CDN in front of the balancer
    assert client_address(_meta(**{"X-Forwarded-For": f"10.0.0.1, {ATTACKER}, 192.0.2.1"})) == ATTACKER
    assert client_address(_meta(**{"X-Forwarded-For": ATTACKER})) == ATTACKER  # skipped the CDN


def test_without_trusted_proxies_forwarded_headers_are_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.TRUSTED_CLIENT_IP_HEADER = None
    assert (
        client_address(_meta(remote=VICTIM, **{"X-Forwarded-For": ATTACKER, "X-Real-IP": ATTACKER})) == VICTIM
    )


def test_a_trusted_client_ip_header_wins_and_garbage_falls_back_to_the_peer(settings):
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(_meta(**{"X-Real-IP": VICTIM, "X-Forwarded-For": ATTACKER})) == VICTIM
    assert client_address(_meta(**{"X-Real-IP": "not-an-address"})) == "127.0.0.1"
    assert client_address(_meta(**{"X-Real-IP": "[2001:db8::1]:443"})) == "2001:db8::1"


def test_ipv6_clients_share_a_bucket_per_64():
    assert (
        client_bucket("2001:db8:1:2:aaaa::1") == client_bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    )
    assert client_bucket("::ffff:198.51.100.7") == VICTIM
    assert client_bucket(None) == "unknown"


@pytest.mark.django_db
def test_rejected_partner_calls_record_the_client_not_the_balancer(client, behind_one_proxy):
    """A wrong Ashby partner key or SmartRecruiters token secret behind one proxy: the activity line
    and the audit event name the client, not the balancer (3dc35d1's before-fix check)."""
    from integrations.models import IntegrationActivity
    from integrations.providers.smartrecruiters import services as sr_services
    from tests.integrations.providers.ashby.helpers import ashby_integration, partner_post, with_partner_key

    balancer = "10.0.0.2"
    integration = ashby_integration()
    with_partner_key(integration)
    client.defaults.update(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR=VICTIM)
    refused = partner_post(client, integration, "assessment-list", {}, "jcash_000000000000_wrong")
    assert refused.json()["errorInfo"]["code"] == "unauthenticated"
    line = IntegrationActivity.objects.get(integration=integration, kind="partner.auth_failed")
    audit = AuditEvent.objects.get(action="partner.auth_failed")
    assert (line.data["source"], audit.data["source"]) == (VICTIM, VICTIM)

    sr = IntegrationFactory(provider="smartrecruiters", auth_kind="oauth2")
    client_id, _ = sr_services.partner_credentials_issue(integration=sr)
    refused = client.post(  # SRO: 400 invalid_client for credentials in the body
        "/partners/smartrecruiters/oauth/token",
        f"grant_type=client_credentials&client_id={client_id}&client_secret=wrong",
        content_type="application/x-www-form-urlencoded",
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"
    assert (
        IntegrationActivity.objects.get(integration=sr, kind="partner.auth_failed").data["source"] == VICTIM
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TRUSTED_PROXY_COUNT": "2"}, "2 None 2 None"),
        ({"TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"}, "0 X-Real-IP 0 X-Real-IP"),
    ],
)
def test_the_deployment_guides_proxy_settings_are_the_environment_the_app_reads(env, expected):
    """docs/deployment.md tells operators to set these environment variables: each must name what
    the production settings read, and reach allauth's own throttle too (a renamed variable would
    leave a documented deployment with every client sharing the balancer's address)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text()
    for name in env:
        assert f"`{name}=" in guide, f"the deployment guide documents {name}"
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.TRUSTED_CLIENT_IP_HEADER, "
        "s.ALLAUTH_TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTED_")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "jobcannon.settings.test", **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.split("\n")[-2]
    assert out == expected
