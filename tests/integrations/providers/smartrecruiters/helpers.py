"""Shared bits for the SmartRecruiters tests."""

from jobcannon.core.models import SentEmail


def mailbox_to(email: str) -> list[SentEmail]:
    """Emails the dev mailbox holds for one recipient (newest first)."""
    return list(SentEmail.objects.filter(to__icontains=email))


def connect_via_simulator(client, integration, *, granted=None):
    """Click "Re-authorize", approve on the simulator's consent page (optionally a subset of
    scopes), follow the redirect back to our callback. Returns the callback response."""
    from urllib.parse import parse_qs, urlsplit

    from django.urls import reverse

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
