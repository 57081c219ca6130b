"""Webhook intake (STYLE.md §3, steps 1-4): identify the integration, verify over the raw bytes,
apply the inbound budgets, and store one row carrying the outcome (webhooks.py writes it and
nudges processing). Verification is pure CPU and happens before the INSERT, so the row is written
once, already rejected with a reason, a duplicate, or verified. The response is sent only after
the commit.

Bounded work for whatever arrives: the integration in the URL (or header / query) is looked up
and verified once; the seeds' hint-less route is bounded by webhook_sources.py; every outcome
takes from a budget keyed on what the caller proved or on its address (inbound_limits.py);
unverified bodies are kept only truncated, with the digest of the whole, and only while a budget
for rejected rows lasts: beyond it a delivery that did not verify is answered as before, 401 with
its reason, but nothing is stored.

An integration's own URL is no secret (the ATS's settings, a customer's screenshot), so what junk
sent to it may store is bounded per integration (issue 21): the rejected rows it stores take from
that integration's budget (WEBHOOK_REJECTED_STORE_BUDGET_PER_INTEGRATION, then a provider-wide cap
of their own), never from what another customer's rejected deliveries are kept with, nor the pool
of rows no integration claimed (WEBHOOK_REJECTED_STORE_BUDGET); they expire after
WEBHOOK_REJECTED_RETENTION_DAYS (jobcannon/audit/retention.py). A refusal of large junk at an
integration's URL before it is read (once its unverified deliveries pass a budget) was tried and
measured worse, 0.59-0.61 of the signed deliveries' rate against 0.84-0.88 reading it
(benchmarks section 7, 2026-12-05): not kept."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest

from integrations import observability
from integrations.base import InboundRequest, ParsedWebhook, Verification
from integrations.models import Integration, IntegrationStatus, WebhookEvent, WebhookStatus
from integrations.services import inbound_limits
from integrations.services.webhook_sources import webhook_hintless_scan_wait, webhook_integration_identify
from integrations.services.webhooks import _store_verified, webhook_event_reopen
from jobcannon.core.exceptions import error_body
from jobcannon.core.jsondepth import MAX_JSON_DEPTH, json_too_deep
from jobcannon.core.logging import current_request_id

logger = logging.getLogger("integrations.services.webhooks")  # the intake's lines keep their logger

# Header values never stored: they carry credentials, not signatures.
REDACTED_HEADERS = frozenset({"authorization", "cookie", "x-hook-secret", "proxy-authorization", "x-api-key"})


@dataclass(frozen=True)
class IntakeResult:
    event: WebhookEvent | None  # None when nothing was stored (413, 429, or a 401 past the store budget)
    status_code: int
    body: dict
    # Extra response headers (a handshake echo such as SmartRecruiters' X-Hook-Secret).
    headers: Mapping[str, str] = field(default_factory=dict)


# What no text column can hold: NUL (PostgreSQL refuses it) and lone UTF-16 surrogates, which
# JSON may spell ("\ud800") and json.loads returns as is, but which no UTF-8 encoder accepts.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _text(value: str) -> str:
    """Untrusted text bound for a text column: characters a database cannot store (a 500 from
    input otherwise) are replaced by U+FFFD; the raw body keeps the original bytes."""
    return _UNSTORABLE.sub("\ufffd", value)


def _store_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        _text(k): ("[redacted]" if k.lower() in REDACTED_HEADERS else _text(v)) for k, v in headers.items()
    }


def webhook_event_receive(
    *,
    provider_key: str,
    integration_public_id: str | None,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    remote_addr: str | None,
    path: str,
) -> IntakeResult:
    """Verify, then store one row carrying the outcome. `remote_addr` is the client's address
    (jobcannon/core/clientaddr.py): the failure and scan budgets are keyed on it, the verified
    budget on the integration the signature proves (integrations/services/inbound_limits.py)."""
    from integrations.registry import get_provider

    provider = get_provider(provider_key)
    lower_headers = {k.lower(): v for k, v in headers.items()}
    request = InboundRequest(body=body, headers=lower_headers, query=dict(query))
    integration: Integration | None = None
    charges: tuple[inbound_limits.Op, ...] = ()  # a hint-less scan's, made with the next budget
    hint = (
        integration_public_id
        or lower_headers.get(provider.integration_header.lower())
        or query.get("integration")
    )

    if hint:
        integration = _integration_for_intake(provider_key, hint)
        if integration is None:
            verification = Verification(ok=False, reason=f"Unknown integration {hint!r} for {provider.name}.")
        elif integration.status == IntegrationStatus.DISCONNECTED:
            verification = Verification(ok=False, reason="This integration is disconnected.")
        else:
            verification = provider.verify_webhook(
                integration, request, integration.secrets_for_verification()
            )
    else:
        limit = settings.WEBHOOK_HINTLESS_MAX_BODY_BYTES
        if len(body) > limit:
            message = (
                f"The body is {len(body)} bytes; on this shared URL the limit is {limit} bytes. Send it to "
                "the integration's own webhook URL (shown on its page), which takes up to "
                f"{settings.WEBHOOK_MAX_BODY_BYTES} bytes."
            )
            return IntakeResult(None, 413, error_body("payload_too_large", message, {"limit": limit}))
        found = webhook_integration_identify(provider=provider, request=request, address=remote_addr)
        if found.retry_after:
            return _rate_limited(found.retry_after, provider_key, "scan")
        integration, verification, charges = found.integration, found.verification, found.charges

    if verification.ok:
        assert integration is not None
        wait = inbound_limits.verified_take(
            provider_key=provider_key, public_id=integration.public_id, charges=charges
        )
        if wait:
            return _rate_limited(wait, provider_key, "verified")
    else:
        wait = inbound_limits.failure_take(address=remote_addr, charges=charges)
        if wait:
            return _rate_limited(wait, provider_key, "failure")

    parsed: ParsedWebhook | None = None
    parse_error = ""
    if verification.ok and json_too_deep(body):
        # The depth check runs here, on a body whose signature verified, just before it is parsed
        # (json.loads and the handlers recurse per level: a RecursionError, a 500), and not in the
        # inbound guard on every body: junk never gets this far (benchmarks section 7).
        parse_error = (
            f"Body is not a valid {provider.name} event: the JSON is nested more than "
            f"{MAX_JSON_DEPTH} levels deep."
        )
    elif verification.ok:
        try:
            parsed = provider.parse_webhook(request)
        except (ValueError, KeyError, TypeError) as exc:
            parse_error = f"Body is not a valid {provider.name} event: {exc}"

    event = WebhookEvent(
        provider=provider_key,
        integration=integration,
        remote_addr=remote_addr,
        path=_text(path[:500]),
        headers=_store_headers(headers),
        body=body,
        signature_scheme=_text(verification.scheme[:60]),
        verified=verification.ok,
        request_id=current_request_id(),  # the intake's id follows the event into its task
    )
    if not verification.ok or parse_error:
        event.status = WebhookStatus.REJECTED
        event.rejection_reason = _text(verification.reason or parse_error)
        # A signed but malformed body took from its integration's verified budget: always kept.
        stored = verification.ok or _rejected_store_take(provider_key=provider_key, integration=integration)
        if not stored:
            whose = "to this integration" if integration is not None else f"for {provider.name}"
            event.rejection_reason += (
                f" Not kept in the webhook log: too many rejected deliveries {whose} right now."
            )
        elif not verification.ok:
            _truncate_unverified(event, body)
        if stored:
            event.save()
        observability.webhook_received(event)
        # A warning for each row the log keeps. Past the store budget (a flood of junk) the refusals
        # are DEBUG, as the scan budget's 429s: the access line and the metric still count each one,
        # and a warning per junk request was itself a flood (and ~0.1 ms of CPU each).
        logger.log(
            logging.WARNING if stored else logging.DEBUG,
            "webhook.rejected",
            extra={"provider": provider_key, "reason": event.rejection_reason, "stored": stored},
        )
        status = 400 if parse_error else 401
        return IntakeResult(
            event if stored else None,
            status,
            {"error": {"code": "webhook_rejected", "message": event.rejection_reason}},
        )

    assert parsed is not None and integration is not None
    event.event_type = _text(parsed.event_type[:120])
    event.external_id = _text(parsed.external_id[:255])
    sync = provider.webhook_response(request, parsed)
    ack = provider.webhook_ack_status

    stored = _store_verified(event)
    observability.webhook_received(event)  # accepted, or duplicate when not stored
    if not stored:
        logger.info("webhook.duplicate", extra={"provider": provider_key, "external_id": event.external_id})
        original = event.duplicate_of
        refused = provider.webhook_duplicate_response(original)
        if isinstance(refused, str):  # "reopen": the vendor resent an event we gave up processing
            if original is not None and webhook_event_reopen(event=original, duplicate=event):
                return IntakeResult(event, ack, {"status": "accepted", "id": original.pk, "reopened": True})
            refused = None  # reopened by a concurrent retry, or nothing left to process: a duplicate
        if refused is not None:
            # Recorded as the duplicate it is (never processed); the log says it was refused.
            event.rejection_reason = _text(refused[1].get("error", {}).get("message", "")[:1000])
            WebhookEvent.objects.filter(pk=event.pk).update(rejection_reason=event.rejection_reason)
            return IntakeResult(event, refused[0], refused[1])
        return IntakeResult(event, ack, {"status": "duplicate"})
    if sync is not None:
        return IntakeResult(event, sync[0], sync[1], headers=sync[2] if len(sync) > 2 else {})
    return IntakeResult(event, ack, {"status": "accepted", "id": event.pk})


def _rate_limited(wait: float, provider_key: str, budget: str) -> IntakeResult:
    """429 with Retry-After and nothing stored: the ATS retries later (nothing was accepted)."""
    seconds = max(1, math.ceil(wait))
    # The scan budget's 429 is what a flood of junk on the hint-less route gets, by the thousand:
    # DEBUG (the access line still records each one). The others say that one sender is failing
    # or that one integration sends more than its limit: worth a warning.
    level = logging.DEBUG if budget == "scan" else logging.WARNING
    logger.log(level, "webhook.rate_limited", extra={"provider": provider_key, "budget": budget})
    body = error_body(
        "rate_limited",
        "Too many requests; retry after the Retry-After delay.",
        {"retry_after": seconds},
    )
    return IntakeResult(None, 429, body, headers={"Retry-After": str(seconds)})


def _truncate_unverified(event: WebhookEvent, body: bytes) -> None:
    """Whoever sent an unverified body, it is kept only as far as a person debugging a wrong
    secret needs (WEBHOOK_REJECTED_BODY_BYTES), with the SHA-256 and size of the whole, so a
    copy can still be matched byte for byte."""
    keep = settings.WEBHOOK_REJECTED_BODY_BYTES
    if len(body) <= keep:
        return
    event.body = body[:keep]
    event.rejection_reason += (
        f" Body stored truncated: the first {keep} of {len(body)} bytes; "
        f"SHA-256 of the whole body {hashlib.sha256(body).hexdigest()}."
    )


def webhook_body_limit(*, request: HttpRequest, provider_key: str, public_id: str | None) -> tuple[int, str]:
    """The largest body this webhook request may send, and what to add to a refusal. The inbound
    guard checks it against Content-Length before the body is read.

    The full WEBHOOK_MAX_BODY_BYTES only when the request names (URL, header or ?integration=, as
    webhook_event_receive reads them) an integration that exists and is not disconnected; any
    other request gets the seeds' hint-less route's smaller limit. A made-up hint used to buy the
    full megabyte, read and handled before anything was checked (issue 21). The integration is
    looked up (cached, _integration_for_intake) only for a body over the smaller limit: for the
    usual small delivery the answer changes nothing, and the intake looks it up anyway."""
    full = settings.WEBHOOK_MAX_BODY_BYTES
    limit, hintless_note = webhook_hintless_body_limit()
    hint = _request_hint(request=request, provider_key=provider_key, public_id=public_id)
    if not hint:
        return limit, hintless_note
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = full + 1  # the guard refuses it anyway; do not let it skip the lookup
    if length <= limit:
        return full, ""
    hinted = _uuid_or_none(str(hint))
    if hinted is not None and _known_public_id(provider_key, hinted):
        integration = _integration_for_intake(provider_key, str(hint))
        if integration is not None and integration.status != IntegrationStatus.DISCONNECTED:
            return full, ""
    return limit, (
        f" No connected integration matches {str(hint)[:64]!r}: a webhook URL of a connected integration "
        f"takes up to {full} bytes."
    )


def webhook_hintless_body_limit() -> tuple[int, str]:
    """The seeds' hint-less route's body limit and what its refusal adds (webhook_body_limit; the
    check before Django, integrations/services/prewsgi.py, refuses with the same words)."""
    full = settings.WEBHOOK_MAX_BODY_BYTES
    return min(full, settings.WEBHOOK_HINTLESS_MAX_BODY_BYTES), (
        " This shared URL takes less: send it to the integration's own webhook URL (shown on its "
        f"page), which takes up to {full} bytes."
    )


def inbound_body_too_large(*, length: int, limit: int, note: str) -> dict:
    """The inbound guard's 413 body (integrations/middleware.py; the same refusal before Django:
    prewsgi.py)."""
    return error_body(
        "payload_too_large",
        f"The request body is {length} bytes; the limit is {limit} bytes.{note}",
        {"limit": limit},
    )


def _request_hint(*, request: HttpRequest, provider_key: str, public_id: str | None) -> str | None:
    """The integration a webhook request names (URL, header or ?integration=), as
    webhook_event_receive reads them; None on the seeds' hint-less route without one."""
    from integrations.registry import get_provider

    return (
        public_id
        or request.headers.get(get_provider(provider_key).integration_header)
        or request.GET.get("integration")
    )


