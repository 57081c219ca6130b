"""Reads for the integration pages: integrations of a workspace, the unified log (webhooks in,
calls out, activity) with keyset pagination, the hourly chart, one delivery, runs by reference.

Built for a million events per integration: every list walks an (integration or provider,
time) index from the cursor down and stops after one page; nothing counts the whole table."""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from integrations.models import (
    ActivityLevel,
    Integration,
    IntegrationActivity,
    IntegrationStatus,
    OutboundCall,
    WebhookEvent,
    WebhookStatus,
)

logger = logging.getLogger(__name__)


def integration_list_for_workspace(*, workspace) -> QuerySet[Integration]:
    return Integration.objects.filter(workspace=workspace).order_by("provider", "environment")


def integration_get_for_workspace(*, workspace, pk: int) -> Integration:
    integration = Integration.objects.filter(workspace=workspace, pk=pk).select_related("workspace").first()
    if integration is None:
        raise Http404("No such integration")
    return integration


def integration_get_by_public_id(*, provider: str, public_id) -> Integration | None:
    return (
        Integration.objects.filter(provider=provider, public_id=public_id).select_related("workspace").first()
    )


def webhook_url_for(integration: Integration) -> str:
    """The per-integration webhook path (/webhooks/<provider>/<integration uuid>/). Providers,
    the console and demo_seed build it here, not in integrations.views (a provider must not
    depend on a web module: the "providers-not-web" import contract)."""
    return reverse("integrations:webhook", args=[integration.provider, integration.public_id])


def integration_webhook_url(*, integration: Integration) -> str:
    """The absolute per-integration webhook URL an admin pastes into the ATS."""
    return settings.JOBCANNON_BASE_URL + webhook_url_for(integration)


def _hintless_candidates(provider_key: str) -> QuerySet[Integration]:
    """Every integration the seeds' hint-less route may try, before the limit.

    Only a disconnected one is left out (intake refuses its deliveries anyway). Every other
    status can still verify a delivery, so leaving it out would lose real deliveries:
    - "pending" or "needs re-authorization" only says whether our calls to the ATS work;
    - a sandbox integration receives the vendor sandbox's deliveries.
    Whether an integration holds a secret its ATS signs with cannot be asked in SQL: the secrets
    and credentials are encrypted. A stored flag would leave out almost nothing.
    integration_create gives every integration a webhook secret, and no path empties the list.
    Ashby and SmartRecruiters (seed header) sign with that secret, and so does Lever as seed 004
    sets it up (X-Lever-Signature with "the webhook secret"). The exception is a Knit integration
    whose API key was never saved: Knit signs with that key, so it can verify nothing yet."""
    return Integration.objects.filter(provider=provider_key).exclude(status=IntegrationStatus.DISCONNECTED)


def integration_list_for_hintless_webhook(*, provider_key: str, limit: int) -> tuple[list[Integration], bool]:
    """The integrations a delivery on the seeds' hint-less route may be from, in a fixed order
    (oldest first: an integration keeps its place when others are added), and whether there are
    more than `limit` of them."""
    found = list(_hintless_candidates(provider_key).select_related("workspace").order_by("pk")[: limit + 1])
    return found[:limit], len(found) > limit


def integration_is_hintless_candidate(*, integration: Integration, limit: int) -> bool:
    """Whether a delivery on the hint-less route can be matched to this integration. It must be
    one of the first `limit` of integration_list_for_hintless_webhook. A later one has every
    delivery there rejected, and the reason lands on a row with no integration, which its
    customer never sees. So its page tells it to use its own URL instead. Counts at most `limit`
    older rows."""
    if integration.status == IntegrationStatus.DISCONNECTED:
        return False
    older = _hintless_candidates(integration.provider).filter(pk__lt=integration.pk).order_by()[:limit]
    return older.count() < limit


def webhook_event_list_for_integration(
    *, integration: Integration, status: str = "", q: str = ""
) -> QuerySet[WebhookEvent]:
    qs = WebhookEvent.objects.filter(integration=integration).defer("body", "traceback")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(event_type__icontains=q) | Q(external_id__icontains=q) | Q(rejection_reason__icontains=q)
        )
    return qs


