"""The verification checklist of one integration: every item computed from real state (never
ticked by hand), with the reason and the guided fix when it fails, and a "test now" action
where one is possible. Generic: providers contribute through the contract hooks only
(`required_scopes`, `registered_webhooks`, `common_errors`, `checklist_checks`,
`optional_checklist_items`, `explained_refusals`, `signs_with_our_secret`,
`send_test_webhook`, `send_test_assessment`). A provider check with the key of a built-in item
replaces it, where the provider judges that item from state this module cannot read (e.g. the
scopes of SmartRecruiters' company credentials, which no Token holds)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.urls import reverse
from django.utils import timezone

from assessments.catalog import UnknownInstrument, instrument_get
from integrations.base import ATSProvider, ChecklistCheck
from integrations.models import (
    SIGNED_DELIVERY,
    AuthKind,
    Environment,
    Integration,
    IntegrationActivity,
    IntegrationStatus,
    OutboundCall,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.registry import provider_for
from integrations.services.fixes import Fix, fixes_for

logger = logging.getLogger(__name__)

RECENT = timedelta(days=7)

OK, FAIL, WAITING = "ok", "fail", "waiting"


@dataclass(frozen=True)
class CheckItem:
    key: str
    title: str
    state: str  # ok | fail | waiting
    detail: str
    fixes: tuple[Fix, ...] = ()
    action: str = ""  # "test now" action name for checklist_action_run ("" = none)
    action_label: str = ""
    link: str = ""
    link_label: str = ""
    optional: bool = False  # the integration works without it (ATSProvider.optional_checklist_items)


@dataclass(frozen=True)
class Checklist:
    integration: Integration
    items: tuple[CheckItem, ...]

    @property
    def required(self) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if not item.optional)

    @property
    def all_ok(self) -> bool:
        """Every required item passed, and no optional one is failing (one not done yet is fine)."""
        return all(item.state == OK for item in self.required) and not any(
            item.state == FAIL for item in self.items
        )

    @property
    def ok_count(self) -> int:
        return sum(1 for item in self.required if item.state == OK)


def provider_supports(provider: ATSProvider, hook: str) -> bool:
    """Whether the provider overrides an optional hook whose default raises NotImplementedError."""
    return getattr(type(provider), hook, None) is not getattr(ATSProvider, hook, None)


def can_send_test_webhook(integration: Integration) -> bool:
    provider = provider_for(integration)
    return provider_supports(provider, "send_test_webhook") and provider.uses_simulator(integration)


def can_send_test_assessment(integration: Integration) -> bool:
    provider = provider_for(integration)
    return provider_supports(provider, "send_test_assessment") and provider.uses_simulator(integration)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "never"


def _check_credentials(integration: Integration, provider: ATSProvider) -> CheckItem:
    title = "Credentials valid"
    status = integration.status
    if status == IntegrationStatus.DISCONNECTED:
        # Who disconnected it is what integration_disconnect recorded (an admin, JobCannon staff,
        # the ATS itself); what to do about it is the provider's.
        cause = integration.status_reason or "A workspace admin disconnected it."
        return CheckItem(
            "credentials",
            title,
            FAIL,
            "The integration is disconnected.",
            fixes=(Fix("Disconnected", cause, provider.disconnected_fix_steps(integration)),),
        )
    has_credentials = bool(integration.credentials) or Token.objects.filter(integration=integration).exists()
    if status == IntegrationStatus.CONNECTED:
        return CheckItem(
            "credentials",
            title,
            OK,
            f"A live call to {provider.name} succeeded (last checked {_when(integration.credentials_checked_at)}).",
            action="test",
            action_label="Test now",
        )
    if not has_credentials and not integration.status_reason:
        return CheckItem(
            "credentials",
            title,
            WAITING,
            "No credentials yet: finish the connect step.",
            link=reverse("integrations:setup", args=[integration.pk]),
            link_label="Open the connect wizard",
        )
    if not integration.status_reason:  # saved, never checked: nothing has failed yet
        return CheckItem(
            "credentials", title, WAITING, "Not verified yet.", action="test", action_label="Test now"
        )
    reason = integration.status_reason
    last = _last_credentials_activity(integration)
    if last is not None and last.kind == "credentials.valid" and status == IntegrationStatus.PENDING:
        # The check passed and the provider's setup after it did not finish ("Credentials are
        # valid, but setup failed: ..."): the credentials are not what failed; the setup's own
        # item (webhooks, the partner registration) says what did.
        return CheckItem(
            "credentials",
            title,
            OK,
            f"A live call to {provider.name} succeeded (last checked "
            f"{_when(integration.credentials_checked_at)}); the setup after it did not finish: {reason}",
            action="test",
            action_label="Test now",
        )
    return CheckItem(
        "credentials",
        title,
        # A check the ATS could not answer waits for Test now rather than failing: nothing has
        # refused these credentials; the recorded sentence says what the ATS could not do.
        WAITING if _unjudged(integration, last) else FAIL,
        reason,
        fixes=fixes_for(provider=provider, check="credentials", text=reason, matched_only=True),
        action="test" if has_credentials else "",
        action_label="Test now",
    )


def _last_credentials_activity(integration: Integration) -> IntegrationActivity | None:
    return (
        IntegrationActivity.objects.filter(integration=integration, kind__startswith="credentials.")
        .order_by("-id")
        .only("kind", "message")
        .first()
    )


def credentials_check_unjudged(integration: Integration) -> bool:
    """The reason shown is still the sentence of a check the ATS could not answer, and nothing
    refused the credentials since: new credentials saved but not checked (any status), or a
    pending integration's check during an outage. Not a needs-reauth integration whose old
    credentials could not be re-checked: they were refused before, and still fail."""
    return _unjudged(integration, _last_credentials_activity(integration))


def _unjudged(integration: Integration, last: IntegrationActivity | None) -> bool:
    if last is None or last.message != integration.status_reason:
        return False
    return last.kind == "credentials.unchecked" or (
        last.kind == "credentials.unreachable" and integration.status == IntegrationStatus.PENDING
    )


def _check_scopes(integration: Integration, provider: ATSProvider) -> CheckItem:
    title = "Required scopes granted"
    required = provider.required_scopes(integration)
    if integration.auth_kind == AuthKind.OAUTH2:
        token = Token.objects.filter(integration=integration).first()
        if token is None:
            return CheckItem("scopes", title, WAITING, "Authorize the integration first.")
        missing = token.missing_scopes()
        if missing:
            return CheckItem(
                "scopes",
                title,
                FAIL,
                f"Requested: {', '.join(token.scopes_requested)}. Granted: "
                f"{', '.join(token.scopes_granted) or 'none'}. Missing: {', '.join(missing)}.",
                fixes=fixes_for(
                    provider=provider, check="scopes", text="scope " + " ".join(missing), matched_only=True
                ),
            )
        granted = token.scopes_granted or token.scopes_requested
        return CheckItem(
            "scopes",
            title,
            OK,
            f"All requested scopes granted: {', '.join(granted) or 'none needed'}.",
        )
    # API keys carry no readable grant: a recent 403 is the evidence of a missing permission,
    # unless the provider explains it as a limit it works around (a plan without an API).
    explained = provider.explained_refusals(integration)
    refused = OutboundCall.objects.filter(
        integration=integration, status_code=403, created_at__gte=timezone.now() - RECENT
    )
    forbidden = (
        refused.exclude(operation__in=explained).only("error_message", "operation", "created_at").first()
    )
    needs = f" The key needs: {', '.join(required)}." if required else ""
    if forbidden is not None:
        later_ok = OutboundCall.objects.filter(
            integration=integration,
            operation=forbidden.operation,
            status_code__lt=400,
            created_at__gt=forbidden.created_at,
        ).exists()
        if not later_ok:
            reason = forbidden.error_message or "The ATS refused a call (403)."
            return CheckItem(
                "scopes",
                title,
                FAIL,
                f"{reason} ({forbidden.operation}, {_when(forbidden.created_at)}).{needs}",
                fixes=fixes_for(provider=provider, check="scopes", text="403 " + reason, matched_only=True),
            )
    if integration.status != IntegrationStatus.CONNECTED:
        return CheckItem("scopes", title, WAITING, f"Connect first.{needs}")
    noted = sorted(set(refused.filter(operation__in=explained).values_list("operation", flat=True)))
    not_counted = "".join(f" Not counted: the 403 on {op}. {explained[op]}" for op in noted)
    return CheckItem("scopes", title, OK, f"No permission errors in the last 7 days.{needs}{not_counted}")


def _our_webhook_paths(integration: Integration) -> set[str]:
    per_integration = reverse("integrations:webhook", args=[integration.provider, integration.public_id])
    seed = reverse("integrations:webhook-seed", args=[integration.provider])
    return {per_integration, seed, seed + "/"}


def _check_webhooks(integration: Integration, provider: ATSProvider, last_verified) -> CheckItem:
    title = "Webhooks registered"
    hooks = provider.registered_webhooks(integration)
    if hooks is None:
        if last_verified is not None:
            return CheckItem("webhooks", title, OK, f"{provider.name} delivers signed webhooks to JobCannon.")
        # Only an ATS that signs with our secret (Ashby-style) gets it; Lever, SmartRecruiters and
        # Knit sign with keys they issue.
        paste = (
            f"Paste the webhook URL and the webhook secret into {provider.name}"
            if provider.signs_with_our_secret(integration)
            else f"Paste the webhook URL into {provider.name} ({provider.name} signs its deliveries with a "
            "key of its own)"
        )
        return CheckItem(
            "webhooks", title, WAITING, f"{paste}; this turns green with the first verified delivery."
        )
    if not hooks:
        if integration.status != IntegrationStatus.CONNECTED:
            return CheckItem("webhooks", title, WAITING, "JobCannon registers webhooks once connected.")
        return CheckItem(
            "webhooks",
            title,
            FAIL,
            f"No webhooks are registered in {provider.name}.",
            # What the connect left to fix (connected_reason), e.g. a permission webhook.create needs.
            fixes=fixes_for(
                provider=provider, check="webhooks", text=integration.status_reason, matched_only=True
            ),
            action="test",
            action_label="Register again",
        )
    ours = _our_webhook_paths(integration)
    pointing = [h for h in hooks if not h.url or urlsplit(h.url).path in ours]
    events = ", ".join(sorted({h.event for h in pointing if h.event})) or "all events"
    if not pointing:
        return CheckItem(
            "webhooks",
            title,
            FAIL,
            f"{len(hooks)} webhook(s) registered in {provider.name}, but none points at this integration's URL.",
            fixes=fixes_for(
                provider=provider, check="webhooks", text="unknown integration", matched_only=True
            ),
            action="test",
            action_label="Register again",
        )
    inactive = [h.event for h in pointing if not h.active]
    if inactive:
        return CheckItem(
            "webhooks",
            title,
            FAIL,
            f"Registered but disabled in {provider.name}: {', '.join(inactive)}.",
        )
    return CheckItem("webhooks", title, OK, f"Registered in {provider.name}: {events}.")


def _event_link(integration: Integration, event: WebhookEvent) -> str:
    return reverse("integrations:webhook-event", args=[integration.pk, event.pk])


def _check_webhook_received(
    integration: Integration, provider: ATSProvider, last_verified: WebhookEvent | None
) -> CheckItem:
    title = "Signed webhook received and verified recently"
    action = "webhook" if can_send_test_webhook(integration) else ""
    since = timezone.now() - RECENT
    if last_verified is not None and last_verified.received_at >= since:
        return CheckItem(
            "webhook_received",
            title,
            OK,
            f"Last verified delivery: {last_verified.event_type or 'event'} at {_when(last_verified.received_at)}"
            f" (signature {last_verified.signature_scheme or 'checked'}).",
            action=action,
            action_label="Send a test webhook",
            link=_event_link(integration, last_verified),
            link_label="View delivery",
        )
    rejected = (
        WebhookEvent.objects.filter(
            integration=integration, status=WebhookStatus.REJECTED, received_at__gte=since
        )
        .only("id", "rejection_reason", "received_at")
        .order_by("-received_at", "-id")
        .first()
    )
    if rejected is not None:
        return CheckItem(
            "webhook_received",
            title,
            FAIL,
            f"Rejected at {_when(rejected.received_at)}: {rejected.rejection_reason}",
            fixes=fixes_for(
                provider=provider, check="webhook_received", text=rejected.rejection_reason, matched_only=True
            ),
            action=action,
            action_label="Send a test webhook",
            link=_event_link(integration, rejected),
            link_label="View rejected delivery",
        )
    detail = (
        f"No verified delivery in the last 7 days (last one {_when(last_verified.received_at)})."
        if last_verified is not None
        else f"No webhook from {provider.name} yet."
    )
    return CheckItem(
        "webhook_received",
        title,
        WAITING,
        detail,
        action=action,
        action_label="Send a test webhook",
    )


def _instrument_name(run) -> str:
    """The instrument as the customer knows it ("Big Five"), its key where the catalog lacks it."""
    try:
        return instrument_get(run.instrument, run.instrument_version).name
    except UnknownInstrument:
        return run.instrument


def _check_test_assessment(integration: Integration, provider: ATSProvider, run) -> CheckItem:
    title = "Test assessment started"
    action = "assessment" if can_send_test_assessment(integration) else ""
    if run is not None:
        return CheckItem(
            "test_assessment",
            title,
            OK,
            f"{provider.name} ordered {_instrument_name(run)} for {run.candidate_email} at {_when(run.created_at)} "
            f"(now {run.get_status_display().lower()}).",
            link=reverse("integrations:run-timeline", args=[run.pk]),
            link_label="Open its timeline",
        )
    return CheckItem(
        "test_assessment",
        title,
        WAITING,
        f"No assessment ordered from {provider.name} yet: trigger a JobCannon assessment for a test candidate.",
        action=action,
        action_label="Send a test assessment",
    )


def _check_writeback(integration: Integration, provider: ATSProvider, run) -> CheckItem:
    title = "Result written back and acknowledged"
    messages = WritebackMessage.objects.filter(integration=integration, event="completed").order_by(
        "-created_at", "-id"
    )
    done = messages.filter(status__in=[WritebackStatus.DELIVERED, WritebackStatus.CONFIRMED]).first()
    if done is not None:
        how = "confirmed by reading it back" if done.status == WritebackStatus.CONFIRMED else "acknowledged"
        return CheckItem(
            "writeback",
            title,
            OK,
            f"{done.kind} for run {done.run_id} {how} by {provider.name} at {_when(done.confirmed_at or done.delivered_at)}.",
            link=reverse("integrations:run-timeline", args=[done.run_id]),
            link_label="Open its timeline",
        )
    latest = messages.first()
    if latest is not None:
        link = reverse("integrations:run-timeline", args=[latest.run_id])
        if latest.status in (WritebackStatus.DEAD, WritebackStatus.HALTED, WritebackStatus.NEEDS_REAUTH):
            return CheckItem(
                "writeback",
                title,
                FAIL,
                f"{latest.get_status_display()}: {latest.last_error or 'no error recorded'}",
                fixes=fixes_for(
                    provider=provider, check="writeback", text=latest.last_error, matched_only=True
                ),
                action="replay" if latest.status != WritebackStatus.NEEDS_REAUTH else "",
                action_label="Replay the write-back",
                link=link,
                link_label="Open its timeline",
            )
        if latest.status != WritebackStatus.CANCELLED:
            detail = f"Queued ({latest.get_status_display().lower()}, attempt {latest.attempts})"
            if latest.next_attempt_at:
                detail += f", next attempt {_when(latest.next_attempt_at)}"
            if latest.last_error:
                detail += f". Last error: {latest.last_error}"
            return CheckItem(
                "writeback", title, WAITING, detail + ".", link=link, link_label="Open its timeline"
            )
    if run is not None and run.is_active:
        sandbox = integration.environment == Environment.SANDBOX
        return CheckItem(
            "writeback",
            title,
            WAITING,
            "Complete the test assessment: the result is then written back to "
            f"{provider.name}."
            + (" In the sandbox you can complete it with sample answers." if sandbox else ""),
            action="complete" if sandbox else "",
            action_label="Complete with sample answers",
        )
    return CheckItem("writeback", title, WAITING, "Waits for a completed assessment.")


def integration_checklist(*, integration: Integration) -> Checklist:
    provider = provider_for(integration)
    last_verified = (
        WebhookEvent.objects.filter(SIGNED_DELIVERY, integration=integration)
        .only("id", "event_type", "received_at", "signature_scheme")
        .order_by("-received_at", "-id")
        .first()
    )
    run = integration.runs.order_by("-created_at", "-id").first()
    builtin = [
        _check_credentials(integration, provider),
        _check_scopes(integration, provider),
        _check_webhooks(integration, provider, last_verified),
        _check_webhook_received(integration, provider, last_verified),
        _check_test_assessment(integration, provider, run),
        _check_writeback(integration, provider, run),
    ]
    provided = {check.key: _provider_item(check) for check in provider.checklist_checks(integration)}
    items = [provided.pop(item.key, item) for item in builtin] + list(provided.values())
    optional = provider.optional_checklist_items(integration)
    return Checklist(
        integration=integration,
        items=tuple(
            dataclasses.replace(item, optional=True) if item.key in optional else item for item in items
        ),
    )


def _provider_item(check: ChecklistCheck) -> CheckItem:
    state = OK if check.ok else (WAITING if check.ok is None else FAIL)
    fixes = (Fix(title=check.title, cause=check.detail, steps=check.fix),) if check.fix else ()
    return CheckItem(check.key, check.title, state, check.detail, fixes=fixes)
