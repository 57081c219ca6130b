"""The partner API Ashby calls: envelopes of the reference, auth by our partner key, idempotent
start, 409/422, and no 500 whatever the body. (The vendor's own examples and the published
schema: test_partner_spec.py and test_partner_schema.py.)"""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentRun
from assessments.services.lifecycle import assessment_run_expire
from integrations.models import IntegrationActivity, IntegrationStatus
from integrations.providers.ashby import constants
from integrations.providers.ashby.selectors import assessment_type_id
from integrations.services.writeback import writeback_deliver
from jobcannon.core.models import SentEmail

from .helpers import ashby_integration, basic, partner_post, start_body, with_partner_key


@pytest.fixture
def integration(db):
    return ashby_integration()


@pytest.fixture
def key(integration):
    return with_partner_key(integration)


def assert_error_envelope(response, status: int, code: str | None = None):
    """Ashby's error envelope: success false, errors [code], errorInfo {code, message, requestId};
    the requestId is the one our logs and the X-Request-ID header carry (support can find it)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False and body["errors"] == [body["errorInfo"]["code"]]
    assert body["errorInfo"]["message"]
    assert body["errorInfo"]["requestId"] == response["X-Request-ID"], "the request id of our logs"
    if code:
        assert body["errorInfo"]["code"] == code
    return body


# --- auth ---------------------------------------------------------------------------------
# Ashby's partner spec declares HTTP Basic but lists no 401: a refused key is the operation's own
# refusal (a 200 envelope here on assessment.list, whose `results` is null; 422 on
# assessment.start), errorInfo.code `unauthenticated` (test_partner_schema.py checks the spec).


@pytest.mark.django_db
def test_missing_key_is_refused_in_the_error_envelope_and_logged_on_the_integration(client, integration, key):
    response = partner_post(client, integration, "assessment-list", {}, None)
    body = assert_error_envelope(response, 200, "unauthenticated")
    assert body["results"] is None, "no catalogue without the key"
    assert "Missing Authorization" in body["errorInfo"]["message"]
    assert response["WWW-Authenticate"].startswith("Basic")
    line = IntegrationActivity.objects.get(integration=integration, kind="partner.auth_failed")
    assert "Missing Authorization" in line.message and key not in line.message


@pytest.mark.django_db
def test_wrong_key_is_refused_and_logged(client, integration, key):
    response = partner_post(client, integration, "assessment-list", {}, "jcash_000000000000_wrong")
    assert_error_envelope(response, 200, "unauthenticated")
    assert (
        IntegrationActivity.objects.filter(integration=integration, kind="partner.auth_failed").count() == 1
    )


@pytest.mark.django_db
def test_key_of_another_integration_is_refused(client, integration, key, workspace):
    other = ashby_integration(workspace=workspace)
    other_key = with_partner_key(other)
    response = partner_post(client, integration, "assessment-list", {}, other_key)
    assert_error_envelope(response, 200, "unauthenticated")


@pytest.mark.django_db
def test_key_in_the_password_field_is_accepted_too(client, integration, key):
    url = reverse("integrations:partner-ashby:assessment-list", kwargs={"public_id": integration.public_id})
    response = client.post(
        url, data="{}", content_type="application/json", headers=basic(key, in_password=True)
    )
    assert response.status_code == 200 and response.json()["success"] is True


@pytest.mark.django_db
def test_shared_url_finds_the_integration_by_its_key(client, integration, key):
    response = partner_post(client, integration, "assessment-start", start_body(), key, by_key=True)
    assert response.status_code == 200, response.content
    assert AssessmentRun.objects.get().integration == integration


@pytest.mark.django_db
def test_wrong_key_on_shared_url_with_a_known_key_id_is_logged_on_that_integration(client, integration, key):
    forged = key.rsplit("_", 1)[0] + "_forged"
    response = partner_post(client, integration, "assessment-list", {}, forged, by_key=True)
    assert_error_envelope(response, 200, "unauthenticated")
    assert IntegrationActivity.objects.filter(integration=integration, kind="partner.auth_failed").exists()


@pytest.mark.django_db
def test_rotated_key_stops_the_old_one(client, integration, key):
    new_key = with_partner_key(integration)
    assert_error_envelope(
        partner_post(client, integration, "assessment-list", {}, key), 200, "unauthenticated"
    )
    assert partner_post(client, integration, "assessment-list", {}, new_key).json()["success"] is True


@pytest.mark.django_db
def test_disconnected_integration_refuses_calls(client, integration, key):
    integration.status = IntegrationStatus.DISCONNECTED
    integration.save()
    body = assert_error_envelope(partner_post(client, integration, "assessment-list", {}, key), 200)
    assert "disconnected" in body["errorInfo"]["message"]
    started = partner_post(client, integration, "assessment-start", start_body(), key)
    assert "disconnected" in assert_error_envelope(started, 422, "unauthenticated")["message"]
    assert not AssessmentRun.objects.exists()


@pytest.mark.django_db
def test_partner_key_is_encrypted_at_rest(integration, key):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM integrations_integration WHERE id = %s", [integration.pk])
        stored = cursor.fetchone()[0]
    assert key not in stored


# --- assessment.list / customField.list -------------------------------------------------------


@pytest.mark.django_db
def test_assessment_list_envelope_with_a_stable_uuid_per_workspace_and_instrument(client, integration, key):
    body = partner_post(client, integration, "assessment-list", {}, key).json()
    assert body["success"] is True
    ids = {r["name"]: r["assessment_type_id"] for r in body["results"]}
    assert set(ids.values()) == {
        assessment_type_id(workspace_id=integration.workspace_id, instrument=k)
        for k in ("big5", "disc", "eq")
    }
    assert "big5" not in ids.values(), "Ashby's spec: format uuid"
    assert all(set(r) == {"assessment_type_id", "name", "description"} for r in body["results"])
    again = partner_post(client, integration, "assessment-list", {}, key).json()
    assert {r["name"]: r["assessment_type_id"] for r in again["results"]} == ids, "stable"


@pytest.mark.django_db
def test_the_same_instrument_has_another_type_id_in_another_workspace(client, integration, key):
    other = ashby_integration()
    other_key = with_partner_key(other)
    mine = {
        r["assessment_type_id"]
        for r in partner_post(client, integration, "assessment-list", {}, key).json()["results"]
    }
    theirs = {
        r["assessment_type_id"]
        for r in partner_post(client, other, "assessment-list", {}, other_key).json()["results"]
    }
    assert mine and not mine & theirs
    # A type id of another workspace is unknown here.
    response = partner_post(
        client, integration, "assessment-start", start_body(type_id=sorted(theirs)[0]), key
    )
    assert response.status_code == 422 and "Unknown assessment type" in response.json()["message"]


@pytest.mark.django_db
def test_start_with_the_uuid_from_assessment_list_and_its_retry_are_one_run(client, integration, key):
    type_id = assessment_type_id(workspace_id=integration.workspace_id, instrument="disc")
    first = partner_post(client, integration, "assessment-start", start_body(type_id=type_id), key).json()
    retry = partner_post(
        client, integration, "assessment-start", start_body(type_id=type_id.upper()), key
    ).json()
    run = AssessmentRun.objects.get()
    assert (
        first["results"]["assessment_id"] == retry["results"]["assessment_id"] == run.external_assessment_id
    )
    assert (run.instrument, run.external_type_id, run.external_request_key) == ("disc", type_id, "app-1:disc")


@pytest.mark.django_db
def test_a_run_started_with_an_old_instrument_key_is_still_found_by_its_retry_with_the_uuid(
    client, integration, key
):
    """Runs started before the UUIDs were keyed `<application>:big5`: the same order arriving
    with the UUID is the same run, not a second invitation."""
    old = partner_post(client, integration, "assessment-start", start_body(type_id="big5"), key).json()
    type_id = assessment_type_id(workspace_id=integration.workspace_id, instrument="big5")
    new = partner_post(client, integration, "assessment-start", start_body(type_id=type_id), key).json()
    assert new["results"]["assessment_id"] == old["results"]["assessment_id"]
    assert AssessmentRun.objects.count() == 1 and SentEmail.objects.count() == 1
    cancelled = partner_post(
        client, integration, "assessment-cancel", {"assessment_id": old["results"]["assessment_id"]}, key
    )
    assert cancelled.json()["success"] is True


@pytest.mark.django_db
def test_custom_field_list_offers_due_date_and_email_template(client, integration, key):
    body = partner_post(client, integration, "custom-field-list", {}, key).json()
    assert body["success"] is True
    fields = {f["id"]: f for f in body["fields"]}
    assert fields["due_date"]["type"] == "Date"
    assert fields["email_template"]["type"] == "ValueSelect"
    assert {v["key"] for v in fields["email_template"]["possible_values"]} == {"default", "branded"}


# --- assessment.start -----------------------------------------------------------------------


@pytest.mark.django_db
def test_start_creates_run_invites_candidate_and_returns_reference_envelope(client, integration, key):
    response = partner_post(client, integration, "assessment-start", start_body(), key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True and set(body["results"]) == {"assessment_id", "update_request"}
    run = AssessmentRun.objects.get()
    assert body["results"]["assessment_id"] == run.external_assessment_id
    assert run.external_request_key == "app-1:big5"
    assert (run.external_candidate_id, run.external_application_id, run.external_job_id) == (
        "cand-1",
        "app-1",
        "job-1",
    )
    assert run.ats_context["job_name"] == "Backend Engineer"
    update = body["results"]["update_request"]
    assert update["assessment_id"] == run.external_assessment_id and isinstance(update["timestamp"], int)
    assert update["assessment_status"] == {
        "identifier": "status",
        "label": "Status",
        "type": "string",
        "value": "Invited",
    }
    assert SentEmail.objects.filter(to__contains="robin.sample@example.com").count() == 1


@pytest.mark.django_db
def test_start_retried_by_ashby_returns_the_same_assessment_and_sends_one_invitation(
    client, integration, key
):
    first = partner_post(client, integration, "assessment-start", start_body(), key).json()
    second = partner_post(client, integration, "assessment-start", start_body(), key).json()
    assert first["results"]["assessment_id"] == second["results"]["assessment_id"]
    assert AssessmentRun.objects.count() == 1
    assert SentEmail.objects.count() == 1


@pytest.mark.django_db
def test_start_uses_due_date_and_email_template_from_additional_fields(client, integration, key):
    body = start_body(additional_fields={"due_date": "2099-05-01", "email_template": "branded"})
    assert partner_post(client, integration, "assessment-start", body, key).status_code == 200
    run = AssessmentRun.objects.get()
    assert run.due_at.date().isoformat() == "2099-05-01" and run.email_template == "branded"


@pytest.mark.django_db
def test_start_for_candidate_already_being_assessed_is_409(client, integration, key, settings):
    assert partner_post(client, integration, "assessment-start", start_body(), key).status_code == 200
    # Same application and type under another request key (e.g. a second interview plan step).
    run = AssessmentRun.objects.get()
    AssessmentRun.objects.filter(pk=run.pk).update(external_request_key="other")
    response = partner_post(client, integration, "assessment-start", start_body(), key)
    assert response.status_code == 409
    assert "already" in response.json()["message"]


@pytest.mark.parametrize(
    ("body_change", "text"),
    [
        (
            {"candidate": {"ashby_id": "cand-1", "first_name": "Robin", "last_name": "Sample"}},
            "Candidate email is missing",
        ),
        ({"candidate": {"ashby_id": "cand-1", "email": "not-an-email"}}, "not a valid email"),
        ({"assessment_type_id": "iq-test"}, "Unknown assessment"),
        ({"additional_fields": {"due_date": "next tuesday"}}, "not a date"),
        ({"additional_fields": {"due_date": "2001-01-01"}}, "past"),
        ({"additional_fields": {"email_template": "shouty"}}, "email template"),
    ],
)
@pytest.mark.django_db
def test_start_errors_a_recruiter_must_see_are_422_with_message(client, integration, key, body_change, text):
    body = {**start_body(), **body_change}
    response = partner_post(client, integration, "assessment-start", body, key)
    assert response.status_code == 422, response.content
    body = response.json()
    assert text in body["message"] and body["errorInfo"]["message"] == body["message"]
    assert body["success"] is False and body["errorInfo"]["requestId"]
    assert AssessmentRun.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'"text"',
        b"null",
        b'{"assessment_type_id": {}}',
        b'{"assessment_type_id": "big5", "candidate": "x", "application": {"ashby_id": "a"}}',
        b'{"assessment_type_id": "big5", "candidate": {"ashby_id": "c", "email": "a@example.com"}}',
        b'{"assessment_type_id": "big5", "candidate": {"ashby_id": "c", "email": "a@example.com"}, "application": {}}',
        b'{"assessment_type_id": "big5", "candidate": {"ashby_id": "c", "email": ["x"]}, "application": {"ashby_id": "a"}}',
        b'{"assessment_type_id": "big5", "candidate": {"ashby_id": "c", "email": "a@example.com"}, "application": {"ashby_id": "a"}, "additional_fields": {"due_date": 99999999999999999999}}',
        b'{"assessment_type_id": "big5", "candidate": {"ashby_id": "c", "email": "a@example.com"}, "application": {"ashby_id": "a"}, "additional_fields": [1]}',
        b'{"assessment_type_id": "big5", "candidate": {"ashby_id": "c", "email": "a@example.com"}, "application": {"ashby_id": "a"}, "job": {"hiringTeam": "x"}}',
        b'{"assessment_type_id": "\\u0000"}',
        b"\xff\xfe garbage",
        # DRF's own sentences end with a full stop; joined into ours they must not end in "..".
        json.dumps({**start_body(), "candidate": {"ashby_id": "c" * 5000}}).encode(),
    ],
)
@pytest.mark.django_db
def test_start_with_malformed_body_is_a_422_the_recruiter_can_read(client, integration, key, raw):
    """Ashby's spec lists 200, 409 and 422 for assessment.start: a body we cannot use is a 422
    whose `message` Ashby shows (it was a 400 Ashby does not expect), written as one sentence."""
    response = partner_post(client, integration, "assessment-start", None, key, raw=raw)
    assert response.status_code == 422, (raw, response.status_code, response.content)
    body = response.json()
    assert body["message"] and body["errorInfo"]["code"]
    assert ".." not in body["message"] and ".." not in body["errorInfo"]["message"], body["message"]


@pytest.mark.parametrize("assessment_type_id", [5, 5.5, True, None, {}, ["big5"]])
@pytest.mark.django_db
def test_start_with_a_type_id_that_is_not_a_string_is_invalid_input(
    client, integration, key, assessment_type_id
):
    """The spec: `assessment_type_id: {type: string, format: uuid}`. A number is not a type id
    Ashby could have taken from assessment.list: the request is malformed (invalid_input, naming
    the field), not an unknown assessment type."""
    body = {**start_body(), "assessment_type_id": assessment_type_id}
    answer = assert_error_envelope(
        partner_post(client, integration, "assessment-start", body, key), 422, "invalid_input"
    )
    assert answer["message"].startswith(
        "The request does not match Ashby's partner schema: assessment_type_id"
    )
    assert ".." not in answer["message"]
    assert AssessmentRun.objects.count() == 0


@pytest.mark.django_db
def test_non_json_content_type_gets_a_422_on_start_and_a_200_envelope_on_cancel(client, integration, key):
    form = {"raw": b"a=b", "content_type": "application/x-www-form-urlencoded"}
    body = assert_error_envelope(
        partner_post(client, integration, "assessment-start", None, key, **form), 422, "invalid_input"
    )
    assert "JSON" in body["message"]
    assert_error_envelope(
        partner_post(client, integration, "assessment-cancel", None, key, **form), 200, "invalid_input"
    )
    # assessment.list reads no input: it answers whatever the body.
    assert partner_post(client, integration, "assessment-list", None, key, **form).json()["success"] is True


@pytest.mark.django_db
def test_get_is_refused_with_envelope(client, integration, key):
    url = reverse("integrations:partner-ashby:assessment-list", kwargs={"public_id": integration.public_id})
    response = client.get(url, headers=basic(key))
    assert_error_envelope(response, 200, "method_not_allowed")
    assert response["Allow"] == "POST"


@pytest.mark.django_db
def test_over_its_rate_limit_ashby_gets_a_listed_status_with_its_own_code_and_retry_after(
    client, integration, key, settings
):
    """No partner operation lists a 429: past the integration's inbound budget, assessment.start
    answers 422 (the message Ashby shows the recruiter says when to retry) and assessment.cancel
    200 with the error envelope; both carry Ashby's own code, rate_limit_exceeded, and Retry-After."""
    settings.INBOUND_RATE_LIMITS = {"default": {"per_second": 0.001, "burst": 1}}
    first = partner_post(client, integration, "assessment-start", start_body(), key)
    assert first.status_code == 200
    aid = first.json()["results"]["assessment_id"]

    started = partner_post(client, integration, "assessment-start", start_body(application="app-2"), key)
    body = assert_error_envelope(started, 422, "rate_limit_exceeded")
    assert body["message"] == body["errorInfo"]["message"]
    assert body["message"].endswith(f"Retry in {started['Retry-After']} seconds.")
    assert body["errorInfo"]["meta"] == {"retry_after": int(started["Retry-After"])}
    assert AssessmentRun.objects.count() == 1, "nothing more was started"

    cancelled = partner_post(client, integration, "assessment-cancel", {"assessment_id": aid}, key)
    assert_error_envelope(cancelled, 200, "rate_limit_exceeded")
    assert int(cancelled["Retry-After"]) >= 1
    assert AssessmentRun.objects.get().status != "cancelled", "nothing was cancelled"

    # The list operations read nothing and cannot refuse in the spec: they still answer.
    assert partner_post(client, integration, "assessment-list", {}, key).json()["success"] is True