def outbound_call_list_for_integration(*, integration: Integration) -> QuerySet[OutboundCall]:
    return OutboundCall.objects.filter(integration=integration)


def activity_list_for_integration(*, integration: Integration) -> QuerySet[IntegrationActivity]:
    return IntegrationActivity.objects.filter(integration=integration)


def webhook_event_counts(*, integration: Integration) -> dict[str, int]:
    since = timezone.now() - dt.timedelta(days=7)
    rows = (
        WebhookEvent.objects.filter(integration=integration, received_at__gte=since)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}


def webhook_event_get_for_integration(*, integration: Integration, pk: int) -> WebhookEvent:
    event = WebhookEvent.objects.filter(integration=integration, pk=pk).first()
    if event is None:
        raise Http404("No such delivery")
    return event


# --- The unified log ---------------------------------------------------------------------------

DIRECTIONS = (
    ("", "All"),
    ("in", "Webhooks in"),
    ("partner", "Partner API calls from the ATS"),
    ("out", "Calls to the ATS"),
    ("activity", "Activity"),
)
# Providers log the calls an ATS makes to our partner API as activity of kind "partner.*".
PARTNER_KIND_PREFIX = "partner."
RANGES = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7),
          "30d": dt.timedelta(days=30), "all": None}  # fmt: skip
PROBLEMS = "problems"
WEBHOOK_PROBLEMS = (WebhookStatus.REJECTED, WebhookStatus.FAILED, WebhookStatus.DEAD)
# Order of sources at the same instant (newest first): webhook, call, activity.
RANK = {"webhook": 3, "call": 2, "activity": 1}


@dataclass(frozen=True)
class LogFilters:
    direction: str = ""
    status: str = ""
    event: str = ""
    q: str = ""
    range: str = "7d"
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @property
    def webhook_status(self) -> str:
        return self.status if self.status in WebhookStatus.values else ""


def log_filters_from(params: Any, *, now: dt.datetime | None = None) -> LogFilters:
    """Filters from a GET query; unknown values fall back to defaults (never a 500)."""
    now = now or timezone.now()
    direction = params.get("direction", "")
    direction = direction if direction in dict(DIRECTIONS) else ""
    status = params.get("status", "")
    status = status if status == PROBLEMS or status in WebhookStatus.values else ""
    range_key = params.get("range", "7d")
    range_key = range_key if range_key in RANGES else "7d"
    delta = RANGES[range_key]
    since = now - delta if delta else None
    until = None
    for name in ("since", "until"):
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            continue
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if name == "since":
            since = value
        else:
            until = value
    return LogFilters(
        direction=direction,
        status=status,
        event=(params.get("event") or "").strip()[:120],
        q=(params.get("q") or "").strip()[:200],
        range=range_key,
        since=since,
        until=until,
    )


@dataclass(frozen=True)
class LogEntry:
    at: dt.datetime
    source: str  # webhook | call | activity
    pk: int
    title: str
    status: str  # a CSS badge class
    status_label: str
    detail: str
    integration: Integration | None
    obj: Any = None

    @property
    def direction(self) -> str:
        if self.source == "activity" and self.title.startswith(PARTNER_KIND_PREFIX):
            return "partner"
        return {"webhook": "in", "call": "out"}.get(self.source, "activity")


@dataclass
class LogPage:
    entries: list[LogEntry] = field(default_factory=list)
    next_cursor: str = ""
    # Set when a search ran: free text was looked for in this many newest rows of each kind.
    text_search_rows: int = 0


def _cursor_parse(cursor: str) -> tuple[dt.datetime, int, int] | None:
    try:
        stamp, rank, pk = cursor.rsplit("_", 2)
        when = dt.datetime.fromisoformat(stamp)
        return (when if timezone.is_aware(when) else timezone.make_aware(when)), int(rank), int(pk)
    except (ValueError, TypeError):
        return None


def _cursor_for(entry: LogEntry) -> str:
    return f"{entry.at.isoformat()}_{RANK[entry.source]}_{entry.pk}"


