"""Shared bits for the SmartRecruiters tests."""

from jobcannon.core.models import SentEmail


def mailbox_to(email: str) -> list[SentEmail]:
    """Emails the dev mailbox holds for one recipient (newest first)."""
    return list(SentEmail.objects.filter(to__icontains=email))


def connect_via_simulator(client, integration, *, granted=None, apps_consent=True):
    """Click "Re-authorize", approve on the simulator's consent page (optionally a subset of
    scopes), follow the redirect back to our callback. Returns the callback response.

    With `apps_consent` (the default) JobCannon is first approved in SR's Apps & Integrations
    (apps_connect): approving the OAuth app alone is not the consent SR's setUpIntegration needs."""
    from urllib.parse import parse_qs, urlsplit

    from django.urls import reverse

    if apps_consent:
        apps_connect(client, integration)

    start = client.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
    assert start.status_code == 302, start.content[:300]
    consent_url = start["Location"]
    assert "/sim/smartrecruiters/identity/oauth/allow" in consent_url
    page = client.get(consent_url)
    assert page.status_code == 200, page.content[:500]
    params = {k: v[0] for k, v in parse_qs(urlsplit(consent_url).query).items()}
    scopes = params["scope"].split()
    decision = client.post(
        reverse("integrations:sim-smartrecruiters:oauth-allow"),
        {**params, "decision": "allow", "granted": scopes if granted is None else list(granted)},
    )
    assert decision.status_code == 302
    back = urlsplit(decision["Location"])
    return client.get(back.path + "?" + back.query)


def apps_connect(client, integration):
    """SR's Apps & Integrations → JobCannon → Connect → Authorize and Continue in the sandbox: SR
    records the company's consent (the only place it does: approving the OAuth app is not it) and
    redirects to our consent page, which this does not follow. Returns SR's redirect."""
    from django.urls import reverse

    # demo_setup names the sandbox company after the integration
    company_id = getattr(integration, "demo", {}).get("company_id") or "co-" + integration.public_id.hex[:12]
    response = client.post(reverse("integrations:sim-smartrecruiters:apps-connect", args=[company_id]))
    assert response.status_code == 302, response.content[:300]
    return response


def sandbox_integration(
    workspace, user, *, region: str = "us", simulator: bool = True, provider_settings=None
):
    """A sandbox SmartRecruiters integration as the connect wizard creates it, before any
    optional step (on the built-in simulator unless `simulator` is False)."""
    from integrations.services.integrations import integration_create

    return integration_create(
        workspace=workspace,
        provider="smartrecruiters",
        environment="sandbox",
        auth_kind="oauth2",
        region=region,
        created_by=user,
        provider_settings={**({"use_simulator": True} if simulator else {}), **(provider_settings or {})},
    )


def browser_sandbox_integration(page, *, region: str = "us", staff: bool = False):
    """A sandbox SmartRecruiters integration on the built-in simulator, its sandbox app created
    as "Get sandbox credentials" does (demo_setup, no HTTP), and its owner signed in in `page`."""
    from integrations.registry import get_provider
    from tests.conftest import browser_login
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(is_staff=staff, is_superuser=staff)
    integration = sandbox_integration(MembershipFactory(user=user).workspace, user, region=region)
    get_provider("smartrecruiters").demo_setup(integration)
    browser_login(page, user)
    return integration


def consent_open(client, company_id: str) -> tuple[str, dict[str, str]]:
    """The sandbox's Apps & Integrations → connect JobCannon: (our consent page's path, its query)."""
    from urllib.parse import parse_qs, urlsplit

    from django.urls import reverse

    opened = client.post(reverse("integrations:sim-smartrecruiters:apps-connect", args=[company_id]))
    assert opened.status_code == 302, opened.content[:600]
    consent = urlsplit(opened["Location"])
    return consent.path, {k: v[0] for k, v in parse_qs(consent.query).items()}


def consent_allow(client, path: str, query: dict[str, str], integration, client_id: str, secret: str) -> None:
    """Allow on our consent page with the company's self-serve client credentials; SR's flow goes
    back to the sandbox."""
    from .test_partner_api import form_post

    credentials = {"customer_client_id": client_id, "customer_client_secret": secret}
    done = form_post(client, path, {**query, "integration": integration.pk, **credentials})
    assert done.status_code == 302 and done["Location"] == query["redirect"], done.content[:800]