@pytest.mark.django_db
def test_unknown_integration_in_url_is_refused(client, integration, key):
    url = "/partners/ashby/00000000-0000-4000-8000-000000000000/assessment.list"
    assert_error_envelope(
        client.post(url, data="{}", content_type="application/json", headers=basic(key)),
        200,
        "unauthenticated",
    )


# --- assessment.cancel ----------------------------------------------------------------------


@pytest.mark.django_db
def test_cancel_revokes_the_run_and_returns_cancelled_update(client, integration, key):
    started = partner_post(client, integration, "assessment-start", start_body(), key).json()
    aid = started["results"]["assessment_id"]
    response = partner_post(client, integration, "assessment-cancel", {"assessment_id": aid}, key)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["results"]["assessment_id"] == aid
    reason = body["results"]["update_request"]["cancelled_reason"]
    assert reason["type"] == "string" and reason["value"] == "Cancelled in Ashby"
    assert body["results"]["update_request"]["timestamp"] > started["results"]["update_request"]["timestamp"]
    run = AssessmentRun.objects.get()
    assert run.status == "cancelled"
    assert run.writebacks.count() == 0, "Ashby asked for it: nothing to write back"
    again = partner_post(client, integration, "assessment-cancel", {"assessment_id": aid}, key)
    assert again.status_code == 200, "cancel is idempotent"