def _after_cursor(source: str, field_name: str, cursor: tuple[dt.datetime, int, int] | None) -> Q:
    """Rows strictly after the cursor in (time desc, source rank desc, id desc) order."""
    if cursor is None:
        return Q()
    when, rank, pk = cursor
    mine = RANK[source]
    if mine < rank:
        return Q(**{f"{field_name}__lte": when})
    if mine > rank:
        return Q(**{f"{field_name}__lt": when})
    # The leading `<= when` is what an index can seek to; the OR alone made PostgreSQL filter every newer row.
    return Q(**{f"{field_name}__lte": when}) & (Q(**{f"{field_name}__lt": when}) | Q(pk__lt=pk))


def _time_range(field_name: str, filters: LogFilters) -> Q:
    q = Q()
    if filters.since:
        q &= Q(**{f"{field_name}__gte": filters.since})
    if filters.until:
        q &= Q(**{f"{field_name}__lte": filters.until})
    return q


# A search reads free text (`icontains`, which no index serves) and unindexed ids only in the
# newest SEARCH_TEXT_ROWS rows of each table within the scope and time range: over a million
# deliveries it was a 1.8 s sequential scan. The ATS's event id and the delivery number are
# matched exactly, through indexes, at any depth.
SEARCH_TEXT_ROWS = 10_000


def _search_edge(base: QuerySet, field_name: str) -> Q:
    """Rows no older than the SEARCH_TEXT_ROWS-th newest row of `base` (a walk of that many index
    entries). Its own small statement rather than a subquery: given the time as a literal, the
    planner knows how few rows follow it; given a subquery it plans for the whole table (and
    PostgreSQL spent 60 ms compiling that plan with JIT)."""
    edge = list(
        base.order_by(f"-{field_name}").values_list(field_name, flat=True)[SEARCH_TEXT_ROWS - 1 :][:1]
    )
    return Q(**{f"{field_name}__gte": edge[0]}) if edge else Q()


# What a log row shows of its integration; not the rest (its encrypted credentials would be
# decrypted for every row: a third of a page's time).
_INTEGRATION_SHOWN = (
    "integration__id",
    "integration__provider",
    "integration__environment",
    "integration__workspace__name",
)


def _delivery_number(q: str) -> int | None:
    """ "12345" or "#12345": the number in a delivery's address, as support quotes it."""
    digits = q.removeprefix("#")
    return int(digits) if digits.isdigit() and len(digits) < 19 else None


def _webhooks(scope: Q, filters: LogFilters, cursor, limit: int) -> list[LogEntry]:
    if filters.direction not in ("", "in"):
        return []
    in_range = WebhookEvent.objects.filter(scope, _time_range("received_at", filters))
    qs = in_range.filter(_after_cursor("webhook", "received_at", cursor))
    if filters.status == PROBLEMS:
        qs = qs.filter(status__in=WEBHOOK_PROBLEMS)
    elif filters.webhook_status:
        qs = qs.filter(status=filters.webhook_status)
    if filters.event:
        qs = qs.filter(event_type=filters.event)
    qs = (
        qs.select_related("integration__workspace")
        .only(
            "id", "received_at", "event_type", "external_id", "status", "rejection_reason", "error",
            "attempts", "signature_scheme", "verified", *_INTEGRATION_SHOWN,
        )
        .order_by("-received_at", "-id")
    )  # fmt: skip
    if filters.q:
        q = filters.q
        exact = Q(external_id=q)
        if (number := _delivery_number(q)) is not None:
            exact |= Q(pk=number)
        # Our request id has no index (each one costs every delivery's INSERT): newest rows only.
        text = (
            Q(request_id=q)
            | Q(event_type__icontains=q)
            | Q(rejection_reason__icontains=q)
            | Q(error__icontains=q)
        )
        # Two statements, not one OR: with the OR PostgreSQL walks the time index until it has a
        # page, i.e. through every row above a lone old id match.
        by_id = list(qs.filter(exact)[:limit])
        by_text = list(qs.filter(text, _search_edge(in_range, "received_at"))[:limit])
        unique = {e.pk: e for e in by_id + by_text}
        rows = sorted(unique.values(), key=lambda e: (e.received_at, e.pk), reverse=True)[:limit]
    else:
        rows = list(qs[:limit])
    return [
        LogEntry(
            at=e.received_at,
            source="webhook",
            pk=e.pk,
            title=e.event_type or "(unparsed delivery)",
            status=e.status,
            status_label=e.get_status_display(),
            detail=e.rejection_reason or e.error or (f"id {e.external_id}" if e.external_id else ""),
            integration=e.integration,
            obj=e,
        )
        for e in rows
    ]


