"""Guided fixes: the setup guides' "Common Errors" (a provider's `common_errors`, from its seed)
and the ones every ATS shares, matched to a failure's reason text and shown next to it on the
checklist, the delivery detail and the timeline."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.base import ATSProvider, CommonError

# Guided fixes every ATS shares; a provider's own `common_errors` (its seed) come first.
GENERIC_ERRORS: tuple[CommonError, ...] = (
    CommonError(
        title="Webhook signature validation failed",
        cause="The delivery was not signed with this integration's webhook secret, or its body was "
        "changed after signing.",
        fix=(
            "Copy the webhook secret of this integration into the ATS's webhook settings again "
            "(rotate it here to get a new one; the previous one keeps working during the switch).",
            "Make sure nothing between the ATS and JobCannon re-encodes the body (a proxy that "
            "reformats JSON breaks the signature).",
            "Check the ATS's webhook delivery log for the response JobCannon sent.",
        ),
        match=("signature", "wrong secret", "body changed", "no webhook secret", "missing"),
        checks=("webhook_received",),
    ),
    CommonError(
        title="Webhook sent to the wrong integration",
        cause="The delivery named an integration JobCannon does not know, or one that is disconnected.",
        fix=("Paste exactly the webhook URL shown on this page into the ATS.",),
        match=("unknown integration", "disconnected", "no integration"),
        checks=("webhook_received", "webhooks"),
    ),
    CommonError(
        title="Stale or replayed delivery",
        cause="The signed timestamp is outside the allowed window (clock skew or a replay).",
        fix=("Check the clock of the sending system; redeliver the event from the ATS.",),
        match=("timestamp", "too old", "replay", "clock"),
        checks=("webhook_received",),
    ),
    CommonError(
        title="Invalid redirect URI",
        cause="The redirect URI registered in the ATS does not match JobCannon's callback URL.",
        fix=(
            "Copy the redirect URI shown on this page into the ATS app settings.",
            "Check for typos and trailing slashes.",
        ),
        match=("redirect_uri", "redirect uri", "redirect_uri_mismatch"),
        checks=("credentials",),
    ),
    CommonError(
        title="401 Unauthorized",
        cause="The token expired or was revoked, or the API key is wrong or was regenerated.",
        fix=(
            "Re-authorize the integration (OAuth) or save a newly generated API key here.",
            "Failed write-backs waiting on this are retried automatically once it succeeds.",
        ),
        match=(
            "401",
            "unauthor",
            "invalid api key",
            "expired",
            "revoked",
            "invalid_grant",
            "rejected our credentials",
        ),
        checks=("credentials", "writeback"),
    ),
    CommonError(
        title="403 Forbidden: missing permission",
        cause="The token or key lacks a scope or endpoint permission JobCannon needs.",
        fix=(
            "Open the app or API key settings in the ATS and grant every permission listed on this checklist.",
            "Re-authorize and approve all requested scopes (OAuth) or generate a key with them.",
        ),
        match=("403", "forbidden", "permission", "scope"),
        checks=("scopes", "credentials", "writeback"),
    ),
    CommonError(
        title="Rate limited",
        cause="The ATS asked JobCannon to slow down (429).",
        fix=("Nothing to do: JobCannon honours Retry-After and backs off (5s → 15s → 60s → 5m).",),
        match=("429", "rate limit", "rate_limit"),
        checks=("writeback",),
    ),
    CommonError(
        title="Record not found in the ATS",
        cause="The candidate, application or assessment the result belongs to no longer exists there.",
        fix=(
            "Check that the candidate and application still exist and are active in the ATS.",
            "Replay the write-back once the record exists again.",
        ),
        match=("404", "not found", "does not exist"),
        checks=("writeback",),
    ),
    CommonError(
        title="The ATS could not be reached",
        cause="A network error, a timeout or a server error at the ATS.",
        fix=(
            "Nothing to do in most cases: JobCannon retries write-backs with backoff for up to 72 hours.",
            "A credentials check is not retried: press Test now again in a few minutes.",
        ),
        match=(
            "could not connect",
            "could not be reached",
            "network",
            "did not answer",
            "server error",
            "failed (5",
            "a failure on its side",
            "rate-limiting",
        ),
        checks=("writeback", "credentials"),
    ),
)


@dataclass(frozen=True)
class Fix:
    title: str
    cause: str
    steps: tuple[str, ...]


def fixes_for(
    *, provider: ATSProvider, check: str, text: str = "", matched_only: bool = False
) -> tuple[Fix, ...]:
    """Guided fixes: entries whose `match` fragments occur in the failure text (provider's seed
    first), else the entries filed under this checklist item.

    `matched_only` (the checklist): only entries filed under this item whose `match` occurs in the
    text, and none when no entry matches. Entries filed under other items, or shown for want of a
    match, were unrelated advice there (a signature fix for webhooks never registered, OAuth fixes
    on an API key). The sign-in method is judged the same way: an entry for one method matches
    only the texts its failures carry (Ashby's OAuth 401 says "token expired or insufficient
    scopes", its API-key 401 does not)."""
    catalog = [*provider.common_errors, *GENERIC_ERRORS]
    lowered = (text or "").lower()
    chosen: list[CommonError] = []
    if lowered:
        chosen = [
            e
            for e in catalog
            if any(m in lowered for m in e.match) and (check in e.checks or not matched_only)
        ]
        # A provider entry filed under this check outranks generic text matches from other checks.
        chosen.sort(key=lambda e: (check not in e.checks, e not in provider.common_errors))
    if not chosen and not matched_only:
        chosen = [e for e in provider.common_errors if check in e.checks] or [
            e for e in GENERIC_ERRORS if check in e.checks
        ][:1]
    seen: set[str] = set()
    fixes: list[Fix] = []
    for entry in chosen:
        if entry.title in seen:
            continue
        seen.add(entry.title)
        fixes.append(Fix(title=entry.title, cause=entry.cause, steps=entry.fix))
    return tuple(fixes[:2])
