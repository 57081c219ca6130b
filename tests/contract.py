"""ProviderContractTests: what every ATS provider must do, whatever its vendor quirks.

A provider's test module subclasses it and fills in the hooks:

    class TestAshbyContract(ProviderContractTests):
        provider_key = "ashby"
        def sign(self, body, secret): return {"Ashby-Signature": "sha256=" + hmac_hex(secret, body)}
        ...

Fixtures live in tests/fixtures/<provider>/webhooks/<wire event>[__variant].json as raw bytes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from integrations.models import (
    IntegrationStatus,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.registry import get_provider
from integrations.services.webhooks import webhook_event_process
from tests.factories import AssessmentRunFactory, IntegrationFactory

FIXTURES = Path(__file__).parent / "fixtures"


class ProviderContractTests:
    provider_key: str = ""
    # A fixture (file stem) whose event this provider handles; used by delivery/dedupe tests.
    sample_event: str = ""
    test_secret = "whsec_contract_test_secret_0001"
    # Body fields the vendor's signature covers; empty = every byte of the body. Lever signs only
    # `token` + `triggeredAt` (in the body), so "body changed after signing" changes one of those.
    signed_fields: tuple[str, ...] = ()
    # What a resend of a delivery we already processed is answered
    # (ATSProvider.webhook_duplicate_response): None = the provider's ack status with
    # {"status": "duplicate"}; (status, error code) for a provider that refuses it (Lever: 409).
    resent_after_processing: tuple[int, str] | None = None

    # ---- hooks a provider's test class overrides ----
    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        """Headers that sign `body` the way the vendor does."""
        raise NotImplementedError

    def signed(self, body: bytes, secret: str) -> tuple[bytes, dict[str, str]]:
        """The request (body, headers) as the vendor sends `body` signed with `secret`. Default: the
        body unchanged and sign()'s headers. A vendor that signs inside the body (Lever) overrides
        it; the same input must give a request the provider dedupes as the same delivery."""
        return body, self.sign(body, secret)

    def unsigned(self, body: bytes) -> bytes:
        """`body` without any signature of its own (default: unchanged; Lever drops `signature`)."""
        return body

    def make_integration(self, **kwargs: Any):
        defaults: dict[str, Any] = {
            "provider": self.provider_key,
            "status": IntegrationStatus.CONNECTED,
            "webhook_secrets": [{"secret": self.test_secret, "created_at": "2026-01-01T00:00:00+00:00"}],
        }
        defaults.update(kwargs)
        return IntegrationFactory(**defaults)

    def fixture_body(self, name: str) -> bytes:
        return (FIXTURES / self.provider_key / "webhooks" / f"{name}.json").read_bytes()

    def unknown_event_body(self) -> bytes:
        """A validly shaped body whose event type the provider does not handle."""
        raise NotImplementedError

    def prepare_processing(self, mocked_responses, integration, fixture: str) -> None:
        """Register HTTP mocks / data a handled event needs to process (default: nothing)."""

    def post_webhook(self, client, integration, body: bytes, headers: dict[str, str]):
        url = reverse("integrations:webhook", args=[self.provider_key, integration.public_id])
        django_headers = {k: v for k, v in headers.items()}
        return client.post(url, data=body, content_type="application/json", headers=django_headers)

    # writeback: (method, url regex) of the ATS endpoint a completed run is written to
    def writeback_endpoint(self, integration) -> tuple[str, Any]:
        raise NotImplementedError

    def make_run(self, integration):
        return AssessmentRunFactory(
            workspace=integration.workspace,
            integration=integration,
            provider=self.provider_key,
            external_assessment_id="ext-assessment-1",
            external_candidate_id="ext-candidate-1",
            external_application_id="ext-application-1",
            status="scored",
        )

    # ---- the contract ----
    def provider(self):
        return get_provider(self.provider_key)

    def handled_fixture_names(self) -> list[str]:
        folder = FIXTURES / self.provider_key / "webhooks"
        return sorted(p.stem for p in folder.glob("*.json"))

    @pytest.mark.django_db
    def test_every_handled_event_has_a_fixture(self):
        stems = {name.split("__")[0] for name in self.handled_fixture_names()}
        missing = [event for event in self.provider().event_handlers if event not in stems]
        assert not missing, (
            f"handled events without a fixture in tests/fixtures/{self.provider_key}/webhooks: {missing}"
        )

    @pytest.mark.django_db
    def test_webhook_with_wrong_secret_is_stored_rejected_with_reason(self, client):
        integration = self.make_integration()
        body, headers = self.signed(self.fixture_body(self.sample_event), "not-the-secret")
        response = self.post_webhook(client, integration, body, headers)
        assert 400 <= response.status_code < 500
        event = WebhookEvent.objects.get(integration=integration)
        assert event.status == WebhookStatus.REJECTED
        assert event.rejection_reason, "a rejected delivery must say why"
        assert bytes(event.body) == body, "the raw body is kept byte for byte"
        assert response.json()["error"]["message"] == event.rejection_reason

    @pytest.mark.django_db
    def test_webhook_without_signature_is_rejected_with_reason(self, client):
        integration = self.make_integration()
        body = self.unsigned(self.fixture_body(self.sample_event))
        response = self.post_webhook(client, integration, body, {})
        assert 400 <= response.status_code < 500
        event = WebhookEvent.objects.get(integration=integration)
        assert event.status == WebhookStatus.REJECTED and event.rejection_reason

    @pytest.mark.django_db
    def test_webhook_body_changed_after_signing_is_rejected(self, client):
        integration = self.make_integration()
        body, headers = self.signed(self.fixture_body(self.sample_event), self.test_secret)
        tampered = self.tamper(body)
        response = self.post_webhook(client, integration, tampered, headers)
        assert 400 <= response.status_code < 500
        assert WebhookEvent.objects.get(integration=integration).status == WebhookStatus.REJECTED

    def tamper(self, body: bytes) -> bytes:
        """Change what the signature covers: a new field (whole-body signatures), or the last of
        `signed_fields` (a number +1, a string one character longer)."""
        payload = json.loads(body)
        if self.signed_fields:
            field = self.signed_fields[-1]
            value = payload[field]
            payload[field] = value + 1 if isinstance(value, int) else f"{value}0"
        else:
            payload["_tampered"] = True
        return json.dumps(payload).encode()

    @pytest.mark.django_db
    def test_signed_webhook_is_accepted_and_queued(self, client, django_capture_on_commit_callbacks):
        integration = self.make_integration()
        body, headers = self.signed(self.fixture_body(self.sample_event), self.test_secret)
        with django_capture_on_commit_callbacks(execute=False):
            response = self.post_webhook(client, integration, body, headers)
        assert 200 <= response.status_code < 300
        event = WebhookEvent.objects.get(integration=integration)
        assert event.verified and event.status == WebhookStatus.VERIFIED
        assert event.event_type and event.external_id

    @pytest.mark.django_db
    def test_webhook_signed_with_previous_secret_still_verifies_during_rotation(self, client):
        integration = self.make_integration(
            webhook_secrets=[
                {"secret": "whsec_new_secret_after_rotation", "created_at": "2026-02-01T00:00:00+00:00"},
                {"secret": self.test_secret, "created_at": "2026-01-01T00:00:00+00:00"},
            ]
        )
        body, headers = self.signed(self.fixture_body(self.sample_event), self.test_secret)
        response = self.post_webhook(client, integration, body, headers)
        assert 200 <= response.status_code < 300

    @pytest.mark.django_db
    def test_duplicate_delivery_is_processed_once(self, client, mocked_responses):
        integration = self.make_integration()
        self.prepare_processing(mocked_responses, integration, self.sample_event)
        body, headers = self.signed(self.fixture_body(self.sample_event), self.test_secret)
        # A vendor's retry is the same request, sent again before we processed the first.
        statuses = [self.post_webhook(client, integration, body, headers).status_code for _ in range(3)]
        assert all(200 <= s < 300 for s in statuses)
        events = WebhookEvent.objects.filter(integration=integration).order_by("id")
        assert [e.status for e in events] == [
            WebhookStatus.VERIFIED,
            WebhookStatus.DUPLICATE,
            WebhookStatus.DUPLICATE,
        ]
        for e in events:
            webhook_event_process(event_id=e.pk)
        assert (
            WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.PROCESSED).count() == 1
        )

    @pytest.mark.django_db
    def test_delivery_resent_after_processing_gets_the_providers_duplicate_answer(
        self, client, mocked_responses
    ):
        """A resend of a delivery we already processed is never processed again, and the vendor
        hears the provider's answer for it (ATSProvider.webhook_duplicate_response): by default
        the ack status with {"status": "duplicate"}; Lever refuses a processed token, 409."""
        integration = self.make_integration()
        self.prepare_processing(mocked_responses, integration, self.sample_event)
        body, headers = self.signed(self.fixture_body(self.sample_event), self.test_secret)
        assert 200 <= self.post_webhook(client, integration, body, headers).status_code < 300
        first = WebhookEvent.objects.get(integration=integration)
        webhook_event_process(event_id=first.pk)
        first.refresh_from_db()
        assert first.status == WebhookStatus.PROCESSED, first.error

        response = self.post_webhook(client, integration, body, headers)

        if self.resent_after_processing is None:
            assert response.status_code == self.provider().webhook_ack_status
            assert response.json() == {"status": "duplicate"}
        else:
            status, code = self.resent_after_processing
            assert response.status_code == status, response.content
            assert response.json()["error"]["code"] == code
        resent = WebhookEvent.objects.filter(integration=integration).exclude(pk=first.pk).get()
        assert resent.status == WebhookStatus.DUPLICATE and resent.duplicate_of_id == first.pk
        webhook_event_process(event_id=resent.pk)
        assert (
            WebhookEvent.objects.filter(integration=integration, status=WebhookStatus.PROCESSED).count() == 1
        )

    @pytest.mark.django_db
    def test_unknown_event_is_answered_and_marked_unsupported(self, client):
        integration = self.make_integration()
        body, headers = self.signed(self.unknown_event_body(), self.test_secret)
        response = self.post_webhook(client, integration, body, headers)
        assert 200 <= response.status_code < 300
        event = WebhookEvent.objects.get(integration=integration)
        webhook_event_process(event_id=event.pk)
        event.refresh_from_db()
        assert event.status in (WebhookStatus.UNSUPPORTED, WebhookStatus.IGNORED)

    @pytest.mark.django_db
    def test_every_fixture_is_accepted_and_processed(self, client, mocked_responses):
        integration = self.make_integration()
        for name in self.handled_fixture_names():
            self.prepare_processing(mocked_responses, integration, name)
            body, headers = self.signed(self.fixture_body(name), self.test_secret)
            response = self.post_webhook(client, integration, body, headers)
            assert 200 <= response.status_code < 300, (name, response.content)
            event = WebhookEvent.objects.filter(integration=integration).order_by("-id").first()
            if event.status == WebhookStatus.DUPLICATE:
                continue
            webhook_event_process(event_id=event.pk)
            event.refresh_from_db()
            assert event.status in (WebhookStatus.PROCESSED, WebhookStatus.IGNORED), (
                name,
                event.status,
                event.error,
            )

    @pytest.mark.django_db
    def test_signed_delivery_with_lone_surrogates_is_stored_and_processed(self, client, mocked_responses):
        """A lone surrogate (`\\ud800`) is valid JSON on the wire but no UTF-8 string: the
        database cannot store it as text. A signed fixture carrying one in every string the
        signature does not need (the event name and id included) is answered without a 5xx, its
        row is stored, and processing it ends in a state, not an exception."""
        integration = self.make_integration()
        self.prepare_processing(mocked_responses, integration, self.sample_event)
        payload = _with_lone_surrogates(json.loads(self.fixture_body(self.sample_event)), self.signed_fields)
        # ensure_ascii: the surrogate travels as the six characters \ud800, as a vendor's
        # JSON encoder writes it; the raw body stays valid UTF-8.
        wire = json.dumps(payload).encode()
        assert b"\\ud800" in wire
        body, headers = self.signed(wire, self.test_secret)

        response = self.post_webhook(client, integration, body, headers)

        assert response.status_code < 500, response.content
        event = WebhookEvent.objects.get(integration=integration)
        assert bytes(event.body) == body, "the raw body is kept byte for byte"
        webhook_event_process(event_id=event.pk)
        event.refresh_from_db()
        assert event.status != WebhookStatus.VERIFIED, "processing must settle the row"

    # ---- OAuth ----
    def oauth_supported(self) -> bool:
        return "oauth2" in self.provider().auth_kinds

    def oauth_integration(self, workspace):
        return self.make_integration(
            workspace=workspace,
            auth_kind="oauth2",
            status=IntegrationStatus.PENDING,
            credentials={"client_id": "client-123", "client_secret": "client-secret-xyz"},
        )

    def mock_after_authorization(self, mocked_responses, integration) -> None:
        """Mocks for what happens after tokens arrive (credential check, webhook registration)."""

    def token_url(self, integration) -> str:
        return self.provider().oauth_config(integration).token_url

    @pytest.mark.django_db
    def test_oauth_start_callback_and_refresh_round_trip(self, client, user, workspace, mocked_responses):
        if not self.oauth_supported():
            pytest.skip("provider has no OAuth")
        from urllib.parse import parse_qs, urlsplit

        from integrations.services.oauth import token_refresh

        client.force_login(user)
        integration = self.oauth_integration(workspace)
        response = client.post(reverse("integrations:action", args=[integration.pk, "reauthorize"]))
        assert response.status_code == 302
        query = parse_qs(urlsplit(response["Location"]).query)
        config = self.provider().oauth_config(integration)
        assert response["Location"].startswith(config.authorize_url)
        assert query["client_id"] == ["client-123"] and query["state"][0]
        if config.use_pkce:
            assert query["code_challenge_method"] == ["S256"]
        token_url = self.token_url(integration)
        mocked_responses.post(
            token_url,
            json={
                "access_token": "at-1",
                "refresh_token": "rt-1",
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": " ".join(config.scopes),
            },
        )
        self.mock_after_authorization(mocked_responses, integration)
        callback = reverse("integrations:oauth-callback", args=[self.provider_key])
        response = client.get(callback, {"state": query["state"][0], "code": "code-abc"})
        assert response.status_code == 302, response.content[:500]
        token = Token.objects.get(integration=integration)
        assert token.access_token == "at-1" and token.refresh_token == "rt-1"
        assert not token.missing_scopes()
        raw = Token.objects.filter(pk=token.pk).values_list("access_token", flat=True)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT access_token, refresh_token FROM integrations_token WHERE id = %s", [token.pk]
            )
            stored = cursor.fetchone()
        assert "at-1" not in stored[0] and "rt-1" not in stored[1], "tokens must be encrypted at rest"
        del raw
        mocked_responses.post(
            token_url,
            json={
                "access_token": "at-2",
                "refresh_token": "rt-2",
                "expires_in": 3600,
                "token_type": "Bearer",
            },
        )
        refreshed = token_refresh(integration_id=integration.pk, force=True)
        assert refreshed.access_token == "at-2" and refreshed.refresh_token == "rt-2"

    @pytest.mark.django_db
    def test_oauth_callback_with_foreign_state_is_refused(self, client, user, workspace):
        if not self.oauth_supported():
            pytest.skip("provider has no OAuth")
        client.force_login(user)
        response = client.get(
            reverse("integrations:oauth-callback", args=[self.provider_key]), {"state": "forged", "code": "x"}
        )
        assert response.status_code == 400
        assert b"state" in response.content

    # ---- outbound failure classes (write-back of a completed run) ----
    def _deliver_with_status(self, mocked_responses, status: int, headers: dict[str, str] | None = None):
        from integrations.services.writeback import writeback_deliver

        integration = self.make_integration()
        run = self.make_run(integration)
        message = WritebackMessage.objects.create(
            integration=integration,
            run=run,
            kind=self.writeback_kind(integration, run),
            event="completed",
            idempotency_key=f"contract-{status}",
        )
        self.prepare_writeback(mocked_responses, integration, run)
        method, url = self.writeback_endpoint(integration)
        mocked_responses.add(method, url, status=status, json=self.error_body(status), headers=headers or {})
        writeback_deliver(message_id=message.pk)
        message.refresh_from_db()
        integration.refresh_from_db()
        return message, integration

    def writeback_kind(self, integration, run) -> str:
        kinds = self.provider().on_run_event(integration, run, "completed")
        assert kinds, "a completed run must produce at least one write-back"
        return kinds[-1]

    def prepare_writeback(self, mocked_responses, integration, run) -> None:
        """Mocks for calls a delivery makes before the write itself (default: none)."""

    def error_body(self, status: int) -> Any:
        return {"message": f"error {status}"}

    @pytest.mark.django_db
    def test_writeback_401_ends_in_needs_reauth(self, mocked_responses):
        message, integration = self._deliver_with_status(mocked_responses, 401)
        assert message.status == WritebackStatus.NEEDS_REAUTH
        assert integration.status == IntegrationStatus.NEEDS_REAUTH and integration.status_reason

    @pytest.mark.django_db
    def test_writeback_403_ends_in_needs_reauth_with_reason(self, mocked_responses):
        message, integration = self._deliver_with_status(mocked_responses, 403)
        assert message.status == WritebackStatus.NEEDS_REAUTH
        assert integration.status == IntegrationStatus.NEEDS_REAUTH and integration.status_reason

    @pytest.mark.django_db
    def test_writeback_429_is_retried_after_retry_after(self, mocked_responses):
        from django.utils import timezone

        message, integration = self._deliver_with_status(
            mocked_responses, 429, headers={"Retry-After": "120"}
        )
        assert message.status == WritebackStatus.RETRYING
        wait = (message.next_attempt_at - timezone.now()).total_seconds()
        assert 100 < wait <= 121
        assert integration.status == IntegrationStatus.CONNECTED

    @pytest.mark.django_db
    def test_writeback_5xx_is_retried_with_backoff(self, mocked_responses):
        from django.utils import timezone

        message, integration = self._deliver_with_status(mocked_responses, 503)
        assert message.status == WritebackStatus.RETRYING
        wait = (message.next_attempt_at - timezone.now()).total_seconds()
        assert 3 < wait <= 6, "first retry after about 5 seconds"
        assert integration.status == IntegrationStatus.CONNECTED

    # ---- a credentials check the ATS cannot answer (through the provider's real client) ----
    def credentials_check_endpoint(self, integration) -> tuple[str, Any]:
        """(method, url or url regex) of the first call the provider's validate_credentials makes
        for `make_integration()`'s integration."""
        raise NotImplementedError

    def prepare_credentials_check(self, mocked_responses, integration) -> None:
        """Mocks for calls the check makes before that endpoint (default: none)."""

    @pytest.mark.django_db
    @pytest.mark.parametrize(
        ("failure", "cause"),
        [
            (429, " is rate-limiting JobCannon"),
            (503, " answered 503 (a failure on its side"),
            ("network", " could not be reached"),
        ],
    )
    def test_test_credentials_now_during_an_outage_keeps_it_connected_and_says_so(
        self, client_in_workspace, workspace, mocked_responses, failure, cause
    ):
        """A 429, a 5xx or a network error judges nothing: the integration stays connected (no
        needs-reauth, write-backs not held) and the flash names the outage, worded from the
        error's class and status by the shared check, whatever the vendor's body says."""
        import requests

        integration = self.make_integration(workspace=workspace)
        reason_before = integration.status_reason
        self.prepare_credentials_check(mocked_responses, integration)
        method, url = self.credentials_check_endpoint(integration)
        if failure == "network":
            mocked_responses.add(method, url, body=requests.ConnectionError("connection refused"))
        else:
            mocked_responses.add(method, url, status=failure, json=self.error_body(failure))

        page = client_in_workspace.post(
            reverse("integrations:action", args=[integration.pk, "test"]), follow=True
        ).content.decode()

        integration.refresh_from_db()
        assert integration.status == IntegrationStatus.CONNECTED
        assert integration.status_reason == reason_before
        flashes = re.findall(r'<li class="msg-(\w+)">(.*?)</li>', page, re.S)
        assert len(flashes) == 1, page
        level, text = flashes[0]
        vendor = self.provider().api_vendor_name or self.provider().name
        assert level == "warning"
        assert text.startswith(f"Could not check the credentials: {vendor}{cause}"), text
        assert text.endswith("The credentials were not judged; try again in a few minutes."), text
        for wrong in ("invalid", "re-authoriz", "reauthoriz", "rejected", "retry"):
            assert wrong not in text.lower(), text


def _with_lone_surrogates(value: Any, keep: tuple[str, ...], key: str = "") -> Any:
    """`value` with a lone surrogate appended to every string, except the top-level `keep`
    fields (what a body-signing vendor signs: the test must still sign them as UTF-8)."""
    if isinstance(value, dict):
        return {k: v if k in keep else _with_lone_surrogates(v, (), k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_lone_surrogates(v, ()) for v in value]
    if isinstance(value, str):
        return value + "\ud800"
    return value
