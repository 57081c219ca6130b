"""Structured logs: one JSON object per line, a request id that follows a webhook from its
intake into its task, and no secret or candidate answer in any line."""

import json
import logging

import pytest
from django.urls import reverse
from django_q.tasks import async_task

from integrations.base import hmac_sha256_hex
from integrations.models import WebhookEvent, WebhookStatus
from integrations.registry import provider_for
from jobcannon.core.logging import current_request_id, request_context
from tests.factories import IntegrationFactory

SECRET = "whsec_test_secret"
BODY = b'{"id": "evt_ops_1", "type": "candidate.created", "data": {"candidate_id": "c1", "name": "Alex", "email": "alex@example.com"}}'

log = logging.getLogger("tests.ops")


def signed(body=BODY):
    return {"X-Fake-Signature": "sha256=" + hmac_sha256_hex(SECRET, body)}


# --- Redaction -----------------------------------------------------------------------------------


def test_secret_extras_are_redacted_at_any_depth(json_logs):
    log.info(
        "integration.connected",
        extra={
            "access_token": "at-live-123456",
            "credentials": {"api_key": "sk_live_abcdef"},
            "headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Accept": "json"},
            "provider": "fake",
        },
    )
    (line,) = json_logs.lines("integration.connected")
    assert line["access_token"] == "[redacted]"
    assert line["credentials"] == "[redacted]"
    assert line["headers"] == {"Authorization": "[redacted]", "Accept": "json"}
    assert line["provider"] == "fake"
    for secret in ("at-live-123456", "sk_live_abcdef", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in json_logs.text


def test_candidate_answers_are_never_logged(json_logs):
    log.info(
        "run.saved",
        extra={"run": 7, "answers": [{"item": "E1", "value": 5}], "payload": {"answers": {"E1": 5}}},
    )
    (line,) = json_logs.lines("run.saved")
    assert line["answers"] == "[redacted]"
    assert line["payload"] == {"answers": "[redacted]"}
    assert line["run"] == 7


def test_secrets_in_messages_and_arguments_are_scrubbed(json_logs):
    log.warning("callback failed for %s", "/github/oauth-callback?code=oac_9f8e7d&state=st_1a2b3c")
    log.warning("vendor said: {'client_secret': 'cs_very_secret', 'error': 'invalid_grant'}")
    log.info("candidate opened %s", "/a/kq8Zr2cBXo_LongCandidateKey/page/2")
    text = json_logs.text
    for secret in ("oac_9f8e7d", "st_1a2b3c", "cs_very_secret", "kq8Zr2cBXo_LongCandidateKey"):
        assert secret not in text
    assert "invalid_grant" in text and "/a/[redacted]/page/2" in text


def test_any_apps_answers_and_secrets_are_redacted_by_the_shape_of_their_name(json_logs):
    """The ground names no app's fields: `<what>_answers` extras and `<what>_secret` parameters in
    text are redacted by shape (candidate_answers, webhook_secret, and a future app's own)."""
    log.info("run.saved", extra={"candidate_answers": {"E1": 5}, "survey_responses": ["yes"], "runs": 2})
    log.warning("rotated: webhook_secret=whsec_abc123 partner_secret: 'ps_def456' is_ok=1")
    (line,) = json_logs.lines("run.saved")
    assert line["candidate_answers"] == "[redacted]" and line["survey_responses"] == "[redacted]"
    assert line["runs"] == 2
    assert "whsec_abc123" not in json_logs.text and "ps_def456" not in json_logs.text
    assert "is_ok=1" in json_logs.text


def test_tracebacks_are_scrubbed(json_logs):
    try:
        raise RuntimeError("token endpoint rejected refresh_token=rt_abcdef123456")
    except RuntimeError:
        log.exception("oauth.refresh_failed")
    (line,) = json_logs.lines("oauth.refresh_failed")
    assert "RuntimeError" in line["exception"]
    assert "rt_abcdef123456" not in json_logs.text


def test_django_request_log_lines_keep_the_request_id_and_lose_the_candidate_key(client, json_logs, db):
    response = client.get("/a/AbCdEf0123456789secretkey/")
    assert response.status_code == 404
    assert "AbCdEf0123456789secretkey" not in json_logs.text
    (not_found,) = [line for line in json_logs.lines() if line["logger"] == "django.request"]
    assert not_found["request_id"] == response["X-Request-ID"]
    assert current_request_id() == ""  # unbound once the response is finished


def test_each_line_is_one_json_object_with_level_logger_and_timestamp(json_logs):
    log.info("plain.event", extra={"n": 1})
    (line,) = json_logs.lines("plain.event")
    assert line["level"] == "info" and line["logger"] == "tests.ops" and line["n"] == 1
    assert line["ts"].endswith("Z")


# --- Request id ----------------------------------------------------------------------------------


def test_every_response_carries_a_request_id_and_its_access_line_too(client, json_logs, db):
    response = client.get("/accounts/login/")
    rid = response["X-Request-ID"]
    assert len(rid) == 32
    (access,) = [line for line in json_logs.lines("http.request") if line["path"] == "/accounts/login/"]
    assert access["request_id"] == rid and access["status"] == 200 and access["method"] == "GET"


def test_a_load_balancer_request_id_is_kept_and_a_hostile_one_replaced(client, db):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21"})["X-Request-ID"] == "lb-7f3a9c21"
    hostile = client.get("/healthz", headers={"X-Request-ID": 'x" injected=1 <script>'})["X-Request-ID"]
    assert hostile != 'x" injected=1 <script>' and len(hostile) == 32


def test_access_line_has_no_query_string(client, json_logs, db):
    client.get("/fake/oauth-callback?code=oac_secret_code&state=abc12345")
    assert "oac_secret_code" not in json_logs.text


@pytest.mark.django_db
def test_a_processed_webhook_logs_with_the_request_id_of_its_intake(client, json_logs, monkeypatch):
    integration = IntegrationFactory()
    response = client.post(
        reverse("integrations:webhook", args=["fake", integration.public_id]),
        data=BODY,
        content_type="application/json",
        headers={**signed(), "X-Request-ID": "intake-4f1c2b9e"},
    )
    assert response.status_code == 200 and response["X-Request-ID"] == "intake-4f1c2b9e"
    event = WebhookEvent.objects.get()
    assert event.request_id == "intake-4f1c2b9e"
    # A drain processing it in a batch binds each event's own id while its handler runs...
    from integrations.services.webhooks import webhook_event_process_batch
    from tests.fakes.ats_provider import webhooks as fake_webhooks

    seen: list[str] = []
    handler = fake_webhooks.EVENT_HANDLERS["candidate.created"]
    monkeypatch.setitem(
        fake_webhooks.EVENT_HANDLERS,
        "candidate.created",
        lambda ctx: (seen.append(current_request_id()), handler(ctx)),
    )
    with request_context("drain-task-id"):
        webhook_event_process_batch(limit=10)
        assert current_request_id() == "drain-task-id", "the task's own id is back after the batch"
    assert seen == ["intake-4f1c2b9e"]
    WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookStatus.VERIFIED)

    # ...and a worker processing it later (here: a scheduler retry, so nothing is bound) binds the
    # id stored on the event: its log lines carry the intake's id.
    json_logs.stream.truncate(0)
    json_logs.stream.seek(0)
    async_task("integrations.tasks.webhook_event_process_task", event.pk, sync=True)
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED
    finished = [
        line
        for line in json_logs.lines("task.finished")
        if line["func"].endswith("webhook_event_process_task")
    ]
    assert finished and finished[0]["request_id"] == "intake-4f1c2b9e" and finished[0]["success"] is True
    assert current_request_id() == ""  # unbound again after the task


