import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations import selectors
from integrations.models import IntegrationActivity, OutboundCall, WebhookEvent, WebhookStatus
from integrations.selectors import LogFilters, log_entries_list, log_filters_from, webhook_chart
from tests.factories import AssessmentRunFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def event(
    integration, *, status=WebhookStatus.PROCESSED, reason="", event_type="candidate.created", at=None, **kw
):
    return WebhookEvent.objects.create(
        provider=integration.provider, integration=integration, body=b'{"type":"x"}', status=status,
        rejection_reason=reason, event_type=event_type, verified=status != WebhookStatus.REJECTED,
        received_at=at or timezone.now(), **kw,
    )  # fmt: skip


def call(integration, *, status_code=200, at=None, path="/results", error_class=""):
    return OutboundCall.objects.create(
        integration=integration, provider=integration.provider, method="POST", path=path, operation="results.create",
        status_code=status_code, error_class=error_class, created_at=at or timezone.now(),
    )  # fmt: skip


def test_keyset_pages_walk_the_merged_log_newest_first_without_gaps_or_repeats(integration):
    same = timezone.now() - dt.timedelta(minutes=5)
    expected = []
    for i in range(4):
        expected.append(("webhook", event(integration, at=same).pk))
        expected.append(("call", call(integration, at=same).pk))
    IntegrationActivity.objects.create(
        integration=integration, kind="x", message="older", created_at=same - dt.timedelta(seconds=1)
    )
    seen, cursor = [], ""
    while True:
        page = log_entries_list(
            integration=integration, filters=LogFilters(range="all"), cursor=cursor, limit=3
        )
        seen += [(e.source, e.pk) for e in page.entries]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 9
    assert [s for s, _ in seen[:8]] == ["webhook"] * 4 + ["call"] * 4  # same instant: webhooks, then calls
    assert seen[-1][0] == "activity"


def test_a_rejected_webhook_is_found_by_its_reason(client_in_workspace, integration):
    event(integration, status=WebhookStatus.REJECTED, reason="Signature does not match: wrong secret.")
    event(integration)
    page = client_in_workspace.get(
        reverse("integrations:logs", args=[integration.pk]), {"q": "wrong secret"}
    ).content.decode()
    assert "Signature does not match: wrong secret." in page
    assert page.count('data-source="webhook"') == 1


def test_filters_by_direction_problem_status_event_type_and_time_range(integration):
    event(integration, status=WebhookStatus.REJECTED, reason="bad")
    event(integration, event_type="ping", status=WebhookStatus.IGNORED)
    event(integration, at=timezone.now() - dt.timedelta(days=3))
    call(integration, status_code=500, error_class="ATSServerError")
    call(integration)

    def sources(**params):
        page = log_entries_list(integration=integration, filters=log_filters_from(params))
        return sorted((e.source, e.status) for e in page.entries)

    assert sources(direction="out") == [("call", "error"), ("call", "ok")]
    assert sources(status="problems") == [("call", "error"), ("webhook", "rejected")]
    assert sources(event="ping") == [("webhook", "ignored")]
    assert len(sources(range="1h")) == 4 and len(sources(range="7d")) == 5
    assert sources(status="rejected") == [("webhook", "rejected")]
    IntegrationActivity.objects.create(
        integration=integration, kind="partner.assessment_started", message="Ashby started"
    )
    assert sources(direction="partner") == [("activity", "info")]


def test_nonsense_filters_fall_back_to_defaults_instead_of_failing(client_in_workspace, integration):
    response = client_in_workspace.get(
        reverse("integrations:logs", args=[integration.pk]),
        {
            "direction": "sideways",
            "status": "<script>",
            "range": "forever",
            "since": "yesterday",
            "cursor": "garbage",
        },
    )
    assert response.status_code == 200


def test_logs_page_queries_stay_bounded_and_the_same_on_deep_pages(
    client_in_workspace, integration, django_assert_max_num_queries
):
    for i in range(60):
        event(integration, status=WebhookStatus.REJECTED if i % 3 else WebhookStatus.PROCESSED, reason="bad")
        call(integration)
        IntegrationActivity.objects.create(integration=integration, kind="k", message="m")
    url = reverse("integrations:logs", args=[integration.pk])
    # The first view counts the chart's finished hours and stores them (with the database cache
    # of development and tests that write is a few statements; with Redis none).
    assert client_in_workspace.get(url).status_code == 200
    counts = []
    for params in ({"q": "bad"}, {}):
        with CaptureQueriesContext(connection) as first:
            response = client_in_workspace.get(url, params)
        older = re.search(r'href="([^"]+)" rel="next"', response.content.decode())
        assert older is not None
        with CaptureQueriesContext(connection) as deep:
            assert client_in_workspace.get(url + html.unescape(older.group(1))).status_code == 200
        counts.append((len(first), len(deep)))
    (search_first, search_deep), (plain_first, plain_deep) = counts
    # session, user, membership, integration, cached chart hours, the live hours, the three lists;
    # a search adds the lookup by id, the three tables' search edges and the matching orders.
    assert plain_first == plain_deep <= 9
    assert search_first == search_deep <= 14