def _calls(scope: Q, filters: LogFilters, cursor, limit: int) -> list[LogEntry]:
    if filters.direction not in ("", "out") or filters.webhook_status:
        return []
    in_range = OutboundCall.objects.filter(scope, _time_range("created_at", filters))
    qs = in_range.filter(_after_cursor("call", "created_at", cursor))
    if filters.status == PROBLEMS:
        qs = qs.exclude(error_class="")
    if filters.event:
        qs = qs.filter(operation=filters.event)
    if filters.q:
        q = filters.q
        # The ATS's request id is matched exactly but, unindexed, within the newest rows too.
        qs = qs.filter(
            Q(path__icontains=q)
            | Q(vendor_request_id=q)
            | Q(error_message__icontains=q)
            | Q(operation__icontains=q),
            _search_edge(in_range, "created_at"),
        )
    rows = (
        qs.select_related("integration__workspace")
        .only(
            "id", "created_at", "method", "path", "operation", "status_code", "duration_ms", "error_class",
            "error_message", "vendor_request_id", *_INTEGRATION_SHOWN,
        )
        .order_by("-created_at", "-id")[:limit]
    )  # fmt: skip
    entries = []
    for c in rows:
        ok = not c.error_class
        entries.append(
            LogEntry(
                at=c.created_at,
                source="call",
                pk=c.pk,
                title=f"{c.method} {c.path}",
                status="ok" if ok else ("warning" if c.status_code == 429 else "error"),
                status_label=(str(c.status_code) if c.status_code else c.error_class or "—"),
                detail=(c.error_message or c.operation)
                + (f" · {c.duration_ms} ms" if c.duration_ms else "")
                + (f" · request id {c.vendor_request_id}" if c.vendor_request_id else ""),
                integration=c.integration,
                obj=c,
            )
        )
    return entries


def _activity(scope: Q, filters: LogFilters, cursor, limit: int) -> list[LogEntry]:
    if filters.direction not in ("", "activity", "partner") or filters.webhook_status:
        return []
    in_range = IntegrationActivity.objects.filter(scope, _time_range("created_at", filters))
    qs = in_range.filter(_after_cursor("activity", "created_at", cursor))
    if filters.direction == "partner":
        qs = qs.filter(kind__startswith=PARTNER_KIND_PREFIX)
    if filters.status == PROBLEMS:
        qs = qs.filter(level__in=[ActivityLevel.WARNING, ActivityLevel.ERROR])
    if filters.event:
        qs = qs.filter(kind=filters.event)
    if filters.q:
        qs = qs.filter(_search_edge(in_range, "created_at"), message__icontains=filters.q)
    rows = (
        qs.select_related("integration__workspace")
        .only("id", "created_at", "level", "kind", "message", *_INTEGRATION_SHOWN)
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        LogEntry(
            at=a.created_at,
            source="activity",
            pk=a.pk,
            title=a.kind,
            status=a.level,
            status_label=a.get_level_display(),
            detail=a.message,
            integration=a.integration,
            obj=a,
        )
        for a in rows
    ]


def log_entries_list(
    *,
    integration: Integration | None = None,
    provider: str = "",
    workspace_id: int | None = None,
    filters: LogFilters,
    cursor: str = "",
    limit: int = 50,
) -> LogPage:
    """One page of the merged log, newest first: at most limit+1 rows from each of the three
    tables below the cursor, merged; three queries whatever the table sizes. Scoped to one
    integration (customers) or to a provider, optionally one workspace (staff)."""
    if integration is not None:
        scope = Q(integration=integration)
        activity_scope = Q(integration=integration)
    elif provider:
        scope = Q(provider=provider)
        activity_scope = Q(integration__provider=provider)
        if workspace_id is not None:
            scope &= Q(integration__workspace_id=workspace_id)
            activity_scope &= Q(integration__workspace_id=workspace_id)
    else:
        raise ValueError("Scope the log to an integration or a provider.")
    position = _cursor_parse(cursor) if cursor else None
    merged = (
        _webhooks(scope, filters, position, limit + 1)
        + _calls(scope, filters, position, limit + 1)
        + _activity(activity_scope, filters, position, limit + 1)
    )
    merged.sort(key=lambda e: (e.at, RANK[e.source], e.pk), reverse=True)
    page = LogPage(entries=merged[:limit], text_search_rows=SEARCH_TEXT_ROWS if filters.q else 0)
    if len(merged) > limit:
        page.next_cursor = _cursor_for(page.entries[-1])
    return page


