"""Health of integrations: the status a customer sees with its reason (connected, needs
re-authorization, rate-limited, failing deliveries, disconnected), last success, error rates,
pending and dead write-backs, and credential warnings ahead of breakage.

Computed for many integrations at once with a fixed number of queries (the dashboard and the
list never do one query per integration), using the (integration, time) indexes only."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from integrations.base import RECONNECT_HERE, HealthWarning
from integrations.models import (
    SIGNED_DELIVERY,
    AuthKind,
    Integration,
    IntegrationStatus,
    OutboundCall,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.registry import provider_for

WINDOW = dt.timedelta(hours=24)
RATE_LIMIT_WINDOW = dt.timedelta(minutes=15)
# Like Kombo's "action failing" issue: at least this many failures and at least half of the traffic.
FAILING_MIN = 3
FAILING_SHARE = 0.5

WEBHOOK_PROBLEMS = (WebhookStatus.REJECTED, WebhookStatus.FAILED, WebhookStatus.DEAD)
WRITEBACK_OPEN = (WritebackStatus.PENDING, WritebackStatus.DELIVERING, WritebackStatus.RETRYING)
WRITEBACK_STUCK = (WritebackStatus.DEAD, WritebackStatus.HALTED)
RATE_LIMIT_ERRORS = ("ATSRateLimited", "LocalRateLimited")
# The answers a provider's explained_refusals may excuse: a refusal (403) or a call the ATS does
# not have (404). A 5xx, 429 or 401 on the same call still counts as failed.
EXPLAINED_STATUSES = (403, 404)


class HealthState:
    CONNECTED = "connected"
    PENDING = "pending"
    NEEDS_REAUTH = "needs_reauth"
    RATE_LIMITED = "rate_limited"
    FAILING = "failing"
    DISCONNECTED = "disconnected"

    LABELS = {
        CONNECTED: "Connected",
        PENDING: "Not connected yet",
        NEEDS_REAUTH: "Needs re-authorization",
        RATE_LIMITED: "Rate-limited",
        FAILING: "Failing deliveries",
        DISCONNECTED: "Disconnected",
    }


@dataclass
class Health:
    integration: Integration
    state: str = HealthState.CONNECTED
    reason: str = ""
    last_webhook_at: dt.datetime | None = None
    last_call_ok_at: dt.datetime | None = None
    last_delivered_at: dt.datetime | None = None
    webhooks_24h: int = 0
    webhook_problems_24h: int = 0
    calls_24h: int = 0
    call_errors_24h: int = 0
    rate_limited_recent: int = 0
    writebacks_open: int = 0
    writebacks_waiting_reauth: int = 0
    writebacks_stuck: int = 0
    warnings: list[HealthWarning] = field(default_factory=list)
    # Disconnected where JobCannon's Reconnect is not the way back (the ATS removed us): what to
    # do in the ATS instead (the provider's disconnected_fix_steps).
    resume_steps: tuple[str, ...] = ()
    api_vendor: str = ""  # whose API the calls went to (ATSProvider.api_vendor_name or name)

    @property
    def label(self) -> str:
        return HealthState.LABELS[self.state]

    @property
    def ok(self) -> bool:
        return self.state == HealthState.CONNECTED

    @property
    def last_success_at(self) -> dt.datetime | None:
        stamps = [s for s in (self.last_webhook_at, self.last_call_ok_at, self.last_delivered_at) if s]
        return max(stamps) if stamps else None

    @property
    def webhook_error_rate(self) -> int:
        return round(100 * self.webhook_problems_24h / self.webhooks_24h) if self.webhooks_24h else 0

    @property
    def call_error_rate(self) -> int:
        return round(100 * self.call_errors_24h / self.calls_24h) if self.calls_24h else 0

    @property
    def needs_attention(self) -> bool:
        return not self.ok or bool(self.warnings)


def _failing(problems: int, total: int) -> bool:
    return problems >= FAILING_MIN and problems >= FAILING_SHARE * total


def _derive_state(health: Health) -> None:
    integration = health.integration
    provider = provider_for(integration)
    name = provider.name
    # The company whose API answered the calls (Knit for "Ashby via Knit").
    health.api_vendor = vendor = provider.api_vendor_name or name
    if integration.status == IntegrationStatus.DISCONNECTED:
        health.state, health.reason = HealthState.DISCONNECTED, integration.status_reason or "Disconnected."
        steps = provider.disconnected_fix_steps(integration)
        health.resume_steps = () if steps == RECONNECT_HERE else steps
    elif integration.status == IntegrationStatus.NEEDS_REAUTH:
        reason = integration.status_reason or f"{name} refused our credentials."
        if health.writebacks_waiting_reauth:
            reason += f" {health.writebacks_waiting_reauth} write-back(s) wait for it."
        health.state, health.reason = HealthState.NEEDS_REAUTH, reason
    elif integration.status == IntegrationStatus.PENDING:
        health.state = HealthState.PENDING
        health.reason = integration.status_reason or "Finish the connect wizard."
    elif health.rate_limited_recent:
        health.state = HealthState.RATE_LIMITED
        health.reason = (
            f"{vendor} refused {health.rate_limited_recent} call(s) with 429 in the last 15 minutes; "
            "JobCannon backs off and retries its write-backs and syncs."
        )
    elif health.writebacks_stuck:
        health.state = HealthState.FAILING
        health.reason = f"{health.writebacks_stuck} write-back(s) failed and need a replay."
    elif _failing(health.webhook_problems_24h, health.webhooks_24h):
        health.state = HealthState.FAILING
        health.reason = f"{health.webhook_problems_24h} of {health.webhooks_24h} webhooks were rejected or failed in 24 hours."
    elif _failing(health.call_errors_24h, health.calls_24h):
        health.state = HealthState.FAILING
        health.reason = (
            f"{health.call_errors_24h} of {health.calls_24h} calls to {vendor} failed in 24 hours."
        )
    else:
        health.state, health.reason = HealthState.CONNECTED, ""


def credential_warnings(
    *, integration: Integration, token: Token | None, now: dt.datetime
) -> list[HealthWarning]:
    """Generic predictive checks (refresh-token age and expiry, API-key lifetime) plus the
    provider's own `health_warnings`."""
    provider = provider_for(integration)
    warnings: list[HealthWarning] = []
    warn_before = dt.timedelta(days=provider.credential_warn_before_days)
    if integration.auth_kind == AuthKind.OAUTH2 and token is not None:
        if token.refresh_expires_at and token.refresh_expires_at <= now + warn_before:
            expired = token.refresh_expires_at <= now
            warnings.append(
                HealthWarning(
                    key="refresh_token_expiry",
                    message=(
                        f"The {provider.name} refresh token "
                        + ("expired" if expired else "expires")
                        + f" on {token.refresh_expires_at:%Y-%m-%d}: re-authorize "
                        + ("now." if expired else "before then to avoid an interruption.")
                    ),
                    due_at=token.refresh_expires_at,
                    level="error" if expired else "warning",
                )
            )
        elif (
            provider.refresh_token_warn_after_days
            and token.refresh_issued_at
            and now - token.refresh_issued_at > dt.timedelta(days=provider.refresh_token_warn_after_days)
        ):
            age = (now - token.refresh_issued_at).days
            warnings.append(
                HealthWarning(
                    key="refresh_token_age",
                    message=(
                        f"The {provider.name} refresh token is {age} days old (granted "
                        f"{token.refresh_issued_at:%Y-%m-%d}). Refresh tokens older than 1.5 years should "
                        "be renewed: re-authorize the integration."
                    ),
                    due_at=token.refresh_expires_at,
                )
            )
        if token.access_token and token.access_expires_at is None:
            warnings.append(
                HealthWarning(
                    key="token_without_expiry",
                    message=f"{provider.name} issued an access token without an expiry: JobCannon cannot "
                    "refresh it ahead of time; watch for authorization errors.",
                    level="info",
                )
            )
    if integration.auth_kind == AuthKind.API_KEY and provider.api_key_lifetime_days:
        created = provider.api_key_created_at(integration)
        if created is not None:
            expires = created + dt.timedelta(days=provider.api_key_lifetime_days)
            if expires <= now + warn_before:
                expired = expires <= now
                warnings.append(
                    HealthWarning(
                        key="api_key_expiry",
                        message=(
                            f"The {provider.name} API key "
                            + (
                                f"expired on {expires:%Y-%m-%d}"
                                if expired
                                else f"expires on {expires:%Y-%m-%d}"
                            )
                            + f" ({provider.name} keys last {provider.api_key_lifetime_days} days): generate a "
                            "new key in the ATS and save it here."
                        ),
                        due_at=expires,
                        level="error" if expired else "warning",
                    )
                )
    known = {w.key for w in warnings}
    warnings.extend(w for w in provider.health_warnings(integration) if w.key not in known)
    return warnings


