"""After SmartRecruiters' company removal (DELETE integrations/companies/{companyId}: "remove
JobCannon" in Apps & Integrations), the way back is the company's consent again, SR's Apps &
Integrations → JobCannon → Connect, which opens our consent page (SRD /docs/integration-workflow).
That consent alone must bring orders back, whether or not the integration ever had the optional
OAuth sign-in (whose token survives the disconnect), and the integration page must say so."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentRun
from integrations.models import IntegrationStatus, Token, WritebackMessage, WritebackStatus
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.writeback import writeback_deliver

from .helpers import consent_allow, consent_open
from .test_checklist_advice import check_item
from .test_partner_api import form_post
from .test_simulator_flow import complete, move, new_candidate

pytestmark = pytest.mark.django_db


def _remove_in_smartrecruiters(client, integration) -> None:
    """Apps & Integrations → JobCannon → Remove in the sandbox: SR calls our DELETE (204)."""
    company_id = integration.demo["company_id"]
    removed = client.post(reverse("integrations:sim-smartrecruiters:apps-remove", args=[company_id]))
    assert removed.status_code == 302, removed.content[:300]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED


def _consent_again(client, integration) -> None:
    """Apps & Integrations → JobCannon → Connect, then Allow on our consent page with the
    company's self-serve client credentials; SR's flow goes back to the sandbox."""
    company_id = integration.demo["company_id"]
    consent_allow(
        client,
        *consent_open(client, company_id),
        integration,
        integration.demo["customer_client_id"],
        integration.demo["customer_client_secret"],
    )


def _order_delivery(client, integration) -> dict:
    """SR orders the assessment (candidate moved to the auto-trigger stage): SR's delivery."""
    candidate_id = new_candidate(client, integration, email="jordan.reconsent@example.com")
    move(client, integration, candidate_id, "assessment")
    return sim.orders(integration.demo["company_id"], candidate_id)[0]["delivery"]


def test_reconsent_after_removal_reconnects_an_integration_that_had_the_oauth_sign_in(
    client_in_workspace, connected
):
    integration = connected()  # consent, then the optional OAuth sign-in
    assert Token.objects.filter(integration=integration).exists()
    _remove_in_smartrecruiters(client_in_workspace, integration)
    assert Token.objects.filter(integration=integration).exists(), "the OAuth token survives the removal"

    _consent_again(client_in_workspace, integration)  # the consent page alone, no re-authorization
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    assert integration.provider_settings["partner_registered"] is True
    assert integration.provider_settings["subscription"]["status"] == "active", "webhooks subscribed again"
    assert (
        integration.credential("company_client_id")
        == sim.get("company", integration.demo["company_id"])["company_client_id"]
    )

    delivery = _order_delivery(client_in_workspace, integration)
    assert delivery["ok"] and delivery["status"] == 202, delivery
    assert AssessmentRun.objects.filter(integration=integration).count() == 1


