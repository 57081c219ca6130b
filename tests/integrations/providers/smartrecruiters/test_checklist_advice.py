"""What the integration page says about a SmartRecruiters company connected by consent alone (the
README's default partner path: SR issues company credentials at consent, no OAuth sign-in): the
company token's scopes are granted, webhooks wait on the optional OAuth sign-in (never "Failing"),
and no guided fix is shown that has nothing to do with what happened."""

import re

import pytest
from django.urls import reverse

from integrations.models import IntegrationStatus
from integrations.providers.smartrecruiters import constants

from .test_consent_self_serve import _apps_connect, _creds
from .test_partner_api import form_post

pytestmark = pytest.mark.django_db

REDIRECT_FIX = constants.REDIRECT_URI_ERROR


def check_item(html: str, key: str) -> tuple[str, str]:
    """(state, text) of one checklist item as the page renders it."""
    found = re.search(
        rf'id="check-{key}" data-state="(\w+)">(.*?)</li>\s*(?=<li class="check|</ol>\s*</section>)',
        html,
        re.S,
    )
    assert found, f"no checklist item {key}"
    return found.group(1), re.sub(r"<[^>]+>", " ", found.group(2))


def sr_panel_row(html: str, label: str) -> str:
    found = re.search(rf"<dt>{re.escape(label)}</dt><dd[^>]*>(.*?)</dd>", html, re.S)
    assert found, label
    return re.sub(r"<[^>]+>", " ", found.group(1))


def scope_rows(html: str) -> dict[str, str]:
    table = re.search(r'<table id="sr-scopes">(.*?)</table>', html, re.S)
    assert table
    rows = re.findall(r"<tr><td><code>([a-z_]+)</code></td>(.*?)</tr>", table.group(1), re.S)
    return {name: " ".join(re.sub(r"<[^>]+>", " ", cells).split()) for name, cells in rows}


@pytest.fixture
def consent_only(simulators, client_in_workspace, sr_sim):
    """A sandbox integration connected the partner way: the admin connects JobCannon in SR's Apps &
    Integrations and allows it on our consent page with the company's self-serve client
    credentials. No OAuth sign-in ever happens."""
    integration = sr_sim()
    path, query = _apps_connect(client_in_workspace, integration.demo["company_id"])
    credential = {
        "client_id": integration.demo["customer_client_id"],
        "client_secret": integration.demo["customer_client_secret"],
    }
    done = form_post(
        client_in_workspace, path, {**query, "integration": integration.pk, **_creds(credential)}
    )
    assert done.status_code == 302, done.content[:800]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    return integration


def test_a_consent_only_company_has_its_company_token_scopes_granted_and_webhooks_optional(
    client_in_workspace, consent_only
):
    html = client_in_workspace.get(reverse("integrations:detail", args=[consent_only.pk])).content.decode()

    state, text = check_item(html, "scopes")
    assert state == "ok", text
    for scope in constants.COMPANY_TOKEN_SCOPES:
        assert scope in text
    assert "Authorize the integration first" not in text

    state, text = check_item(html, "webhooks")
    assert state != "fail", text
    assert "needs the optional OAuth sign-in" in text
    assert "periodic sync" in text  # what happens meanwhile
    assert "How to fix" not in text  # nothing is broken: no seed error (signature validation) applies

    row = sr_panel_row(html, "Webhooks")
    assert "happens when credentials check passes" not in row
    assert "needs the optional OAuth sign-in" in row

    rows = scope_rows(html)
    for scope in constants.COMPANY_TOKEN_SCOPES:
        assert "granted" in rows[scope] and "not granted" not in rows[scope], rows
    assert "not authorized yet" not in " ".join(rows.values())
    assert "needs the optional OAuth sign-in" in rows[constants.SCOPE_WEBHOOKS_MANAGE]


def test_before_anything_was_checked_no_seed_fix_is_shown(client_in_workspace, sr_sim):
    integration = sr_sim()  # credentials from the sandbox, never checked
    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    state, text = check_item(html, "credentials")
    assert state != "fail", text
    assert REDIRECT_FIX not in text and "How to fix" not in text


def test_a_redirect_uri_refusal_still_shows_the_redirect_uri_fix(client_in_workspace, sr_sim):
    integration = sr_sim()
    integration.status = IntegrationStatus.PENDING
    integration.status_reason = "SmartRecruiters refused the authorization (redirect_uri_mismatch)."
    integration.save()
    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    state, text = check_item(html, "credentials")
    assert state == "fail"
    assert f"How to fix: {REDIRECT_FIX}" in text


def test_a_consent_only_company_reaches_all_checks_passed_without_webhooks(client_in_workspace, consent_only):
    """Orders and results are the partner flow's whole job: once a test assessment went out and its
    result came back, the checklist is all green, the webhook items shown as optional (SR sends
    none without the OAuth sign-in), not holding it back for ever."""
    from integrations.models import Integration, WritebackMessage, WritebackStatus
    from integrations.services.checklist import integration_checklist
    from integrations.services.checklist_actions import checklist_action_run
    from tests.integrations.console.helpers import deliver_writebacks

    for action in ("assessment", "complete"):
        ok, sentence = checklist_action_run(integration=consent_only, action=action)
        assert ok, sentence
    deliver_writebacks(consent_only)
    message = WritebackMessage.objects.get(integration=consent_only, kind="assessment.result")
    assert message.status in (WritebackStatus.DELIVERED, WritebackStatus.CONFIRMED)

    checklist = integration_checklist(integration=Integration.objects.get(pk=consent_only.pk))
    optional = {item.key: item.state for item in checklist.items if item.optional}
    assert optional == {"webhooks": "waiting", "webhook_received": "waiting"}
    assert checklist.all_ok, [(i.key, i.state, i.detail) for i in checklist.items if i.state != "ok"]

    html = client_in_workspace.get(reverse("integrations:detail", args=[consent_only.pk])).content.decode()
    assert 'id="checklist-all-green"' in html
    required = len(checklist.items) - 2
    assert f"{required} of {required} required passed" in html
    for key in ("webhooks", "webhook_received"):
        assert "(optional)" in check_item(html, key)[1]


def test_the_webhook_items_are_required_once_the_company_signed_in_with_oauth(consent_only):
    from integrations.providers.smartrecruiters.provider import SmartRecruitersProvider

    from .test_contract import give_token

    assert SmartRecruitersProvider().optional_checklist_items(consent_only) == {
        "webhooks",
        "webhook_received",
    }
    give_token(consent_only)
    assert SmartRecruitersProvider().optional_checklist_items(consent_only) == frozenset()


def test_the_setup_page_does_not_promise_webhooks_to_a_consent_only_company(
    client_in_workspace, consent_only
):
    html = client_in_workspace.get(reverse("integrations:setup", args=[consent_only.pk])).content.decode()
    assert 'id="webhooks-optional"' in html and "webhooks are optional for this connection" in html
    assert 'id="webhooks-registered-by-jobcannon"' not in html