def integration_health_list(*, integrations: Iterable[Integration]) -> dict[int, Health]:
    """Health of every given integration, in a fixed number of queries."""
    items = list(integrations)
    if not items:
        return {}
    ids = [i.pk for i in items]
    now = timezone.now()
    since = now - WINDOW
    health = {i.pk: Health(integration=i) for i in items}

    # Newest successes: correlated subqueries walk the (integration, -time) indexes and stop at
    # the first match instead of aggregating the whole history.
    stamps = Integration.objects.filter(pk__in=ids).annotate(
        last_webhook_at=Subquery(
            WebhookEvent.objects.filter(SIGNED_DELIVERY, integration=OuterRef("pk"))
            .order_by("-received_at")
            .values("received_at")[:1]
        ),
        last_call_ok_at=Subquery(
            OutboundCall.objects.filter(integration=OuterRef("pk"), status_code__lt=400)
            .order_by("-created_at")
            .values("created_at")[:1]
        ),
        last_delivered_at=Subquery(
            WritebackMessage.objects.filter(integration=OuterRef("pk"), delivered_at__isnull=False)
            .order_by("-delivered_at")
            .values("delivered_at")[:1]
        ),
    )
    for row in stamps.values("pk", "last_webhook_at", "last_call_ok_at", "last_delivered_at"):
        h = health[row["pk"]]
        h.last_webhook_at = row["last_webhook_at"]
        h.last_call_ok_at = row["last_call_ok_at"]
        h.last_delivered_at = row["last_delivered_at"]

    webhook_rows = (
        WebhookEvent.objects.filter(integration_id__in=ids, received_at__gte=since)
        .values("integration_id")
        .annotate(total=Count("id"), problems=Count("id", filter=Q(status__in=WEBHOOK_PROBLEMS)))
    )
    for wrow in webhook_rows:
        h = health[wrow["integration_id"]]
        h.webhooks_24h, h.webhook_problems_24h = wrow["total"], wrow["problems"]

    limited = Q(status_code=429) | Q(error_class__in=RATE_LIMIT_ERRORS)
    call_rows = (
        OutboundCall.objects.filter(integration_id__in=ids, created_at__gte=since)
        .values("integration_id")
        .annotate(
            total=Count("id"),
            errors=Count("id", filter=~Q(error_class="")),
            limited=Count("id", filter=limited & Q(created_at__gte=now - RATE_LIMIT_WINDOW)),
        )
    )
    for crow in call_rows:
        h = health[crow["integration_id"]]
        h.calls_24h, h.call_errors_24h, h.rate_limited_recent = crow["total"], crow["errors"], crow["limited"]
    _uncount_explained_refusals(health, ids=ids, since=since)

    writeback_rows = (
        WritebackMessage.objects.filter(
            integration_id__in=ids,
            status__in=[*WRITEBACK_OPEN, *WRITEBACK_STUCK, WritebackStatus.NEEDS_REAUTH],
        )
        .values("integration_id", "status")
        .annotate(n=Count("id"))
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for brow in writeback_rows:
        counts[brow["integration_id"]][brow["status"]] = brow["n"]
    tokens = {t.integration_id: t for t in Token.objects.filter(integration_id__in=ids)}
    for pk, h in health.items():
        c = counts.get(pk, {})
        h.writebacks_open = sum(c.get(s, 0) for s in WRITEBACK_OPEN)
        h.writebacks_stuck = sum(c.get(s, 0) for s in WRITEBACK_STUCK)
        h.writebacks_waiting_reauth = c.get(WritebackStatus.NEEDS_REAUTH, 0)
        if h.integration.status != IntegrationStatus.DISCONNECTED:
            h.warnings = credential_warnings(integration=h.integration, token=tokens.get(pk), now=now)
        _derive_state(h)
    return health


def _uncount_explained_refusals(health: dict[int, Health], *, ids: list[int], since: dt.datetime) -> None:
    """Refusals a provider expects and explains elsewhere (ATSProvider.explained_refusals: Lever's
    webhook registration on a plan without it, Knit's revoke call Knit does not have) stay calls
    but are not failures. The explanations are provider code (no query), so one query for all."""
    explained = {
        pk: set(provider_for(h.integration).explained_refusals(h.integration)) for pk, h in health.items()
    }
    operations = set().union(*explained.values())
    if not operations:
        return
    refusals = (
        OutboundCall.objects.filter(
            integration_id__in=ids,
            created_at__gte=since,
            operation__in=operations,
            status_code__in=EXPLAINED_STATUSES,
        )
        .exclude(error_class="")
        .values("integration_id", "operation")
        .annotate(n=Count("id"))
    )
    for row in refusals:
        if row["operation"] in explained[row["integration_id"]]:
            health[row["integration_id"]].call_errors_24h -= row["n"]


def integration_health(*, integration: Integration) -> Health:
    return integration_health_list(integrations=[integration])[integration.pk]