def webhook_refusal_before_read(
    *, request: HttpRequest, provider_key: str, public_id: str | None, address: str | None
) -> IntakeResult | None:
    """The scan budget's 429 for a hint-less delivery, decided by the inbound guard from the
    request line and headers before the body is read: the intake would give the same answer
    (webhook_sources.webhook_hintless_scan_wait: nothing is charged), after reading and copying a
    body up to WEBHOOK_HINTLESS_MAX_BODY_BYTES for nothing. Under a flood of junk on the route
    that answer is most of what the junk costs (benchmarks section 7). None: let the intake read
    it (a request naming its integration, an address with remembered integrations, a budget not
    spent)."""
    if _request_hint(request=request, provider_key=provider_key, public_id=public_id):
        return None
    wait = webhook_hintless_scan_wait(
        provider_key=provider_key, address=address, body_bytes=int(request.META.get("CONTENT_LENGTH") or 0)
    )
    return _rate_limited(wait, provider_key, "scan") if wait else None


def webhook_scan_refusal_early(
    *, provider_key: str, address: str | None, body_bytes: int
) -> IntakeResult | None | bool:
    """webhook_refusal_before_read for a hint-less delivery, asked before Django
    (integrations/services/prewsgi.py) where that costs nothing the guard would not spend:
    only once this process has seen every lane of an unproven address's scan empty (a flood of
    junk once the pools are spent: inbound_limits.scan_lane_known_wait, memory only) and holds a
    fresh candidate list (webhook_sources' per-process cache: no database before Django). Then
    the answer needs at most the address's remembered integrations, one Redis GET (memory without
    Redis), the one the guard would make for this request anyway.

    The 429 when the budget is spent; True when it looked and the answer is "read it" (an address
    with remembered integrations: what it found is kept for this request's intake, and the guard
    must not ask again, prewsgi.SCAN_LOOKED); None when it did not look (Django decides)."""
    from integrations.services import webhook_sources

    if (
        inbound_limits.scan_lane_known_wait(address=address, provider_key=provider_key, body_bytes=body_bytes)
        is None
    ):
        return None
    if not webhook_sources.candidates_cached(provider_key):  # no query before Django
        return None
    wait = webhook_hintless_scan_wait(provider_key=provider_key, address=address, body_bytes=body_bytes)
    return _rate_limited(wait, provider_key, "scan") if wait else True