@pytest.mark.django_db
def test_cancel_unknown_assessment_is_a_200_error_envelope(client, integration, key):
    """Ashby's spec lists only 200 for assessment.cancel: success, or the error envelope."""
    response = partner_post(
        client,
        integration,
        "assessment-cancel",
        {"assessment_id": "00000000-0000-4000-8000-000000000000"},
        key,
    )
    assert_error_envelope(response, 200, "assessment_not_found")


@pytest.mark.django_db
def test_cancel_of_another_integrations_assessment_is_not_found(client, integration, key, workspace):
    other = ashby_integration(workspace=workspace)
    other_key = with_partner_key(other)
    aid = partner_post(client, other, "assessment-start", start_body(), other_key).json()["results"][
        "assessment_id"
    ]
    response = partner_post(client, integration, "assessment-cancel", {"assessment_id": aid}, key)
    assert_error_envelope(response, 200, "assessment_not_found")
    assert AssessmentRun.objects.get(external_assessment_id=aid).status == "invited"


@pytest.mark.django_db
def test_cancel_without_assessment_id_is_a_200_invalid_input_envelope(client, integration, key):
    body = assert_error_envelope(
        partner_post(client, integration, "assessment-cancel", {}, key), 200, "invalid_input"
    )
    assert "assessment_id" in body["errorInfo"]["message"]
    assert ".." not in body["errorInfo"]["message"]


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b"null",
        b'{"assessment_id": ""}',
        json.dumps({"assessment_id": "a" * 5000}).encode(),
        b'{"assessment_id": 5}',
        b'{"assessment_id": 5.5}',
        b'{"assessment_id": true}',
        b'{"assessment_id": null}',
        b'{"assessment_id": {}}',
        b'{"assessment_id": ["x"]}',
    ],
)
@pytest.mark.django_db
def test_cancel_with_a_malformed_body_or_an_assessment_id_that_is_not_a_string_is_invalid_input(
    client, integration, key, raw
):
    """The spec: `assessment_id: {type: string, format: uuid}`. Anything but a string is a
    malformed request (200 envelope, invalid_input, naming the field), never "no assessment 5"."""
    started = partner_post(client, integration, "assessment-start", start_body(), key).json()
    body = assert_error_envelope(
        partner_post(client, integration, "assessment-cancel", None, key, raw=raw), 200, "invalid_input"
    )
    message = body["errorInfo"]["message"]
    assert message.startswith("The request does not match Ashby's partner schema: "), message
    assert ".." not in message and message.endswith("."), message
    if raw.startswith(b"{"):
        assert "assessment_id" in message
    run = AssessmentRun.objects.get(external_assessment_id=started["results"]["assessment_id"])
    assert run.status == "invited", "nothing cancelled"


