"""SmartRecruiters' console hooks: seed 001 as wizard steps and guided fixes, the subscription
and partner registration on the checklist, warnings ahead of breakage, and the sandbox's "test
now" actions driving the checklist to all-green over HTTP."""

import pytest

from assessments.models import AssessmentRun
from integrations.base import InboundRequest
from integrations.models import (
    Integration,
    IntegrationStatus,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.providers.smartrecruiters import constants, webhooks
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.providers.smartrecruiters.provider import SmartRecruitersProvider
from integrations.services.checklist import integration_checklist
from integrations.services.checklist_actions import checklist_action_run
from integrations.services.fixes import fixes_for
from integrations.services.integrations import integration_credentials_check
from jobcannon.core.exceptions import ValidationFailed
from tests.integrations.console.helpers import deliver_writebacks, process_webhooks

from .helpers import connect_via_simulator

pytestmark = pytest.mark.django_db
PROVIDER = SmartRecruitersProvider()


@pytest.fixture
def connected(client_in_workspace, sr_sim):
    def make(**kwargs):
        integration = sr_sim(**kwargs)
        connect_via_simulator(client_in_workspace, integration)
        integration.refresh_from_db()
        assert integration.status == IntegrationStatus.CONNECTED, integration.status_reason
        return integration

    return make


def company_of(integration):
    return sim.get("company", integration.demo["company_id"])


def set_stage_actions(integration, trigger_by_stage):
    """Change the sandbox job's pipeline as an SR admin would (Add Action / remove)."""
    job = sim.jobs(integration.demo["company_id"])[0]
    for stage in job["stages"]:
        if stage["id"] in trigger_by_stage:
            trigger = trigger_by_stage[stage["id"]]
            stage["action"] = (
                None
                if trigger is None
                else {"packageId": "jobcannon-disc", "required": True, "trigger": trigger, "dueInDays": 7}
            )
    sim.put("job", job["id"], {k: v for k, v in job.items() if k != "id"})


# --- seed 001 as data ------------------------------------------------------------------------


def test_common_errors_are_the_three_of_seed_001_with_their_fixes():
    assert [e.title for e in PROVIDER.common_errors] == [
        "Invalid OAuth redirect URI",
        "Webhook signature validation failed",
        "Assessment delivery failed (403 Forbidden)",
    ]
    redirect, signature, forbidden = PROVIDER.common_errors
    assert redirect.cause == "Registered URI doesn't match the callback URL."
    assert any("trailing slashes" in step for step in redirect.fix)
    assert signature.cause == "HMAC signature is missing or incorrect."
    assert any("X-SmartRecruiters-Signature" in step for step in signature.fix)
    assert forbidden.cause.startswith("OAuth scopes don't include `assessments:write`")
    assert any("re-authorize and approve all required scopes" in step for step in forbidden.fix)


def test_each_common_error_is_offered_next_to_the_failure_we_record_for_it(sr_sim):
    integration = sr_sim()
    redirect_reason = PROVIDER.explain_oauth_error("invalid_request", "redirect_uri mismatch", integration)
    unsigned = InboundRequest(
        body=b'{"event":"x"}', headers={constants.SEED_SIGNATURE_HEADER: "00"}, query={}
    )
    signature_reason = webhooks.verify(integration, unsigned, ["secret"]).reason
    cases = [
        ("credentials", redirect_reason, "Invalid OAuth redirect URI"),
        ("webhook_received", signature_reason, "Webhook signature validation failed"),
        ("writeback", constants.PERMISSION_403_FIX, "Assessment delivery failed (403 Forbidden)"),
        ("scopes", "scope assessments:write", "Assessment delivery failed (403 Forbidden)"),
    ]
    for check, reason, title in cases:
        fixes = fixes_for(provider=PROVIDER, check=check, text=reason)
        assert fixes and fixes[0].title == title, (check, reason, fixes)


def test_setup_steps_follow_seed_001_and_the_scopes_the_app_requests(sr_sim):
    integration = sr_sim()
    steps = PROVIDER.setup_steps(integration)
    assert [s.title for s in steps] == [
        "Create client credentials in SmartRecruiters",
        "Connect JobCannon in SmartRecruiters' Apps & Integrations",
        "Optional: an OAuth sign-in for live webhooks",
        "Optional: authorize the OAuth app (Step 3 below)",
        "Webhook subscriptions: only after the optional OAuth sign-in",
        "Configure the assessment catalog",
        "Test in Sandbox",
    ]
    create = steps[0]
    # The company's self-serve client credentials are the consent page's proof of the company
    # (apis_consent.py; SRD /docs/authentication-oauth-client-credential): required, no OAuth app.
    assert create.body.startswith("Required to connect a company, and self-serve")
    assert "Settings → Apps & Integrations → Credentials → New Credential → OAuth client ID" in create.items
    assert "Scopes: company_read, configuration_read" in create.items
    assert "contact JobCannon support" not in " ".join(s.body for s in steps)
    fields = PROVIDER.credential_fields(integration)
    assert [f.name for f in fields[:2]] == ["customer_client_id", "customer_client_secret"]
    assert all("optional" in f.label.lower() and f.help.startswith("Optional.") for f in fields[2:])
    app = steps[2]
    assert app.show == ("redirect_uri",) and app.phase == "before"
    assert "Scopes: " + ", ".join(constants.SCOPES) in app.items
    assert "webhook_url" in steps[4].show and {s.phase for s in steps[4:]} == {"after"}
    assert any("PATCH /orders/{orderId}/results" in item for item in steps[-1].items)

    seed_app = integration  # an app set up from seed 001: its colon scopes are aliases
    seed_app.provider_settings = {
        **seed_app.provider_settings,
        "oauth_scopes": ["candidates:read", "custom_fields:read"],
    }
    # The Webhooks API path's and the connection check's scopes are requested whatever the list says.
    assert PROVIDER.required_scopes(seed_app) == (
        "candidates_read",
        "configuration_read",
        "webhooks_manage",
        "jobs_read",
        "company_read",
    )
    assert (
        "Scopes: candidates_read, configuration_read, webhooks_manage, jobs_read, company_read"
        in PROVIDER.setup_steps(seed_app)[2].items
    )


# --- credentials, subscriptions, partner registration ---------------------------------------------


def test_simulator_credentials_are_the_self_serve_credentials_and_the_sandbox_app(sr_sim):
    integration = sr_sim()
    values = PROVIDER.simulator_credentials(integration)
    assert set(values) == {"customer_client_id", "customer_client_secret", "client_id", "client_secret"}
    assert [f.name for f in PROVIDER.credential_fields(integration)] == [
        "customer_client_id",
        "customer_client_secret",
        "client_id",
        "client_secret",
    ]
    credential = sim.customer_credential(values["customer_client_id"])
    assert credential is not None and credential["client_secret"] == values["customer_client_secret"]
    company = sim.company_for_client(values["client_id"])
    assert company is not None and company["client_secret"] == values["client_secret"]


def test_registered_webhooks_show_the_activated_subscription_and_the_checklist_agrees(connected):
    integration = connected()
    hooks = PROVIDER.registered_webhooks(integration)
    assert sorted(h.event for h in hooks) == sorted(constants.SUBSCRIBED_EVENTS)
    assert all(
        h.active and h.url.endswith(f"/webhooks/smartrecruiters/{integration.public_id}/") for h in hooks
    )
    items = {i.key: i for i in integration_checklist(integration=integration).items}
    assert items["webhooks"].state == "ok"
    assert items["smartrecruiters_partner"].state == "ok"


def test_the_seed_path_registers_nothing_and_the_checklist_and_health_say_so(connected):
    integration = connected(provider_settings={"webhook_api": constants.WEBHOOK_API_SEED})
    assert PROVIDER.registered_webhooks(integration) == []
    assert {i.key: i.state for i in integration_checklist(integration=integration).items}["webhooks"] != "ok"
    warning = next(
        w for w in PROVIDER.health_warnings(integration) if w.key == "smartrecruiters_subscription"
    )
    assert "HTTP 404" in warning.message and warning.level == "error"


def test_a_subscription_being_retried_warns_without_claiming_a_refusal(connected):
    integration = connected()
    state = {
        **integration.provider_settings["subscription"],
        "status": constants.SUBSCRIPTION_RETRYING,
        "error": "The subscription failed at SmartRecruiters (HTTP 503: down): a temporary error, ...",
    }
    integration.provider_settings = {**integration.provider_settings, "subscription": state}
    integration.save()
    warning = next(
        w for w in PROVIDER.health_warnings(integration) if w.key == "smartrecruiters_subscription"
    )
    assert "HTTP 503" in warning.message and warning.level != "error"


def test_a_subscription_that_did_not_activate_fails_the_check_and_warns(connected):
    integration = connected()
    state = {
        **integration.provider_settings["subscription"],
        "status": "failed",
        "error": "Callback answered 500",
    }
    integration.provider_settings = {**integration.provider_settings, "subscription": state}
    integration.save()
    item = {i.key: i for i in integration_checklist(integration=integration).items}["webhooks"]
    assert item.state == "fail" and "disabled" in item.detail
    warning = next(
        w for w in PROVIDER.health_warnings(integration) if w.key == "smartrecruiters_subscription"
    )
    assert "Callback answered 500" in warning.message and warning.level == "error"


def test_refused_partner_registration_fails_its_check_with_the_values_to_register_by_hand(connected):
    integration = connected()
    integration.provider_settings = {**integration.provider_settings, "partner_registered": False}
    integration.save()
    check = PROVIDER.checklist_checks(integration)[0]
    assert check.ok is False
    assert any(constants.PARTNER_CLIENT_PREFIX + integration.public_id.hex in step for step in check.fix)
    assert any(w.key == "smartrecruiters_partner" for w in PROVIDER.health_warnings(integration))

    # An order that reached the partner API proves SR was registered by hand.
    PROVIDER.send_test_assessment(integration)
    assert PROVIDER.checklist_checks(integration)[0].ok is True


def test_partner_check_waits_until_the_credentials_are_checked(sr_sim):
    integration = sr_sim()
    assert PROVIDER.checklist_checks(integration)[0].ok is None
    assert PROVIDER.health_warnings(integration) == []


# --- the sandbox's test actions ----------------------------------------------------------------------


def test_test_webhook_is_signed_verified_and_reaches_only_this_integration(connected):
    integration = connected()
    company = company_of(integration)
    elsewhere = "http://testserver/webhooks/smartrecruiters/00000000-0000-0000-0000-000000000000/"
    sim.put(
        "subscription",
        "sub-elsewhere",
        {
            "id": "sub-elsewhere",
            "company": company["id"],
            "style": constants.WEBHOOK_API_VENDOR,
            "callbackUrl": elsewhere,
            "events": list(constants.SUBSCRIBED_EVENTS),
            "status": "active",
            "keys": [],
        },
    )
    sentence = PROVIDER.send_test_webhook(integration)
    assert "candidate.updated test event to 1 subscription(s); JobCannon answered 202" in sentence
    event = WebhookEvent.objects.get(integration=integration, event_type="candidate.updated")
    assert event.verified and event.signature_scheme == "smartrecruiters-v1"
    assert not [d for d in sim.deliveries(company["id"]) if d["url"] == elsewhere]
    process_webhooks(integration)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED, "candidate.updated refreshes the synced candidate"
    states = {i.key: i.state for i in integration_checklist(integration=integration).items}
    assert states["webhook_received"] == "ok"
    PROVIDER.send_test_webhook(integration)  # the test candidate is reused, not added again
    assert len([c for c in sim.candidates(company["id"]) if c["lastName"] == "Test"]) == 1


def test_test_webhook_on_the_seed_setup_sends_nothing_since_sr_has_no_such_subscription(connected):
    integration = connected(provider_settings={"webhook_api": constants.WEBHOOK_API_SEED})
    ok, sentence = checklist_action_run(integration=integration, action="webhook")
    assert not ok and "press “Test credentials now” to subscribe" in sentence
    assert not WebhookEvent.objects.filter(integration=integration).exists()


def test_test_webhook_without_a_subscription_says_what_to_press(connected):
    integration = connected()
    sub_id = integration.provider_settings["subscription"]["id"]
    sim.put("subscription", sub_id, {**sim.get("subscription", sub_id), "status": "deleted"})
    ok, sentence = checklist_action_run(integration=integration, action="webhook")
    assert not ok and "press “Test credentials now” to subscribe" in sentence


def test_test_actions_without_a_sandbox_company_say_how_to_get_one(sr_sim):
    integration = sr_sim()
    integration.credentials = {**integration.credentials, "client_id": "sr-client-unknown"}
    integration.save()
    for action in (PROVIDER.send_test_webhook, PROVIDER.send_test_assessment):
        with pytest.raises(ValidationFailed, match="not connected to a SmartRecruiters sandbox company"):
            action(integration)


def test_test_assessment_advances_a_sandbox_candidate_and_the_order_waits_for_the_candidate(connected):
    integration = connected()
    sentence = PROVIDER.send_test_assessment(integration)
    assert "Assessment" in sentence and "partner API (HTTP 202)" in sentence
    run = AssessmentRun.objects.get(integration=integration)
    candidate = sim.get("candidate", run.external_candidate_id)
    assert candidate["stageId"] == "assessment" and candidate["email"] == run.candidate_email
    order = sim.get("order", run.external_assessment_id)
    assert order["status"] == "NEW" and order["settings"]["trigger"] == constants.TRIGGER_AUTO
    assert run.instrument == "big5"


def test_test_assessment_triggers_a_manual_stage_when_no_stage_orders_on_entry(connected):
    integration = connected()
    set_stage_actions(integration, {"assessment": None})
    PROVIDER.send_test_assessment(integration)
    run = AssessmentRun.objects.get(integration=integration)
    order = sim.get("order", run.external_assessment_id)
    assert order["settings"]["trigger"] == constants.TRIGGER_MANUAL and run.instrument == "disc"
    assert sim.get("candidate", run.external_candidate_id)["stageId"] == "new"


def test_test_assessment_without_any_jobcannon_stage_says_where_to_add_one(connected):
    integration = connected()
    set_stage_actions(integration, {"assessment": None, "interview": None})
    ok, sentence = checklist_action_run(integration=integration, action="assessment")
    assert not ok and "Add Action → Assessment → JobCannon" in sentence
    assert not AssessmentRun.objects.exists()


def test_test_assessment_refused_by_jobcannon_is_reported_not_claimed(connected):
    integration = connected()
    company = company_of(integration)
    sim.put("company", company["id"], {**company, "partner": {}})  # SR lost our registration
    ok, sentence = checklist_action_run(integration=integration, action="assessment")
    assert not ok and "did not accept it" in sentence and "no partner registration" in sentence


def test_the_sandbox_drives_the_checklist_to_all_green(connected):
    integration = connected()
    for action in ("webhook", "assessment", "complete"):
        ok, sentence = checklist_action_run(integration=integration, action=action)
        assert ok, sentence
        process_webhooks(integration)
    deliver_writebacks(integration)
    message = WritebackMessage.objects.get(integration=integration, kind="assessment.result")
    assert message.status in (WritebackStatus.DELIVERED, WritebackStatus.CONFIRMED)
    order = sim.get("order", message.run.external_assessment_id)
    assert order["status"] == "COMPLETED" and order["result_meta"]["region"] == "us"
    assert order["attachments"][0]["contentType"] == "application/pdf", "the report PDF is attached"
    checklist = integration_checklist(integration=Integration.objects.get(pk=integration.pk))
    assert checklist.all_ok, [(i.key, i.state, i.detail) for i in checklist.items if i.state != "ok"]
    assert integration_credentials_check(integration=integration)  # re-checking keeps it green
