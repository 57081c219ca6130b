"""Results need the company credentials SR issues once the company consented (SRD
/docs/integration-workflow): without them nothing is sent with the customer's OAuth token, the
write waits in an explained state and goes out as soon as consent lands. The consent page never
rebinds an integration to a company other than the one its OAuth sign-in verified."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentRun
from integrations import tasks
from integrations.models import IntegrationStatus, WritebackMessage, WritebackStatus
from integrations.providers.smartrecruiters import services
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider
from integrations.services.writeback import writeback_deliver

from .test_partner_api import BASE, form_post
from .test_simulator_flow import complete, move, new_candidate

pytestmark = pytest.mark.django_db


def _company_without_credentials(integration):
    """SR has issued no company credentials (the company never completed consent in Apps &
    Integrations; JobCannon's partner API was registered by hand): SR's side and ours."""
    company = sim.get("company", integration.demo["company_id"])
    for key in ("company_client_id", "company_client_secret"):
        company.pop(key, None)
    sim.put("company", company["id"], {**company, "partner_consent": False})
    services.credentials_update(
        integration=integration, changes={"company_client_id": "", "company_client_secret": ""}
    )
    services.settings_update(integration=integration, changes={"partner_registered": False})


def test_results_wait_for_consent_instead_of_going_with_the_oauth_token_then_go_once_it_lands(
    client_in_workspace, connected, django_capture_on_commit_callbacks, monkeypatch
):
    integration = connected()
    candidate_id = new_candidate(client_in_workspace, integration)
    move(client_in_workspace, integration, candidate_id, "assessment")
    _company_without_credentials(integration)
    run = complete(AssessmentRun.objects.get(integration=integration))
    messages = {m.kind: m for m in WritebackMessage.objects.filter(run=run)}
    for message in messages.values():
        writeback_deliver(message_id=message.pk)
        message.refresh_from_db()
        assert message.status == WritebackStatus.RETRYING, message.status
        assert message.last_error.startswith(
            "Company not registered: complete consent in SmartRecruiters (Apps & Integrations"
        )
    order = sim.get("order", run.external_assessment_id)
    assert order["status"] != "COMPLETED" and not order.get("result") and not order.get("attachments"), (
        "nothing was sent: not with the OAuth token either"
    )
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED, "no re-authorization asked: it cannot help"
    warning = next(
        w
        for w in get_provider("smartrecruiters").health_warnings(integration)
        if w.key == "smartrecruiters_partner"
    )
    # The order's IN_PROGRESS (the candidate started), its result and its attachment.
    assert set(messages) == {"assessment.started", "assessment.result", "assessment.attachment"}
    assert "3 write-back(s) (results, order status) wait for it" in warning.message

    # The report upload had given up (its 72 h passed before anyone consented): it is held too.
    attachment = messages["assessment.attachment"]
    WritebackMessage.objects.filter(pk=attachment.pk).update(
        retry_window_started_at=timezone.now() - timedelta(hours=73)
    )
    writeback_deliver(message_id=attachment.pk)
    attachment.refresh_from_db()
    assert attachment.status == WritebackStatus.DEAD and "Company not registered" in attachment.last_error

    # Consent lands: Apps & Integrations → JobCannon → Connect opens our consent page; Allow.
    queued: list[tuple] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kw: queued.append((func, *args)))
    company_id = integration.demo["company_id"]
    opened = client_in_workspace.post(
        reverse("integrations:sim-smartrecruiters:apps-connect", args=[company_id])
    )
    with django_capture_on_commit_callbacks(execute=True):
        done = form_post(
            client_in_workspace,
            urlsplit(opened["Location"]).path,
            {"companyId": company_id, "integration": integration.pk},
        )
    assert done.status_code == 200 and b'id="sr-consent-done"' in done.content
    for message in messages.values():
        message.refresh_from_db()
        assert message.status == WritebackStatus.PENDING
        assert ("integrations.services.writeback.writeback_deliver_task", message.pk) in queued, (
            "sent at once, not at backoff"
        )

    for message in messages.values():
        tasks.writeback_deliver_task(message.pk)  # what the worker runs for the queued task
        message.refresh_from_db()
        assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    assert order["status"] == "COMPLETED" and order["result_meta"]["credential"] == "company"
    assert [a["credential"] for a in order["attachments"]] == ["company"]


def test_the_consent_page_refuses_a_company_other_than_the_one_the_integration_is_bound_to(
    client_in_workspace, connected
):
    integration = connected()
    bound = integration.provider_settings["company_id"]
    issued = integration.credential("company_client_id")
    other = sim.company_register(
        name="Someone Else Inc", redirect_uri="https://example.com/cb", company_id="co-other"
    )
    sim.put("company", other["id"], {**other, "partner_consent": True})  # SR would accept it
    refused = form_post(
        client_in_workspace, BASE + "integration", {"companyId": "co-other", "integration": integration.pk}
    )
    assert refused.status_code == 409
    page = refused.content.decode()
    assert 'id="sr-consent-error"' in page and f"connected to company {bound}, not co-other" in page
    integration.refresh_from_db()
    assert integration.provider_settings["company_id"] == bound
    assert integration.credential("company_client_id") == issued
    assert not sim.get("company", "co-other").get("company_client_id"), "setUpIntegration was not called"


def test_the_consent_page_still_registers_an_integration_for_its_own_company(client_in_workspace, connected):
    integration = connected()
    bound = integration.provider_settings["company_id"]
    sim.put("company", bound, {**sim.get("company", bound), "company_client_id": "", "partner": {}})
    done = form_post(
        client_in_workspace, BASE + "integration", {"companyId": bound, "integration": integration.pk}
    )
    assert done.status_code == 200 and b'id="sr-consent-done"' in done.content
    integration.refresh_from_db()
    assert integration.provider_settings["registered_company_id"] == bound
    assert integration.credential("company_client_id") == sim.get("company", bound)["company_client_id"]


def test_a_cancelled_run_without_a_reason_keeps_the_fixed_summary():
    from integrations.providers.smartrecruiters import mappers

    assert mappers.status_body("cancelled", reason="") == {
        "status": "REJECTED",
        "summary": "The assessment was cancelled in JobCannon.",
    }
    assert mappers.status_body("expired")["status"] == "EXPIRED"