@pytest.mark.django_db
def test_cancel_with_a_string_that_is_not_a_uuid_is_still_looked_up_as_a_legacy_id(client, integration, key):
    """Runs started before the UUID type ids may carry ids that are no UUID: a string is looked
    up whatever its format (found: cancelled; not found: assessment_not_found)."""
    aid = partner_post(client, integration, "assessment-start", start_body(), key).json()["results"][
        "assessment_id"
    ]
    AssessmentRun.objects.filter(external_assessment_id=aid).update(external_assessment_id="legacy-run-7")
    cancelled = partner_post(client, integration, "assessment-cancel", {"assessment_id": "legacy-run-7"}, key)
    assert cancelled.status_code == 200 and cancelled.json()["success"] is True, cancelled.content
    assert AssessmentRun.objects.get().status == "cancelled"
    unknown = partner_post(client, integration, "assessment-cancel", {"assessment_id": "not-a-uuid"}, key)
    body = assert_error_envelope(unknown, 200, "assessment_not_found")
    assert "'not-a-uuid'" in body["errorInfo"]["message"]


@pytest.mark.django_db
def test_cancel_of_a_completed_assessment_is_a_200_error_envelope(client, integration, key):
    aid = partner_post(client, integration, "assessment-start", start_body(), key).json()["results"][
        "assessment_id"
    ]
    AssessmentRun.objects.filter(external_assessment_id=aid).update(status="scored")
    response = partner_post(client, integration, "assessment-cancel", {"assessment_id": aid}, key)
    assert_error_envelope(response, 200, "assessment_completed")
    assert AssessmentRun.objects.get().status == "scored"