# --- The chart: webhooks per hour by outcome ---------------------------------------------------

OUTCOMES = (
    ("accepted", "Accepted", "#1a7f37"),
    ("duplicate", "Duplicate", "#8c959f"),
    ("failed", "Failed processing", "#bf8700"),
    ("rejected", "Rejected", "#cf222e"),
)
OUTCOME_OF: dict[str, str] = {
    WebhookStatus.REJECTED: "rejected",
    WebhookStatus.DUPLICATE: "duplicate",
    WebhookStatus.FAILED: "failed",
    WebhookStatus.DEAD: "failed",
}


@dataclass(frozen=True)
class ChartBar:
    start: dt.datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Chart:
    bars: tuple[ChartBar, ...]
    totals: dict[str, int]
    days: tuple[tuple[dt.date, dict[str, int]], ...]

    @property
    def max_total(self) -> int:
        return max((b.total for b in self.bars), default=0)

    @property
    def grand_total(self) -> int:
        return sum(self.totals.values())


# How long the chart trusts a finished hour it counted before (see webhook_chart).
CHART_SETTLE = dt.timedelta(minutes=30)
CHART_RECENT = dt.timedelta(hours=24)
CHART_TTL_RECENT = (10 * 60, 20 * 60)  # seconds, drawn at random per hour
CHART_TTL_OLD = (4 * 3600, 8 * 3600)
CHART_CACHE_VERSION = 1


def _chart_cache_key(*, integration: Integration | None, provider: str) -> str:
    # public_id, not pk: a pk comes back after a database is recreated (tests, restores), a
    # random public_id does not, so counts of a dropped integration are never shown for a new one.
    scope = f"i:{integration.public_id}" if integration is not None else f"p:{provider}"
    return f"integrations:webhook-chart:v{CHART_CACHE_VERSION}:{scope}"


def _chart_cache_get(key: str) -> dict[int, tuple[float, tuple[int, ...]]]:
    # The cache is a speed-up here: when it is down the chart counts the whole week, as it did.
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - any backend error (Redis down, timeout) degrades the same way
        logger.warning("webhook_chart.cache_unavailable", exc_info=True)
        return {}
    return value if isinstance(value, dict) else {}


def _chart_cache_set(key: str, value: dict[int, tuple[float, tuple[int, ...]]], *, timeout: int) -> None:
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:  # noqa: BLE001 - see _chart_cache_get
        logger.warning("webhook_chart.cache_unavailable", exc_info=True)


def _hour_ranges(hours: list[dt.datetime], open_end: bool) -> Q:
    """received_at inside any of the hours (sorted), as few ranges as the runs of consecutive hours;
    the last range is open-ended when it reaches the current hour, as the whole-week query was."""
    runs: list[list[dt.datetime]] = []
    for start in hours:
        if runs and start - runs[-1][-1] == dt.timedelta(hours=1):
            runs[-1].append(start)
        else:
            runs.append([start])
    q = Q()
    for n, run in enumerate(runs):
        if open_end and n == len(runs) - 1:
            q |= Q(received_at__gte=run[0])
        else:
            q |= Q(received_at__gte=run[0], received_at__lt=run[-1] + dt.timedelta(hours=1))
    return q