def _budget_setting(name: str, default: inbound_limits.Budget) -> inbound_limits.Budget:
    raw = getattr(settings, name, None) or {}
    return inbound_limits.Budget(
        per_second=float(raw.get("per_second", default.per_second)),
        burst=float(raw.get("burst", default.burst)),
    )


def _namespace() -> str:
    return str(getattr(settings, "RATE_LIMIT_NAMESPACE", "") or "")


def _rejected_store_take(*, provider_key: str, integration: Integration | None) -> bool:
    """Whether one more rejected (unverified) row may be stored (settings,
    WEBHOOK_REJECTED_STORE_BUDGET*). A row no integration claimed: the provider's pool for them.
    A row an integration claimed: the integration's own budget first, then the provider's cap on
    claimed rows, a pool of its own (the cap of rows no integration claimed is spent by anyone,
    without knowing a URL, and would again hide every customer's rejected deliveries)."""
    if integration is None:
        return not inbound_limits.rejected_store_take(provider_key=provider_key)
    default = inbound_limits.Budget(0.02, 200)
    own = _budget_setting("WEBHOOK_REJECTED_STORE_BUDGET_PER_INTEGRATION", default)
    ns = _namespace()
    if inbound_limits.budget_take(f"{ns}:store:{provider_key}:integration:{integration.public_id}", own):
        return False
    cap = _budget_setting("WEBHOOK_REJECTED_STORE_BUDGET", inbound_limits.Budget(1, 1000))
    return not inbound_limits.budget_take(f"{ns}:store:{provider_key}:claimed", cap)


