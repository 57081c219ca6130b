"""/metrics: protected, and our own metrics appear after traffic."""

import pytest
from django.urls import reverse
from django_q.tasks import async_task
from prometheus_client.parser import text_string_to_metric_families

from integrations.base import hmac_sha256_hex
from integrations.models import WritebackMessage, WritebackStatus
from integrations.observability import rejection_category
from integrations.registry import provider_for
from tests.factories import AssessmentRunFactory, IntegrationFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BODY = b'{"id": "evt_metrics_%d", "type": "candidate.created", "data": {"candidate_id": "c1", "name": "Alex", "email": "alex@example.com"}}'


@pytest.fixture
def token(settings):
    settings.METRICS_BEARER_TOKEN = TOKEN
    settings.METRICS_OPEN = False


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def post_webhook(client, integration, body, secret="whsec_test_secret"):
    return client.post(
        reverse("integrations:webhook", args=["fake", integration.public_id]),
        data=body,
        content_type="application/json",
        headers={"X-Fake-Signature": "sha256=" + hmac_sha256_hex(secret, body)},
    )


def test_metrics_is_hidden_without_a_configured_token(client, settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_OPEN = False
    assert client.get("/metrics").status_code == 404


def test_metrics_requires_the_bearer_token(client, token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers=AUTH).status_code == 200


def test_metrics_accepts_each_token_of_a_rotation(client, settings):
    settings.METRICS_BEARER_TOKEN = f"new-token-abcdef0123456789,{TOKEN}"
    assert client.get("/metrics", headers=AUTH).status_code == 200
    assert (
        client.get("/metrics", headers={"Authorization": "Bearer new-token-abcdef0123456789"}).status_code
        == 200
    )
    assert client.get("/metrics", headers={"Authorization": "Bearer new-token"}).status_code == 401


def test_webhook_outcomes_are_counted_by_provider_and_reason(client, token):
    integration = IntegrationFactory()
    before = scrape(client)
    post_webhook(client, integration, BODY % 1)  # accepted
    post_webhook(client, integration, BODY % 1)  # the vendor retries: duplicate
    post_webhook(client, integration, BODY % 2, secret="whsec_wrong")  # bad signature
    after = scrape(client)
    name = "jobcannon_webhooks_received_total"
    delta = {
        outcome: value(after, name, provider="fake", outcome=outcome, reason=reason)
        - value(before, name, provider="fake", outcome=outcome, reason=reason)
        for outcome, reason in [("accepted", ""), ("duplicate", ""), ("rejected", "bad_signature")]
    }
    assert delta == {"accepted": 1, "duplicate": 1, "rejected": 1}
    # django-prometheus' own HTTP metrics are there too.
    assert any(key[0] == "django_http_requests_total_by_method_total" for key in after)


def test_processing_latency_and_outcome_are_recorded(client, token):
    integration = IntegrationFactory()
    post_webhook(client, integration, BODY % 3)
    before = scrape(client)
    event_id = integration.webhook_events.get().pk
    async_task("integrations.tasks.webhook_event_process_task", event_id, sync=True)
    after = scrape(client)
    processed = "jobcannon_webhooks_processed_total"
    latency = "jobcannon_webhook_processing_latency_seconds_count"
    assert (
        value(after, processed, provider="fake", status="processed")
        - value(before, processed, provider="fake", status="processed")
        == 1
    )
    assert value(after, latency, provider="fake") - value(before, latency, provider="fake") == 1
    func = "integrations.tasks.webhook_event_process_task"
    assert value(after, "jobcannon_tasks_total", func=func, outcome="success") >= 1


def test_outbound_calls_are_counted_by_status_class(client, token, mocked_responses, monkeypatch):
    from integrations.base import ATSError
    from tests.fakes.ats_provider import constants

    monkeypatch.setattr("integrations.services.ratelimit.rate_limit_acquire", lambda **kw: None)
    integration = IntegrationFactory()
    api = provider_for(integration).client(integration)
    mocked_responses.get(f"{constants.API_BASE}/me", json={"name": "Fake Co"})
    before = scrape(client)
    api.me()
    mocked_responses.replace("GET", f"{constants.API_BASE}/me", status=503, json={"message": "down"})
    with pytest.raises(ATSError):
        api.me()
    mocked_responses.replace("GET", f"{constants.API_BASE}/me", status=429, json={"message": "slow down"})
    with pytest.raises(ATSError):
        api.me()
    after = scrape(client)
    name = "jobcannon_outbound_calls_total"
    for status_class in ("2xx", "5xx", "429"):
        assert (
            value(after, name, provider="fake", status_class=status_class)
            - value(before, name, provider="fake", status_class=status_class)
            == 1
        )


def test_state_gauges_show_queue_writebacks_and_integrations(client, token):
    integration = IntegrationFactory(status="needs_reauth")
    run = AssessmentRunFactory(workspace=integration.workspace)
    for status in (WritebackStatus.PENDING, WritebackStatus.DEAD, WritebackStatus.DEAD):
        WritebackMessage.objects.create(
            integration=integration,
            run=run,
            kind="result",
            event="completed",
            idempotency_key=f"k-{status}-{WritebackMessage.objects.count()}",
            status=status,
        )
    async_task("math.floor", 1.5)  # waits in the queue: nobody runs workers in tests
    samples = scrape(client)
    assert value(samples, "jobcannon_state_up") == 1
    assert value(samples, "jobcannon_integrations", provider="fake", status="needs_reauth") >= 1
    assert value(samples, "jobcannon_writebacks", provider="fake", status="dead") == 2
    assert value(samples, "jobcannon_writebacks", provider="fake", status="pending") == 1
    assert value(samples, "jobcannon_queue_depth") >= 1
    assert value(samples, "jobcannon_queue_oldest_task_age_seconds") >= 0
    assert ("jobcannon_worker_heartbeat_age_seconds", ()) in samples


def test_a_failing_state_source_does_not_break_the_scrape(client, token, monkeypatch, caplog):
    # The secret is a word no metric name or label holds. The registry is process-wide: under
    # xdist, django-prometheus's per-view series from earlier tests in the same worker (a visit
    # to allauth's "account_reset_password" page) are in this scrape too, so the word "password"
    # itself could be there without any leak.
    def boom():
        raise ConnectionError("redis://:Zq8-state-secret@10.0.0.5:6379 refused")

    monkeypatch.setattr("jobcannon.core.workers.queue_stats", boom)
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    body = response.content.decode()
    assert "jobcannon_state_up 0.0" in body
    assert "Zq8-state-secret" not in body and "10.0.0.5" not in body
    assert caplog.records and not [r for r in caplog.records if "Zq8-state-secret" in str(vars(r))]


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("Unknown integration 'x' for Fake ATS.", "unknown_integration"),
        (
            "No integration of this provider matched: unknown integration or wrong secret.",
            "unknown_integration",
        ),
        ("This integration is disconnected.", "integration_disconnected"),
        ("Body is not a valid Fake ATS event: 'type'", "malformed_body"),
        ("This integration has no webhook secret configured.", "no_secret_configured"),
        ("No Knit API key is saved for this integration yet; Knit signs webhooks", "no_secret_configured"),
        ("Missing X-Fake-Signature header.", "missing_header"),
        (
            "Webhook signature validation failed: the signature header is missing (Ashby sends",
            "missing_header",
        ),
        ("Stale timestamp: signed 900 s ago (tolerance 300 s).", "stale_timestamp"),
        ("Signature does not match: wrong secret, or the body changed after signing.", "bad_signature"),
        ("Something unheard of", "other"),
    ],
)
def test_rejection_reasons_map_to_a_bounded_set_of_labels(reason, category):
    assert rejection_category(reason) == category
