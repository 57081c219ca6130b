"""Which integration sent a delivery on the seeds' hint-less route `/<provider>/webhooks`.

The route carries no integration id, so the only way to tell is to try integrations' secrets
over the body. That work is bounded, so that junk on the route cannot take the server from
real deliveries (benchmarks section 7):

- the body: at most WEBHOOK_HINTLESS_MAX_BODY_BYTES (16 KiB; the per-integration URL takes up to
  WEBHOOK_MAX_BODY_BYTES), refused 413 from Content-Length by the inbound guard before the body
  is read (webhook_intake.webhook_body_limit), pointing at the integration's own URL;
- the candidates: at most WEBHOOK_HINTLESS_MAX_CANDIDATES, always the same ones (oldest first,
  integration_list_for_hintless_webhook): an integration beyond them is told, in the rejection
  reason and on its page (selectors.integration_is_hintless_candidate), to use its own URL,
  instead of being rejected at random as before;
- the shape: a body no vendor could send (not one JSON object: every vendor's delivery is one)
  is refused before any secret is tried (_not_a_delivery), so random bytes cost no HMAC;
- remembered first: the integrations a client address's earlier deliveries verified with are
  tried first and for free (a few HMACs), so a real ATS is not slowed by anyone's scan budget;
  with Redis the memory is shared by every server (inbound_limits.shared_*);
- the scan: CPU time per request (WEBHOOK_HINTLESS_SCAN_SECONDS), per client address, and from
  one lane (inbound_limits.scan_lane): a small body (at most WEBHOOK_HINTLESS_SMALL_BODY_BYTES, as
  vendors send) from the small-body lane, its source network's share ("small_network", /24 or
  /48) and the provider's "small" pool, charged its measured time (~0.5-1.5 ms for 50
  integrations) plus WEBHOOK_HINTLESS_SMALL_OVERHEAD_SECONDS: junk at tens of requests a second
  from everywhere does not empty it, junk from one network empties only that network's share, so
  a correctly signed delivery from an address not seen before, in another network, is still
  found (a single pool for all addresses that never verified let junk from random addresses
  answer it 429 for as long as the flood lasted, issue 21; one provider-wide small pool let junk
  above ~310 req/s do the same, the audit of that fix). A larger body, or a small one once its
  network's share or the lane is spent, is charged a fixed WEBHOOK_HINTLESS_SCAN_OVERHEAD_SECONDS
  on top (what answering an unmatched one costs besides its HMACs): an address with remembered
  integrations scans from the "proven" pool of the workspace of the first of them (the one it
  last verified with), any other from the provider's "unproven" pool. So junk from addresses that
  never verified cannot spend what a verified sender's next new customer needs, and neither can
  junk from addresses an attacker proved with their own free integration: that spends their own
  workspace's pool. Past the budget a scan is not started and the delivery is answered 429 (the
  ATS retries; its remembered integrations are still tried first);
- the proving: one integration proves at most WEBHOOK_HINTLESS_PROVEN_ADDRESSES_PER_DAY new
  addresses (inbound_limits.proof_take). Beyond that its deliveries from a new address are still
  accepted, but the address is not remembered for it (they are found by a scan, as before it
  verified), so one account cannot turn an unbounded number of addresses into proven ones."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings

from integrations.base import ATSProvider, InboundRequest, Verification
from integrations.models import Integration
from integrations.selectors import integration_list_for_hintless_webhook
from integrations.services import inbound_limits
from jobcannon.core.clientaddr import client_bucket

REMEMBERED = 8  # integrations remembered per client address (an ATS sends for many customers)
_remembered: OrderedDict[tuple[str, str, str], list[int]] = OrderedDict()
_candidates: dict[str, tuple[float, list[Integration], bool]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Identified:
    integration: Integration | None
    verification: Verification
    retry_after: float = 0.0  # > 0: the scan budget is spent, answer 429
    # The scan's charge to its budgets (inbound_limits.scan_charges), for the caller to make with
    # the request's next budget in one round trip (failure_take or verified_take): made, whatever
    # the answer, before the intake answers. Charged here already when the scan raised.
    charges: tuple[inbound_limits.Op, ...] = ()


@dataclass(frozen=True)
class _Looked:
    """What the inbound guard's webhook_hintless_scan_wait found for a request it let through, for
    the intake's webhook_integration_identify of the same request moments later (same thread): the
    address's remembered integrations and, for an address without any, its scan lane. Asking
    Redis again for both was two of the thirteen round trips a hint-less junk request cost."""

    key: tuple[str, str, str, int]
    at: float
    remembered: list[int]
    lane: inbound_limits.ScanLane | None


_looked = threading.local()
LOOKED_SECONDS = 1.0  # older than this (a request that never reached its intake): looked up again


def _looked_take(provider_key: str, address: str | None, body_bytes: int) -> _Looked | None:
    found: _Looked | None = getattr(_looked, "value", None)
    _looked.value = None  # used once, by the request that looked
    if found is None or found.key != (*_key(provider_key, address), body_bytes):
        return None
    return found if time.monotonic() - found.at <= LOOKED_SECONDS else None


REMEMBER_SECONDS = 7 * 86400


def _key(provider_key: str, address: str | None) -> tuple[str, str, str]:
    return (str(getattr(settings, "RATE_LIMIT_NAMESPACE", "") or ""), provider_key, client_bucket(address))


def _shared_key(key: tuple[str, str, str]) -> str:
    return f"{key[0]}:proved:{key[1]}:{key[2]}"


def _remembered_list(provider_key: str, address: str | None) -> list[int]:
    key = _key(provider_key, address)
    shared = inbound_limits.shared_get(_shared_key(key))
    if shared is not None:
        return [int(pk) for pk in shared.split(",") if pk.isdigit()]
    return list(_remembered.get(key, []))


def _remember(provider_key: str, address: str | None, integration: Integration, known: list[int]) -> None:
    if known[:1] == [integration.pk]:
        return  # already first: nothing to write (the common case, a delivery per request)
    if integration.pk not in known and inbound_limits.proof_take(
        provider_key=provider_key, integration_pk=integration.pk
    ):
        return  # this integration has proved its day's share of new addresses
    key = _key(provider_key, address)
    pks = [integration.pk, *(pk for pk in known if pk != integration.pk)][:REMEMBERED]
    with _lock:
        _remembered[key] = pks
        _remembered.move_to_end(key)
        if len(_remembered) > 10_000:
            _remembered.popitem(last=False)
    inbound_limits.shared_set(_shared_key(key), ",".join(map(str, pks)), seconds=REMEMBER_SECONDS)


def candidates_cached(provider_key: str) -> bool:
    """Whether this process holds a fresh, non-empty candidate list for the hint-less route (so a
    decision about it needs no database: the refusals made before Django, prewsgi.py)."""
    cached = _candidates.get(provider_key)
    return bool(
        settings.WEBHOOK_INTEGRATION_CACHE_SECONDS > 0
        and cached
        and cached[0] > time.monotonic()
        and cached[1]
    )


def _candidate_list(provider_key: str) -> tuple[list[Integration], bool]:
    """The candidates, cached per process like the hinted lookup (WEBHOOK_INTEGRATION_CACHE_SECONDS):
    a rotated secret keeps the previous one valid meanwhile, a disconnect applies within the TTL."""
    ttl = settings.WEBHOOK_INTEGRATION_CACHE_SECONDS
    now = time.monotonic()
    cached = _candidates.get(provider_key)
    if ttl > 0 and cached and cached[0] > now:
        return cached[1], cached[2]
    found, more = integration_list_for_hintless_webhook(
        provider_key=provider_key, limit=settings.WEBHOOK_HINTLESS_MAX_CANDIDATES
    )
    if ttl > 0:
        _candidates[provider_key] = (now + ttl, found, more)
    return found, more


def _not_a_delivery(request: InboundRequest) -> str:
    """Why this body cannot be any vendor's delivery, before a secret is tried ("" when it may be
    one): every vendor we take webhooks from sends one JSON object (Ashby, Lever, SmartRecruiters,
    Knit: their references and tests/fixtures/*/webhooks). Random bytes fail at the first byte; a
    JSON body is parsed once, bounded (jobcannon/core/jsondepth.py), and the parse kept for a
    verifier that reads it. So junk that is not JSON costs no HMAC at all; junk shaped like a
    delivery is still scanned, as a real ATS's first delivery from a new address must be."""
    if request.body.lstrip()[:1] != b"{":
        return "The body is not a JSON object: no integration's secret was tried."
    if request.json_object() is None:  # it starts as an object: it does not parse
        return "The body is not valid JSON: no integration's secret was tried."
    return ""


def webhook_integration_identify(
    *, provider: ATSProvider, request: InboundRequest, address: str | None
) -> Identified:
    checked_from = time.thread_time()
    refused = _not_a_delivery(request)
    candidates, more = _candidate_list(provider.key)
    looked = _looked_take(provider.key, address, len(request.body))
    remembered = looked.remembered if looked is not None else _remembered_list(provider.key, address)
    by_pk = {c.pk: c for c in candidates}
    last: Verification | None = None
    for pk in [] if refused else remembered:
        integration = by_pk.get(pk)
        if integration is not None:
            last = provider.verify_webhook(integration, request, integration.secrets_for_verification())
            if last.ok:
                _remember(provider.key, address, integration, remembered)
                return Identified(integration, last)
    tried_first = set(remembered)
    rest = [c for c in candidates if c.pk not in tried_first]
    # This address has verified before: the proven pool of the workspace it last verified with.
    proven_by = next((by_pk[pk].workspace_id for pk in remembered if pk in by_pk), None)
    if not rest:
        lane = inbound_limits.ScanLane(wait=0.0)
    elif looked is not None and looked.lane is not None and proven_by is None:
        lane = looked.lane  # what the guard asked for this request (proven_by None: no remembered)
    else:
        lane = inbound_limits.scan_lane(
            address=address, provider_key=provider.key, proven_by=proven_by, body_bytes=len(request.body)
        )
    if lane.wait:
        return Identified(
            None,
            Verification(ok=False, reason="Too many unmatched deliveries from this address."),
            retry_after=lane.wait,
        )
    if refused:
        # Charged as a scan that tried nothing: its check's time plus the lane's overhead (what
        # answering and storing it costs), so that a flood of such bodies spends the budgets and
        # is answered 429 before its body is read, as scanned junk is (benchmarks section 7).
        charges = (
            inbound_limits.scan_charges(lane=lane, seconds=time.thread_time() - checked_from) if rest else ()
        )
        reason = f"No {provider.name} integration matched. {refused}"
        return Identified(None, Verification(ok=False, reason=reason), charges=charges)
    started = time.thread_time()
    deadline = started + settings.WEBHOOK_HINTLESS_SCAN_SECONDS
    tried = 0
    found: Integration | None = None
    try:
        for integration in rest:
            tried += 1
            last = provider.verify_webhook(integration, request, integration.secrets_for_verification())
            if last.ok:
                found = integration
                break
            if time.thread_time() > deadline and tried < len(rest):
                break
    except BaseException:
        inbound_limits.scan_charge(lane=lane, seconds=time.thread_time() - started)
        raise
    # Charged its measured time plus its lane's overhead (inbound_limits.scan_lane): from the
    # address's pool what an unmatched scan costs besides its HMACs (the body read, the rejected
    # row, the log lines: benchmarks section 7 measured junk just under the body limit at ~7 ms of
    # CPU a request, so a budget of HMAC time alone let cheap scans through by the dozen a
    # second); in the small-body lane, sized for vendors' bodies, a small fixed part, so that a
    # scan of few candidates still counts. Made by the caller with its next budget (Identified).
    charges = inbound_limits.scan_charges(lane=lane, seconds=time.thread_time() - started) if rest else ()
    if found is not None:
        assert last is not None
        _remember(provider.key, address, found, remembered)
        return Identified(found, last, charges=charges)
    return Identified(None, _unmatched(provider, candidates, more, tried, len(rest), last), charges=charges)


def webhook_hintless_scan_wait(*, provider_key: str, address: str | None, body_bytes: int) -> float:
    """The seconds webhook_integration_identify would answer this address's delivery to wait
    (its scan budget spent), known before the body is read: 0.0 when the address has remembered
    integrations (tried first, for free, whatever the budget) or there is nothing to scan.
    Charges nothing (scan_lane only looks). What it found is kept for this request's intake
    (_Looked), which would otherwise ask the same again."""
    _looked.value = None
    remembered = _remembered_list(provider_key, address)
    lane = None
    if not remembered and _candidate_list(provider_key)[0]:
        lane = inbound_limits.scan_lane(
            address=address, provider_key=provider_key, proven_by=None, body_bytes=body_bytes
        )
        if lane.wait:
            return lane.wait
    _looked.value = _Looked((*_key(provider_key, address), body_bytes), time.monotonic(), remembered, lane)
    return 0.0


def _unmatched(
    provider: ATSProvider,
    candidates: list[Integration],
    more: bool,
    tried: int,
    untried: int,
    last: Verification | None,
) -> Verification:
    if len(candidates) == 1 and not more and last is not None:
        return last  # the one integration's own reason (missing header, wrong secret, ...)
    reason = f"No {provider.name} integration matched: unknown integration or wrong secret."
    if tried < untried:
        reason += (
            f" Stopped after trying {tried} of {len(candidates)} integrations (time limit for this body's "
            "size): send to the integration's own webhook URL."
        )
    if more:
        reason += (
            f" Only the first {len(candidates)} {provider.name} integrations are tried on this shared URL: "
            "deliveries for the others must use their own webhook URL (shown on the integration's page)."
        )
    return Verification(ok=False, scheme=last.scheme if last else "", reason=reason)