# --- OpenAPI --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_openapi_schema_describes_the_partner_endpoints(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    assert "/partners/ashby/assessment.start" in paths
    start = paths["/partners/ashby/assessment.start"]["post"]
    assert set(start["responses"]) == {"200", "409", "422"}, "the statuses Ashby's spec lists, no 401"
    assert schema["components"]["securitySchemes"]["AshbyPartnerKey"]["scheme"] == "basic"


@pytest.mark.django_db
def test_sending_again_after_a_cancel_is_a_new_order_and_still_idempotent(client, integration, key):
    first = partner_post(client, integration, "assessment-start", start_body(), key).json()["results"][
        "assessment_id"
    ]
    partner_post(client, integration, "assessment-cancel", {"assessment_id": first}, key)
    second = partner_post(client, integration, "assessment-start", start_body(), key).json()["results"][
        "assessment_id"
    ]
    retried = partner_post(client, integration, "assessment-start", start_body(), key).json()["results"][
        "assessment_id"
    ]
    assert second != first and retried == second
    assert list(AssessmentRun.objects.order_by("id").values_list("external_request_key", "status")) == [
        ("app-1:big5", "cancelled"),
        ("app-1:big5#2", "invited"),
    ]


@pytest.mark.django_db
def test_cancel_of_an_expired_assessment_answers_the_expiry_ashby_was_sent(
    client, integration, key, mocked_responses
):
    """Ashby cancels an assessment that had expired: the run stays expired, and the 200 success
    answer's update_request is the expiry update the write-back sent (same reason, same
    timestamp), not a "Cancelled in Ashby" dated before it (Ashby keeps the latest by timestamp)."""
    due = (timezone.now() + timedelta(days=3)).date().isoformat()
    started = partner_post(
        client, integration, "assessment-start", start_body(additional_fields={"due_date": due}), key
    ).json()
    aid = started["results"]["assessment_id"]
    run = AssessmentRun.objects.get(external_assessment_id=aid)
    assert assessment_run_expire(run=run, now=run.due_at + timedelta(minutes=1))
    mocked_responses.post(constants.API_BASE + "/assessment.update", json={"success": True})
    writeback_deliver(message_id=run.writebacks.get(event="expired").pk)
    expiry_sent = json.loads(mocked_responses.calls[0].request.body)

    response = partner_post(client, integration, "assessment-cancel", {"assessment_id": aid}, key)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["results"]["assessment_id"] == aid
    update = body["results"]["update_request"]
    assert update == expiry_sent, "the expiry, exactly as the write-back told Ashby"
    assert update["cancelled_reason"]["value"].startswith("Expired")
    run.refresh_from_db()
    assert update["timestamp"] == int(run.expired_at.timestamp() * 1000)
    assert update["timestamp"] > started["results"]["update_request"]["timestamp"]
    assert run.status == "expired" and run.cancelled_at is None
    assert list(run.writebacks.values_list("event", flat=True)) == ["expired"], "nothing new to send"
    assert not IntegrationActivity.objects.filter(kind="partner.assessment_cancelled").exists()