_intake_cache: dict[tuple[str, str], tuple[float, Integration | None]] = {}
_known_ids: dict[str, tuple[float, frozenset[uuid.UUID]]] = {}


def _known_public_id(provider_key: str, public_id: uuid.UUID) -> bool:
    """Whether an integration of this provider has `public_id`, from a per-process snapshot of
    the provider's ids, read again only when an id is missing from it and the snapshot is older
    than WEBHOOK_INTEGRATION_CACHE_SECONDS (at most one query per interval, however many made-up
    ids arrive). Used before the body limit: a flood of large bodies to random ids cost one
    query each (benchmarks section 7, `1MiB[]@uuid`: 0.88 of alone), now a set lookup. An
    integration created in another process since the last read is found at the next interval:
    until then its deliveries over the hint-less limit are refused 413, and the ATS retries."""
    ttl = settings.WEBHOOK_INTEGRATION_CACHE_SECONDS
    now = time.monotonic()
    read_at, ids = _known_ids.get(provider_key, (-math.inf, frozenset()))
    if public_id in ids:
        return True
    if ttl > 0 and now - read_at < ttl:
        return False
    ids = frozenset(Integration.objects.filter(provider=provider_key).values_list("public_id", flat=True))
    _known_ids[provider_key] = (now, ids)
    return public_id in ids


def _integration_for_intake(provider_key: str, hint: str) -> Integration | None:
    """The integration a webhook names, cached per process for WEBHOOK_INTEGRATION_CACHE_SECONDS.

    Saves one database round trip per delivery. The staleness is bounded and harmless: a rotated
    secret keeps the previous one valid, and a disconnect takes effect within the TTL."""
    ttl = settings.WEBHOOK_INTEGRATION_CACHE_SECONDS
    key = (provider_key, hint)
    now = time.monotonic()
    if ttl > 0:
        cached = _intake_cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
    public_id = _uuid_or_none(hint)
    integration = (
        Integration.objects.filter(provider=provider_key, public_id=public_id)
        .select_related("workspace")
        .first()
        if public_id is not None
        else None  # not an id at all: no query
    )
    if ttl > 0:
        if len(_intake_cache) > 10_000:
            _intake_cache.clear()
        _intake_cache[key] = (now + ttl, integration)
    return integration


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