def test_reconsent_after_removal_reconnects_a_consent_only_integration(client_in_workspace, sr_sim):
    integration = sr_sim()
    _consent_again(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert not Token.objects.filter(integration=integration).exists()
    _remove_in_smartrecruiters(client_in_workspace, integration)

    # Allow without pasting again: SR accepted this company for this integration before.
    path, query = consent_open(client_in_workspace, integration.demo["company_id"])
    done = form_post(client_in_workspace, path, {**query, "integration": integration.pk})
    assert done.status_code == 302 and done["Location"] == query["redirect"], done.content[:800]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    delivery = _order_delivery(client_in_workspace, integration)
    assert delivery["ok"] and delivery["status"] == 202, delivery


def test_after_removal_the_checklist_says_smartrecruiters_removed_it_and_how_to_consent_again(
    client_in_workspace, connected
):
    integration = connected()
    _remove_in_smartrecruiters(client_in_workspace, integration)

    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    state, text = check_item(html, "credentials")
    text = " ".join(text.split())
    assert state == "fail"
    assert "JobCannon was removed in SmartRecruiters" in text
    assert "Settings → Apps &amp; Integrations → JobCannon → Connect → Authorize and Continue" in text
    assert "does not restore orders" in text
    assert "A workspace admin disconnected it" not in text and "Reconnect to resume" not in text

    # ... and once the company consents again, the checklist item passes.
    _consent_again(client_in_workspace, integration)
    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert check_item(html, "credentials")[0] == "ok"


def test_a_workspace_admin_disconnect_keeps_the_generic_fix(client_in_workspace, connected):
    integration = connected()
    disconnected = client_in_workspace.post(
        reverse("integrations:action", args=[integration.pk, "disconnect"])
    )
    assert disconnected.status_code == 302
    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    state, text = check_item(html, "credentials")
    assert state == "fail" and "Reconnect to resume" in text
    assert "Apps &amp; Integrations → JobCannon → Connect" not in text


# --- the consent after a removal when the optional OAuth sign-in no longer works ------------------


def _revoke_oauth_sign_in(integration, *, expired: bool) -> None:
    """The customer revoked JobCannon's OAuth app in SmartRecruiters, or its 28-day refresh token
    ran out: the sandbox forgets the sign-in's access and refresh tokens (not the company's or the
    partner's client-credentials tokens). `expired`: our copy of the access token has lapsed too,
    so the next OAuth call refreshes first instead of meeting a 401."""
    from django.db.models import Q

    from integrations.simulator_plugins.models import SimulatorObject

    revoked = SimulatorObject.objects.filter(
        provider="smartrecruiters", kind="token", data__company=integration.demo["company_id"]
    ).filter(Q(data__grant="oauth") | Q(data__kind="refresh"))
    assert revoked.delete()[0] >= 2, "an access and a refresh token of the sign-in"
    if expired:
        Token.objects.filter(integration=integration).update(
            access_expires_at=timezone.now() - dt.timedelta(minutes=5)
        )


@pytest.mark.parametrize("expired", [False, True], ids=["revoked", "refresh-token-expired"])
def test_reconsent_after_removal_with_a_dead_oauth_sign_in_reconnects_and_results_go_with_the_company_credentials(
    client_in_workspace, connected, django_capture_on_commit_callbacks, expired
):
    integration = connected()
    _remove_in_smartrecruiters(client_in_workspace, integration)
    _revoke_oauth_sign_in(integration, expired=expired)

    # The consent page answers 302 back to SmartRecruiters (asserted by consent_allow).
    _consent_again(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
    # The dead sign-in is forgotten and explained, not a re-authorization that holds results.
    assert not Token.objects.filter(integration=integration).exists()
    assert "optional OAuth sign-in no longer works" in integration.status_reason
    assert (
        integration.credential("company_client_id")
        == sim.get("company", integration.demo["company_id"])["company_client_id"]
    )

    delivery = _order_delivery(client_in_workspace, integration)
    assert delivery["ok"] and delivery["status"] == 202, delivery
    run = complete(AssessmentRun.objects.get(integration=integration))
    message = WritebackMessage.objects.get(run=run, kind="assessment.result")
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    assert order["status"] == "COMPLETED" and order["result_meta"]["credential"] == "company"

    html = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Needs re-authorization" not in html
    state, text = check_item(html, "webhooks")
    assert state != "fail" and "no longer works" in text, text


# --- the consent page when its check fails ---------------------------------------------------------


def test_a_consent_whose_check_cannot_reach_smartrecruiters_says_so_waits_pending_and_allow_again_reconnects(
    client_in_workspace, connected, monkeypatch
):
    from integrations.base import ATSServerError
    from integrations.providers.smartrecruiters.provider import SmartRecruitersProvider

    integration = connected()
    _remove_in_smartrecruiters(client_in_workspace, integration)

    def down(self, integration):
        raise ATSServerError("SmartRecruiters answered 503.", status_code=503)

    monkeypatch.setattr(SmartRecruitersProvider, "validate_credentials", down)
    path, query = consent_open(client_in_workspace, integration.demo["company_id"])
    failed = form_post(client_in_workspace, path, {**query, "integration": integration.pk})
    assert failed.status_code == 502
    error = re.search(r'id="sr-consent-error">(.*?)</p>', failed.content.decode(), re.S)
    assert error, failed.content[:800]
    # The check's own sentence (the outcome's message): SR's 503, the new company credentials
    # SR just issued are saved but not checked, try again.
    shown = " ".join(error.group(1).split()).lower()
    assert "503" in shown and "new credentials saved but not checked" in shown, shown
    assert "try again in a few minutes" in shown, shown
    integration.refresh_from_db()
    # Not connected on credentials nobody checked, no longer "removed" either: pending until a
    # check of the new company credentials passes (integration_credentials_check, credentials_changed).
    assert integration.status == IntegrationStatus.PENDING, integration.status
    assert "New credentials saved but not checked" in integration.status_reason

    monkeypatch.undo()
    done = form_post(client_in_workspace, path, {**query, "integration": integration.pk})
    assert done.status_code == 302 and done["Location"] == query["redirect"], done.content[:800]
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason


def test_the_scheduled_refresh_meeting_a_dead_sign_in_keeps_a_consented_integration_connected(
    client_in_workspace, connected, django_capture_on_commit_callbacks, mailoutbox
):
    """Outside any check: the background refresh finds the optional sign-in's refresh token dead.
    The company credentials still carry orders and results, so nothing is held and nobody is told
    to re-authorize; the page says the sign-in lapsed."""
    from integrations.services.oauth import token_refresh

    integration = connected()
    _revoke_oauth_sign_in(integration, expired=True)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Exception):  # noqa: B017, PT011 - the refresh itself is refused
            token_refresh(integration_id=integration.pk, force=True)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert not Token.objects.filter(integration=integration).exists()
    assert not [m for m in mailoutbox if "needs re-authorization" in m.subject]
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "Needs re-authorization" not in page
    assert "refused to refresh its token" in page
