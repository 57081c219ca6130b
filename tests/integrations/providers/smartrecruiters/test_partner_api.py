"""The partner endpoints SmartRecruiters calls (Assessment API 2021): token, packages, orders, with
the bodies and status codes of SR's OpenAPI for them (SRO: TokenInput/AccessToken, AssessmentPackage,
AssessmentPackageOrderRequest answered 202)."""

import base64
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.urls import reverse

from assessments.models import AssessmentRun
from integrations.models import IntegrationStatus
from integrations.providers.smartrecruiters import apis, services
from jobcannon.workspaces.models import Role
from tests.factories import IntegrationFactory, MembershipFactory

from .helpers import mailbox_to

pytestmark = pytest.mark.django_db
BASE = "/partners/smartrecruiters/"


@pytest.fixture
def partner(db):
    integration = IntegrationFactory(provider="smartrecruiters", auth_kind="oauth2", region="eu")
    client_id, secret = services.partner_credentials_issue(integration=integration)
    integration.refresh_from_db()
    return integration, client_id, secret


def form_post(client, path, data, **kwargs):
    """RFC 6749 token requests are form-urlencoded (multipart is refused at the door)."""
    return client.post(path, urlencode(data), content_type="application/x-www-form-urlencoded", **kwargs)


def token_for(client, client_id, secret):
    response = form_post(
        client,
        BASE + "oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


RESULTS = "https://api.smartrecruiters.com/assessment-api/v202010/orders/{}/results"


def order_body(order_id="ord-100", package="jobcannon-eq", email="sam.candidate@example.com", **changes):
    """SRO AssessmentPackageOrderRequest, as SR places an order."""
    body = {
        "resultCallbackURL": RESULTS.format(order_id),
        "candidate": {"id": "cand-100", "firstName": "Sam", "lastName": "Example", "email": email},
        "job": {"id": "job-100", "title": "Support Lead"},
        "requester": {"userId": "user-1", "email": "recruiter@example.com"},
        "assessmentPackageId": package,
        "jobId": "job-100",
        "companyId": "AcmeCorp",
        "fields": {"emailTemplate": "default"},
    }
    body.update(changes)
    return body


def test_token_with_the_issued_credentials_then_packages_list_our_instruments(client, partner):
    integration, client_id, secret = partner
    token = token_for(client, client_id, secret)
    response = client.get(BASE + "packages", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    listed = response.json()
    assert isinstance(listed, list), "SRO: the package list is a JSON array of AssessmentPackage"
    assert {"jobcannon-big5", "jobcannon-disc", "jobcannon-eq"} <= {p["id"] for p in listed}
    detail = client.get(BASE + "packages/jobcannon-disc", headers={"Authorization": f"Bearer {token}"})
    package = detail.json()
    assert set(package) == {"id", "name", "description", "type", "assessments"}
    assert package["type"] == "BEHAVIORAL_ASSESSMENT"
    assert package["assessments"] == [
        {
            "id": "disc",
            "type": "BEHAVIORAL_ASSESSMENT",
            "name": package["name"],
            "description": package["description"],
        }
    ]
    missing = client.get(BASE + "packages/someone-elses", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404


def test_token_endpoint_accepts_basic_auth_and_rejects_a_wrong_secret_in_the_rfc_shape(client, partner):
    _, client_id, secret = partner
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    ok = form_post(
        client,
        BASE + "oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert ok.status_code == 200 and {"access_token", "expires_in"} <= set(ok.json())
    # SRO: 400 TokenErrorResponse (RFC 6749 5.2) for credentials in the body ...
    bad = form_post(
        client,
        BASE + "oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "nope"},
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    # ... and 401 with WWW-Authenticate for credentials in the Authorization header.
    wrong = base64.b64encode(f"{client_id}:nope".encode()).decode()
    basic_bad = form_post(
        client,
        BASE + "oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {wrong}"},
    )
    assert basic_bad.status_code == 401 and basic_bad["WWW-Authenticate"].startswith("Basic")


def test_order_starts_a_run_invites_the_candidate_and_a_repeat_is_idempotent(client, partner):
    integration, client_id, secret = partner
    auth = {"Authorization": f"Bearer {token_for(client, client_id, secret)}"}
    first = client.post(BASE + "packages/orders", order_body(), content_type="application/json", headers=auth)
    again = client.post(BASE + "packages/orders", order_body(), content_type="application/json", headers=auth)
    assert (first.status_code, again.status_code) == (202, 202), "SRO: 202 Order acceptance"
    run = AssessmentRun.objects.get(integration=integration)
    assert (run.instrument, run.external_assessment_id, run.external_candidate_id) == (
        "eq",
        "ord-100",
        "cand-100",
    )
    assert run.ats_context["assessment_result_url"] == RESULTS.format("ord-100")
    assert run.ats_context["region"] == "eu" and run.email_template == "default"
    assert 6 <= (run.due_at - run.created_at).days <= 7, "due date defaults to 7 days"
    assert len(mailbox_to("sam.candidate@example.com")) == 1


def test_an_order_whose_results_url_is_not_on_srs_api_host_is_refused(client, partner):
    """The company credentials go to the results URL: never to a host other than SR's API."""
    _, client_id, secret = partner
    auth = {"Authorization": f"Bearer {token_for(client, client_id, secret)}"}
    body = order_body(resultCallbackURL="https://attacker.example.com/orders/ord-100/results")
    response = client.post(BASE + "packages/orders", body, content_type="application/json", headers=auth)
    assert response.status_code == 400 and "API host" in response.json()["error"]["message"]
    assert not AssessmentRun.objects.exists()


def test_second_order_for_an_active_run_of_the_same_application_is_a_conflict(client, partner):
    integration, client_id, secret = partner
    auth = {"Authorization": f"Bearer {token_for(client, client_id, secret)}"}
    client.post(BASE + "packages/orders", order_body(), content_type="application/json", headers=auth)
    response = client.post(
        BASE + "packages/orders",
        order_body(order_id="ord-101"),
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_conflict"


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (
            {"assessmentPackageId": "jobcannon-big5", "resultCallbackURL": RESULTS.format("o")},
            400,
            "candidate",
        ),
        (order_body(package="someone-elses-test"), 404, "someone-elses-test"),
        (order_body(email="not-an-email"), 400, "email"),
        (order_body(resultCallbackURL="not a url"), 400, "resultCallbackURL"),
        (order_body(companyId="OtherCorp"), 400, "OtherCorp"),
    ],
)
def test_invalid_orders_get_a_json_error_and_no_run(client, partner, body, status, fragment):
    integration, client_id, secret = partner
    integration.provider_settings = {"company_id": "AcmeCorp"}
    integration.save()
    auth = {"Authorization": f"Bearer {token_for(client, client_id, secret)}"}
    response = client.post(BASE + "packages/orders", body, content_type="application/json", headers=auth)
    assert response.status_code == status
    error = response.json()["error"]
    assert fragment in (error["message"] + str(error.get("details", "")))
    assert not AssessmentRun.objects.exists()


def test_requests_without_a_valid_token_are_refused(client, partner, settings):
    integration, client_id, secret = partner
    assert client.get(BASE + "packages").status_code == 401
    assert client.get(BASE + "packages", headers={"Authorization": "Bearer forged"}).status_code == 401
    token = token_for(client, client_id, secret)
    services.partner_credentials_issue(integration=integration)  # a new secret
    revoked = client.get(BASE + "packages", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]


def test_expired_partner_token_is_refused(client, partner, monkeypatch):
    integration, _, _ = partner
    token = apis.partner_token_issue(integration)
    real_loads = signing.loads
    monkeypatch.setattr(
        signing, "loads", lambda *a, **kw: real_loads(*a, **{**kw, "max_age": timedelta(seconds=-1)})
    )
    response = client.get(BASE + "packages", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_company_removing_the_integration_disconnects_it(client, partner):
    integration, client_id, secret = partner
    integration.provider_settings = {"company_id": "AcmeCorp"}
    integration.save()
    auth = {"Authorization": f"Bearer {token_for(client, client_id, secret)}"}
    assert client.delete(BASE + "integrations/companies/OtherCorp", headers=auth).status_code == 404
    assert client.delete(BASE + "integrations/companies/AcmeCorp", headers=auth).status_code == 204
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED
    # The customer's page says who disconnected it: the company, in SmartRecruiters, not one of us.
    assert integration.status_reason.startswith("JobCannon was removed in SmartRecruiters (company AcmeCorp)")
    client.force_login(MembershipFactory(workspace=integration.workspace, role=Role.ADMIN).user)
    page = client.get(reverse("integrations:detail", args=[integration.pk])).content.decode()
    assert "JobCannon was removed in SmartRecruiters (company AcmeCorp)" in page
    assert "Disconnected by a workspace admin" not in page
    assert reverse("integrations:partner-smartrecruiters:packages") == BASE + "packages"


def test_the_partner_secret_is_kept_only_as_a_hash_and_wrong_ones_are_logged_once_per_window(client, partner):
    from integrations.models import IntegrationActivity

    integration, client_id, secret = partner
    assert secret not in json.dumps(integration.credentials)
    assert integration.credentials["partner_client_secret_sha256"].startswith("sha256:")
    for _ in range(5):
        refused = form_post(
            client,
            BASE + "oauth/token",
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"},
        )
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"
    lines = IntegrationActivity.objects.filter(integration=integration, kind="partner.auth_failed")
    assert lines.count() == 1 and lines.get().data["count"] == 5
    assert token_for(client, client_id, secret)  # the right secret still gets a token


def test_the_data_migration_turns_a_stored_partner_secret_into_its_hash(client, partner):
    """Migration 0007: a secret stored (encrypted) before hashing still gets a token afterwards,
    and only its SHA-256 is left in the credentials."""
    import importlib

    from django.apps import apps

    from integrations.models import Integration

    integration, client_id, _ = partner
    legacy = "jcsr_LEGACY_secret_stored_before_0007"
    credentials = {k: v for k, v in integration.credentials.items() if k != "partner_client_secret_sha256"}
    Integration.objects.filter(pk=integration.pk).update(
        credentials={**credentials, "partner_client_secret": legacy}
    )
    migration = importlib.import_module("integrations.migrations.0007_smartrecruiters_partner_secret_hashes")
    migration.hash_partner_secrets(apps, None)
    integration.refresh_from_db()
    assert "partner_client_secret" not in integration.credentials
    assert legacy not in json.dumps(integration.credentials)
    assert token_for(client, client_id, legacy)
    refused = form_post(
        client,
        BASE + "oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": legacy + "x"},
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"