def test_tasks_enqueued_during_a_request_run_under_its_request_id(json_logs, db):
    with request_context("req-0a1b2c3d"):
        async_task("tests.jobcannon.ops.test_logging.log_something", sync=True)
        assert current_request_id() == "req-0a1b2c3d"  # the caller's context is restored
    (line,) = json_logs.lines("inside.task")
    assert line["request_id"] == "req-0a1b2c3d"


def test_outbound_call_lines_carry_the_request_id(json_logs, mocked_responses, monkeypatch, db):
    from tests.fakes.ats_provider import constants

    monkeypatch.setattr("integrations.services.ratelimit.rate_limit_acquire", lambda **kw: None)
    integration = IntegrationFactory()
    mocked_responses.get(f"{constants.API_BASE}/me", json={"name": "Fake Co"})
    with request_context("req-out-5e6f7a8b"):
        provider_for(integration).client(integration).me()
    (line,) = json_logs.lines("ats.call")
    assert line["request_id"] == "req-out-5e6f7a8b" and line["status"] == 200
    assert "test-api-key-0001" not in json_logs.text


def log_something() -> None:
    log.info("inside.task", extra={"data": json.dumps({"ok": True})})


# --- django-q2's own lines ----------------------------------------------------------------------


def test_django_q_per_task_info_lines_are_dropped_but_its_warnings_kept(json_logs):
    queue_log = logging.getLogger("django-q")
    queue_log.info("Worker-1 processing task golf-alpha-one")
    queue_log.warning("reincarnated worker Process-1:2 after timeout")
    assert not json_logs.lines("Worker-1 processing task golf-alpha-one")
    assert json_logs.lines("reincarnated worker Process-1:2 after timeout")


def test_django_q_log_level_follows_q_log_level(monkeypatch):
    from jobcannon.core.logging import logging_config

    assert logging_config()["loggers"]["django-q"]["level"] == "WARNING"
    monkeypatch.setenv("Q_LOG_LEVEL", "info")
    assert logging_config()["loggers"]["django-q"]["level"] == "INFO"