def test_search_finds_an_old_delivery_by_its_event_id_or_number_but_text_only_among_the_newest(
    client_in_workspace, integration, monkeypatch
):
    monkeypatch.setattr(selectors, "SEARCH_TEXT_ROWS", 3)
    old = event(
        integration, status=WebhookStatus.REJECTED, reason="Signature does not match: wrong secret.",
        external_id="ashby-evt-0001", at=timezone.now() - dt.timedelta(days=2),
    )  # fmt: skip
    for _ in range(4):
        event(integration)
    url = reverse("integrations:logs", args=[integration.pk])

    def found(q):
        page = client_in_workspace.get(url, {"q": q}).content.decode()
        return reverse("integrations:webhook-event", args=[integration.pk, old.pk]) in page

    assert found("ashby-evt-0001")  # the ATS's event id, at any age
    assert found(str(old.pk)) and found(f"#{old.pk}")  # the delivery's number
    assert not found("wrong secret")  # free text: only the newest 3 rows were read
    assert (
        "other text in the newest 3 deliveries" in client_in_workspace.get(url, {"q": "x"}).content.decode()
    )
    monkeypatch.setattr(selectors, "SEARCH_TEXT_ROWS", 5)
    assert found("wrong secret")


def test_a_delivery_matching_by_id_and_by_text_is_listed_once(integration):
    both = event(
        integration, status=WebhookStatus.REJECTED, reason="token tok-7 unknown", external_id="tok-7"
    )
    text_only = event(integration, status=WebhookStatus.REJECTED, reason="token tok-7 revoked")
    by_request = event(integration, request_id="9f1c2b")
    page = log_entries_list(integration=integration, filters=log_filters_from({"q": "tok-7"}))
    assert sorted(e.pk for e in page.entries) == sorted([both.pk, text_only.pk])
    page = log_entries_list(integration=integration, filters=log_filters_from({"q": "9f1c2b"}))
    assert [e.pk for e in page.entries] == [by_request.pk]


def test_search_pages_through_id_and_text_matches_without_gaps_or_repeats(integration):
    now = timezone.now()
    expected = []
    for i in range(7):
        extra = {"external_id": "dup-1"} if i % 2 else {"reason": "dup-1 seen before"}
        status = WebhookStatus.DUPLICATE if i % 2 else WebhookStatus.REJECTED
        expected.append(event(integration, status=status, at=now - dt.timedelta(minutes=i), **extra).pk)
    event(integration)
    seen, cursor = [], ""
    while True:
        page = log_entries_list(
            integration=integration, filters=log_filters_from({"q": "dup-1"}), cursor=cursor, limit=2
        )
        seen += [e.pk for e in page.entries]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected


def test_chart_counts_deliveries_per_hour_by_outcome(integration):
    event(integration)
    event(integration, status=WebhookStatus.REJECTED, reason="x")
    event(integration, status=WebhookStatus.DUPLICATE)
    event(integration, status=WebhookStatus.DEAD)
    event(integration, at=timezone.now() - dt.timedelta(days=9))
    chart = webhook_chart(integration=integration)
    assert len(chart.bars) == 168
    assert chart.totals == {"accepted": 1, "duplicate": 1, "failed": 1, "rejected": 1}
    assert chart.bars[-1].total == 4


def test_delivery_detail_shows_reason_fix_body_and_redacts_credential_headers(
    client_in_workspace, integration
):
    delivery = event(
        integration, status=WebhookStatus.REJECTED, reason="Signature does not match: wrong secret.",
        headers={"Authorization": "Bearer sk-live-123", "X-Api-Token": "tok-999", "X-Fake-Signature": "sha256=ab"},
    )  # fmt: skip
    page = client_in_workspace.get(
        reverse("integrations:webhook-event", args=[integration.pk, delivery.pk])
    ).content.decode()
    assert "Signature does not match: wrong secret." in page
    assert "How to fix: Webhook signature validation failed" in page
    assert "sk-live-123" not in page and "tok-999" not in page and "sha256=ab" in page
    assert "&quot;type&quot;: &quot;x&quot;" in page  # the body, indented


def test_another_workspaces_delivery_and_logs_are_not_found(client_in_workspace, other_workspace):
    foreign = IntegrationFactory(workspace=other_workspace)
    delivery = event(foreign)
    assert client_in_workspace.get(reverse("integrations:logs", args=[foreign.pk])).status_code == 404
    assert (
        client_in_workspace.get(
            reverse("integrations:webhook-event", args=[foreign.pk, delivery.pk])
        ).status_code
        == 404
    )


def test_search_by_application_id_links_to_the_orders_timeline(client_in_workspace, workspace, integration):
    run = AssessmentRunFactory(
        workspace=workspace, integration=integration, provider="fake", external_application_id="app-4242"
    )
    page = client_in_workspace.get(
        reverse("integrations:logs", args=[integration.pk]), {"q": "app-4242"}
    ).content.decode()
    assert reverse("integrations:run-timeline", args=[run.pk]) in page