def webhook_chart(
    *,
    integration: Integration | None = None,
    provider: str = "",
    days: int = 7,
    now: dt.datetime | None = None,
) -> Chart:
    """Deliveries per hour by outcome for the last `days` days (by the hour they were received).

    A grouped count over a week of deliveries took 220-600 ms with a million rows, on every view
    of the log, so finished hours are counted once and kept in the cache (Redis in production,
    the database cache in development), one entry per scope: {hour: (valid until, counts)}. Each
    view runs one grouped query over the hours it has no valid count for, which normally is the
    live part only: the current hour, plus the previous one until CHART_SETTLE after it ended.

    Staleness is bounded. Rejected and duplicate are final at intake; what can still change is
    accepted vs failed, when processing retries, the sweep re-runs a crashed claim or staff
    reprocess a delivery. Processing retries end within about 25 minutes (5 s ... 15 min
    backoff, 6 attempts): those hours are still counted live. A finished hour younger than a
    day is trusted for 10-20 minutes, an older one for 4-8 hours (random, so the week's hours are
    not all recounted on the same view); a delivery's later outcome shows within that time. New
    deliveries always land in live hours, so they show on the next view. The first view of a
    scope (or one after the cache was lost) counts the whole week once, as every view used to."""
    now = timezone.localtime(now)
    end = now.replace(minute=0, second=0, microsecond=0)
    hours = [end - dt.timedelta(hours=h) for h in range(days * 24 - 1, -1, -1)]
    scope = Q(integration=integration) if integration is not None else Q(provider=provider)
    key = _chart_cache_key(integration=integration, provider=provider)
    live_from = (now - CHART_SETTLE).replace(minute=0, second=0, microsecond=0)
    stamp = now.timestamp()
    outcome_keys = [key_ for key_, _, _ in OUTCOMES]

    cached = _chart_cache_get(key)
    counts: dict[dt.datetime, dict[str, int]] = {}
    missing: list[dt.datetime] = []
    for start in hours:
        entry = cached.get(int(start.timestamp())) if start < live_from else None
        if entry is not None and entry[0] > stamp and len(entry[1]) == len(outcome_keys):
            counts[start] = dict(zip(outcome_keys, entry[1], strict=True))
        else:
            missing.append(start)
    if missing:
        fresh = {start: {k: 0 for k in outcome_keys} for start in missing}
        rows = (
            WebhookEvent.objects.filter(scope, _hour_ranges(missing, open_end=missing[-1] == hours[-1]))
            .annotate(hour=TruncHour("received_at"))
            .values("hour", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            bucket = fresh.get(row["hour"])
            if bucket is not None:
                bucket[OUTCOME_OF.get(row["status"], "accepted")] += row["n"]
        counts.update(fresh)
        first = int(hours[0].timestamp())
        keep = {ts: e for ts, e in cached.items() if ts >= first and e[0] > stamp}
        for start in missing:
            if start < live_from:
                low, high = CHART_TTL_RECENT if now - start < CHART_RECENT else CHART_TTL_OLD
                keep[int(start.timestamp())] = (
                    stamp + random.uniform(low, high),  # noqa: S311 - spreading expiry, not a secret
                    tuple(fresh[start][k] for k in outcome_keys),
                )
        if keep != cached:
            _chart_cache_set(key, keep, timeout=int((days + 1) * 86400))

    bars = []
    totals: dict[str, int] = {k: 0 for k in outcome_keys}
    per_day: dict[dt.date, dict[str, int]] = {}
    for start in hours:
        bucket = counts[start]
        bars.append(ChartBar(start=start, counts=bucket))
        day = per_day.setdefault(start.date(), {k: 0 for k in outcome_keys})
        for k, n in bucket.items():
            totals[k] += n
            day[k] += n
    return Chart(bars=tuple(bars), totals=totals, days=tuple(per_day.items()))


def run_list_for_integration(*, integration: Integration, q: str = "", limit: int = 50) -> QuerySet:
    from assessments.models import AssessmentRun

    qs = AssessmentRun.objects.filter(integration=integration)
    if q:
        qs = qs.filter(
            Q(external_candidate_id=q)
            | Q(external_application_id=q)
            | Q(external_assessment_id=q)
            | Q(candidate_email__iexact=q)
            | Q(candidate_last_name__iexact=q)
        )
    return qs.order_by("-created_at", "-id")[:limit]


def run_get_for_workspace(*, workspace, pk: int):
    from assessments.models import AssessmentRun

    run = (
        AssessmentRun.objects.filter(workspace=workspace, pk=pk)
        .select_related("integration", "integration__workspace")
        .first()
    )
    if run is None:
        raise Http404("No such assessment order")
    return run
