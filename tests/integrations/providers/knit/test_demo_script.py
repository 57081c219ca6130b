"""What a script can do with `demo_seed --json` against the sandbox Knit: start an assessment the
way Ashby does (through the simulated Knit's Ashby workflow, with the printed secretKey), so the
result written back later reaches an assessment the sandbox's Ashby knows. A hand-signed seed
`record.new` is still accepted, but its write-back is refused as Ashby would, saying how to start
one through the sandbox instead."""

import base64
import hashlib
import hmac
import json

import pytest
import requests
from django.core.management import call_command

from assessments.models import AssessmentRun, RunStatus
from integrations.models import Integration, WebhookEvent, WritebackStatus
from integrations.providers.knit import constants
from integrations.providers.knit.selectors import knit_assessment_secrets
from integrations.providers.knit.simulator import SIM_SUBMISSION, sim_list
from integrations.services.integrations import integration_credentials_check
from integrations.services.webhooks import webhook_event_process

from .test_roundtrip import SEED, complete, deliver_pending, process_latest

ASHBY_START = {
    "application": {"ashby_id": "app_script_1", "status": "Active"},
    "assessment_type_id": "big5",
    "candidate": {
        "ashby_id": "cand_script_1",
        "email": "robin.script@example.com",
        "first_name": "Robin",
        "last_name": "Script",
    },
    "job": {"ashby_id": "job_script_1", "name": "Data Analyst"},
}


def demo_seed_knit(capsys) -> dict:
    call_command("demo_seed", "--json")
    return json.loads(capsys.readouterr().out)["integrations"]["knit"]


@pytest.mark.django_db
def test_a_script_starts_through_the_sandbox_ashby_and_the_result_is_written_back(simulators, capsys):
    knit = demo_seed_knit(capsys)
    assert knit["ashby_workflow_url"] == "http://testserver/sim/knit/workflows/webhook/ashby/"

    # The script plays Ashby: assessment.start to the partner base URL, Basic auth with the secretKey.
    started = requests.post(
        knit["ashby_workflow_url"] + "assessment.start",
        json=ASHBY_START,
        auth=(knit["ashby_secret_key"], ""),
        timeout=5,
    )
    assert started.status_code == 200, started.text
    assessment_id = started.json()["results"]["assessment_id"]

    integration = Integration.objects.get(pk=knit["id"])
    process_latest(integration)
    run = AssessmentRun.objects.get(integration=integration, external_assessment_id=assessment_id)
    complete(run)  # the candidate takes the test
    messages = deliver_pending(integration)

    assert [(m.event, m.status) for m in messages] == [
        ("started", "delivered"),
        ("completed", "delivered"),
    ], [m.last_error for m in messages]
    received = {
        s.data["status"] for s in sim_list(SIM_SUBMISSION) if s.data["assessment_id"] == assessment_id
    }
    assert received == {"STARTED", "COMPLETED"}
    run.refresh_from_db()
    assert run.status == RunStatus.DELIVERED


@pytest.mark.django_db
def test_the_demo_secret_key_is_the_integrations_own_and_survives_reseeding_and_checking(simulators, capsys):
    knit = demo_seed_knit(capsys)
    integration = Integration.objects.get(pk=knit["id"])
    [secret] = knit_assessment_secrets(integration=integration)
    assert (secret.secret_key, secret.state) == (knit["ashby_secret_key"], "active")
    assert secret.base_url == knit["ashby_workflow_url"]

    assert demo_seed_knit(capsys)["ashby_secret_key"] == knit["ashby_secret_key"]
    # "Test credentials now" connects without making Ashby a second key.
    assert integration_credentials_check(integration=Integration.objects.get(pk=knit["id"]))
    integration.refresh_from_db()
    assert [s.secret_key for s in knit_assessment_secrets(integration=integration)] == [
        knit["ashby_secret_key"]
    ]


def knit_signature(key: str, body: bytes) -> str:
    # Knit's documented recipe: base64url(HMAC-SHA256(Knit API key, payload)), no padding.
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@pytest.mark.django_db
def test_a_hand_signed_record_new_is_refused_at_write_back_saying_how_to_start_one_in_the_sandbox(
    simulators, capsys
):
    from django.test import Client

    knit = demo_seed_knit(capsys)
    body = (SEED / "record.new.json").read_bytes()
    response = Client().post(
        knit["webhook_url"],
        data=body,
        content_type="application/json",
        headers={constants.SIGNATURE_HEADER: knit_signature(knit["webhook_secret"], body)},
    )
    assert response.status_code == 200
    integration = Integration.objects.get(pk=knit["id"])
    event = WebhookEvent.objects.get(integration=integration)
    webhook_event_process(event_id=event.pk)
    complete(AssessmentRun.objects.get(integration=integration))

    messages = deliver_pending(integration)

    assert {m.status for m in messages} == {WritebackStatus.DEAD}
    error = messages[0].last_error
    assert "Assessment ats_ass_a1b2c3d4e5f6g7h8i9j0k not found" in error
    # ... and how to make one the sandbox's Ashby knows.
    assert "http://testserver/sim/knit/workflows/webhook/ashby/assessment.start" in error
    assert "ashby_secret_key" in error and "Play Ashby" in error
