"""SmartRecruiters takes the company credentials back (SRD /docs/integration-workflow: SR issues
them at setUpIntegration, after the company's consent in Apps & Integrations). A refusal of them
must not loop on re-authorization: the result is held with the way back on the integration
page, the integration stays connected, and the company's new consent sends it. SR's removal
call (DELETE integrations/companies/{id}) forgets them, so a reconnect registers again."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from assessments.models import AssessmentRun
from integrations import tasks
from integrations.models import (
    IntegrationActivity,
    IntegrationStatus,
    OutboundCall,
    WritebackMessage,
    WritebackStatus,
)
from integrations.providers.smartrecruiters import services
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.services.writeback import writeback_deliver
from integrations.simulator_plugins.models import SimulatorObject

from .helpers import connect_via_simulator
from .test_partner_api import form_post
from .test_simulator_flow import complete, move, new_candidate

pytestmark = pytest.mark.django_db

CONSENT_STEP = "Apps & Integrations → JobCannon → Connect → Authorize and Continue"


def sim_post(client, name, integration):
    response = client.post(
        reverse(f"integrations:sim-smartrecruiters:{name}", args=[integration.demo["company_id"]])
    )
    assert response.status_code == 302, response.content[:300]
    return response


def completed_result(client, integration):
    candidate_id = new_candidate(client, integration)
    move(client, integration, candidate_id, "assessment")
    run = complete(AssessmentRun.objects.get(integration=integration))
    return run, WritebackMessage.objects.get(run=run, kind="assessment.result")


def consent_again(client, integration, django_capture_on_commit_callbacks):
    """The company re-approves JobCannon in SR's Apps & Integrations; SR opens our consent page
    (REDIRECT mode) and the admin allows it."""
    opened = urlsplit(sim_post(client, "apps-connect", integration)["Location"])
    query = {k: v[0] for k, v in parse_qs(opened.query).items()}  # companyId, redirect
    assert query["companyId"] == integration.demo["company_id"]
    with django_capture_on_commit_callbacks(execute=True):
        return form_post(client, opened.path, {**query, "integration": integration.pk})


def test_withdrawn_consent_holds_the_result_keeps_the_integration_connected_and_new_consent_delivers_it(
    client_in_workspace, connected, django_capture_on_commit_callbacks, monkeypatch
):
    integration = connected()
    old_credentials = integration.credential("company_client_id")
    run, message = completed_result(client_in_workspace, integration)

    # In the sandbox: the company's consent is withdrawn and SR revokes the company credentials
    # (SR's removal call never reached JobCannon).
    sim_post(client_in_workspace, "apps-withdraw", integration)
    assert not sim.get("company", integration.demo["company_id"]).get("company_client_id")

    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status == WritebackStatus.RETRYING and message.next_attempt_at, message.status
    assert message.last_error_class == "CompanyCredentialsRefused"
    assert CONSENT_STEP in message.last_error and "HTTP 401" in message.last_error
    assert integration.status == IntegrationStatus.CONNECTED, "no re-authorization asked: it cannot help"
    assert not integration.credential("company_client_id"), "the refused credentials are forgotten"
    assert integration.provider_settings["partner_registered"] is False
    refused_lines = IntegrationActivity.objects.filter(
        integration=integration, kind="smartrecruiters.company_credentials_refused"
    )
    assert refused_lines.count() == 1
    assert not sim.get("order", run.external_assessment_id).get("result"), "nothing reached SR"

    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="sr-credentials-refused"' in page and "re-authorizing does not help" in page
    assert "1 result write-back(s) are held" in page

    # A second attempt before consent: still held, no second activity line, still connected.
    WritebackMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status == WritebackStatus.RETRYING and integration.status == IntegrationStatus.CONNECTED
    assert message.last_error_class in services.HELD_FOR_CONSENT and refused_lines.count() == 1

    # The company re-approves JobCannon in Apps & Integrations: new credentials, the held result
    # is queued at once and confirmed.
    queued: list[tuple] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kw: queued.append((func, *args)))
    done = consent_again(client_in_workspace, integration, django_capture_on_commit_callbacks)
    assert done.status_code == 302, done.content[:300]  # back to SmartRecruiters
    integration.refresh_from_db()
    assert integration.credential("company_client_id") not in ("", None, old_credentials)
    assert integration.provider_settings["partner_registered"] is True
    message.refresh_from_db()
    assert message.status == WritebackStatus.PENDING
    assert ("integrations.services.writeback.writeback_deliver_task", message.pk) in queued
    tasks.writeback_deliver_task(message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    order = sim.get("order", run.external_assessment_id)
    assert order["status"] == "COMPLETED" and order["result_meta"]["credential"] == "company"
    page = client_in_workspace.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert 'id="sr-credentials-refused"' not in page


def test_reauthorizing_after_sr_reissued_consent_registers_again_instead_of_reusing_refused_credentials(
    client_in_workspace, connected, django_capture_on_commit_callbacks, monkeypatch
):
    """The audit's loop: SR dropped the credentials but the company's consent stands (it removed
    and re-added JobCannon). Re-authorizing used to keep the dead credentials (partner_registered
    was still set) and fail again; now it runs setUpIntegration and the held result goes."""
    integration = connected()
    old_credentials = integration.credential("company_client_id")
    run, message = completed_result(client_in_workspace, integration)
    sim.company_partner_revoke(integration.demo["company_id"])
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.RETRYING

    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: None)
    with django_capture_on_commit_callbacks(execute=True):
        connect_via_simulator(client_in_workspace, integration)  # consent again, then re-authorize
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.credential("company_client_id") not in ("", None, old_credentials)
    tasks.writeback_deliver_task(message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error


def test_a_cached_token_sr_no_longer_takes_is_replaced_once_and_valid_credentials_are_kept(
    client_in_workspace, connected
):
    integration = connected()
    credentials = integration.credential("company_client_id")
    first, first_message = completed_result(client_in_workspace, integration)
    writeback_deliver(message_id=first_message.pk)  # caches a company token
    # SR drops the tokens it issued (not the credentials): the cached one is refused (401).
    sim_company = integration.demo["company_id"]
    SimulatorObject.objects.filter(
        provider="smartrecruiters", kind="token", data__company=sim_company, data__grant="company"
    ).delete()
    candidate_id = new_candidate(client_in_workspace, integration, email="riley.second@example.com")
    move(client_in_workspace, integration, candidate_id, "assessment")
    run = complete(AssessmentRun.objects.get(integration=integration, external_candidate_id=candidate_id))
    message = WritebackMessage.objects.get(run=run, kind="assessment.result")
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    integration.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error
    assert integration.credential("company_client_id") == credentials
    statuses = list(
        OutboundCall.objects.filter(integration=integration, operation="assessment.results.update")
        .order_by("pk")
        .values_list("status_code", flat=True)
    )
    assert statuses[-2:] == [401, 200]


def test_removing_jobcannon_in_smartrecruiters_forgets_the_credentials_and_a_reconnect_registers_again(
    client_in_workspace, connected
):
    integration = connected()
    old_credentials = integration.credential("company_client_id")
    company_id = integration.demo["company_id"]

    # Apps & Integrations → JobCannon → Remove: SR calls our DELETE, then revokes.
    sim_post(client_in_workspace, "apps-remove", integration)
    removal = next(d for d in sim.deliveries(company_id) if d["kind"] == "removal")
    assert removal["status"] == 204 and removal["url"].endswith(f"integrations/companies/{company_id}")
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED
    assert not integration.credential("company_client_id") and not integration.credential(
        "company_client_secret"
    )
    assert integration.provider_settings["partner_registered"] is False
    assert "removed in SmartRecruiters" in integration.provider_settings["partner_error"]
    company = sim.get("company", company_id)
    assert not company.get("company_client_id") and not company["partner_consent"]

    # Reconnect: approve JobCannon in Apps & Integrations again, then authorize the OAuth app.
    connect_via_simulator(client_in_workspace, integration)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.provider_settings["partner_registered"] is True
    issued = sim.get("company", company_id)["company_client_id"]
    assert integration.credential("company_client_id") == issued != old_credentials
    _, message = completed_result(client_in_workspace, integration)
    writeback_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WritebackStatus.CONFIRMED, message.last_error


def test_approving_the_oauth_app_alone_is_not_consent_to_jobcannon(
    client_in_workspace, sr_sim, django_capture_on_commit_callbacks
):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration, apps_consent=False)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    company = sim.get("company", integration.demo["company_id"])
    assert company["partner_consent"] is False and not company.get("company_client_id")
    assert integration.provider_settings["partner_registered"] is False
    assert "has not given consent" in integration.provider_settings["partner_error"]  # SR's 403
    assert not integration.credential("company_client_id")

    done = consent_again(client_in_workspace, integration, django_capture_on_commit_callbacks)
    assert done.status_code == 302
    integration.refresh_from_db()
    assert integration.provider_settings["partner_registered"] is True
    assert (
        integration.credential("company_client_id") == sim.get("company", company["id"])["company_client_id"]
    )
