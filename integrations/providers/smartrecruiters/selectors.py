"""Reads for the SmartRecruiters provider (writes are in services.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from assessments.models import AssessmentRun
from integrations.models import Integration, IntegrationStatus, Token

from . import constants, reference


def provider_settings(integration: Integration) -> dict[str, Any]:
    return dict(integration.provider_settings or {})


def subscription_state(integration: Integration) -> dict[str, Any]:
    return dict(provider_settings(integration).get("subscription") or {})


def subscription_activating(*, integration: Integration) -> bool:
    """True while on_connected waits for SR's X-Hook-Secret call (SR waits 20 s for the echo)."""
    state = subscription_state(integration)
    until = state.get("activating_until")
    if state.get("status") != "activating" or not until:
        return False
    return dt.datetime.fromisoformat(until) > timezone.now()


def webhook_api(integration: Integration) -> str:
    value = provider_settings(integration).get("webhook_api") or constants.WEBHOOK_API_VENDOR
    return (
        value
        if value in (constants.WEBHOOK_API_VENDOR, constants.WEBHOOK_API_SEED)
        else constants.WEBHOOK_API_VENDOR
    )


def scorecard_map(integration: Integration) -> dict[str, str]:
    raw = provider_settings(integration).get("scorecard_fields") or {}
    return {str(k): str(v) for k, v in raw.items() if v} if isinstance(raw, dict) else {}


def _names(raw: Any) -> list[str]:
    """Names from a provider_settings list: strings, or {"name": ...} objects as older settings
    held (a version there is dropped: SR assigns it, SRO's Event.version is read-only)."""
    if not isinstance(raw, list):
        return []
    names = [str((e.get("name") if isinstance(e, dict) else e) or "").strip() for e in raw]
    return list(dict.fromkeys(n for n in names if n))


def unknown_oauth_scopes(names: list[str]) -> list[str]:
    """The names neither SR publishes (reference.customer_oauth_scopes: SRO securitySchemes.oauth
    and SRD's access-scopes page) nor seed 001 spells (aliases)."""
    published = reference.customer_oauth_scopes()
    return [n for n in names if n not in published and n not in constants.SEED_SCOPES]


def unknown_webhook_events(names: list[str]) -> list[str]:
    """The names outside SRO's EventName enum (reference.webhook_event_names)."""
    published = reference.webhook_event_names()
    return [n for n in names if n not in published]


def settings_problems(settings: Any) -> list[str]:
    """Why provider_settings["oauth_scopes"] / ["webhook_events"] cannot be used, one sentence
    each ([] when both are fine or absent). Checked when they are saved (services.settings_update)
    and, for what was saved before or by hand, read by requested_scopes / webhook_events, which
    never send a name SR does not publish."""
    current = settings if isinstance(settings, dict) else {}
    problems: list[str] = []
    for key, what, unknown, published in (
        (
            "oauth_scopes",
            "OAuth scopes",
            unknown_oauth_scopes,
            "its published scopes (SRO securitySchemes.oauth)",
        ),
        ("webhook_events", "webhook events", unknown_webhook_events, "its Webhooks API EventName list"),
    ):
        raw = current.get(key)
        if raw in (None, "", []):
            continue
        if not isinstance(raw, list):
            problems.append(f'provider_settings["{key}"] must be a list of names, not {type(raw).__name__}.')
            continue
        bad = unknown(_names(raw))
        if bad:
            problems.append(
                f'provider_settings["{key}"] names {what} SmartRecruiters does not publish: {", ".join(bad)}. '
                f"Use names from {published}; JobCannon does not send these."
            )
    return problems


def requested_scopes(integration: Integration) -> tuple[str, ...]:
    """The OAuth scopes we ask SR for: constants.SCOPES, or provider_settings["oauth_scopes"].
    Seed 001's colon spellings are accepted there as aliases and requested under SR's real
    names (candidates:read -> candidates_read ...); assessments:read/write have no OAuth
    equivalent (the Assessment API uses company credentials) and are dropped. A name SR does not
    publish is never requested (settings_problems says which): SR would refuse the whole
    authorization with invalid_scope. Whatever the override says, the scopes the Webhooks API path
    needs (constants.WEBHOOK_PATH_SCOPES) are requested too: no seed spelling maps to
    webhooks_manage or jobs_read, and without them SR refuses the subscription. So are those of
    the connection check (constants.CONNECTION_CHECK_SCOPES: GET /configuration/company needs
    company_read and configuration_read, SRO), which no seed list names in full."""
    configured = provider_settings(integration).get("oauth_scopes")
    if not configured or not isinstance(configured, list):
        return constants.SCOPES
    unknown = set(unknown_oauth_scopes(_names(configured)))
    out: list[str] = []
    for name in [*_names(configured), *constants.WEBHOOK_PATH_SCOPES, *constants.CONNECTION_CHECK_SCOPES]:
        if name in unknown:
            continue
        if name in constants.SEED_SCOPES:
            name = constants.SEED_SCOPE_ALIASES.get(name, "")
        if name and name not in out:
            out.append(name)
    return tuple(out)


def scopes_requested_granted(integration: Integration) -> tuple[list[str], list[str]] | None:
    """(requested, granted) as stored with the current token; None before any authorization."""
    token = Token.objects.filter(integration=integration).first()
    if token is None:
        return None
    return list(token.scopes_requested or []), list(token.scopes_granted or [])


def missing_scopes(integration: Integration) -> list[str]:
    token = Token.objects.filter(integration=integration).first()
    return token.missing_scopes() if token is not None else []


def bound_company_id(integration: Integration) -> str:
    """The SR company this integration is bound to: the one its OAuth sign-in verified (GET
    /configuration/company, validate_credentials) or, before that, the one SR registered it for.
    "" while unbound."""
    current = provider_settings(integration)
    return str(current.get("company_id") or current.get("registered_company_id") or "")


def removed_in_smartrecruiters(integration: Integration) -> bool:
    """Disconnected by SR's company removal (apis.SmartRecruitersIntegrationDeleteApi records
    constants.REMOVED_IN_SMARTRECRUITERS as the reason) and not connected again since."""
    return (
        integration.status == IntegrationStatus.DISCONNECTED
        and integration.status_reason
        == constants.REMOVED_IN_SMARTRECRUITERS.format(company_id=bound_company_id(integration))
    )


def removal_unanswered(integration: Integration) -> bool:
    """SR reported the company's removal (services.company_removed) and no registration succeeded
    since (setup.partner_register clears it): whatever the status, only the company's consent in
    SR's Apps & Integrations brings orders back. Rows from before `removed_at` was kept are
    recognised by the removal text still being the partner error."""
    current = provider_settings(integration)
    if current.get("partner_registered"):
        return False
    removed_text = constants.REMOVED_IN_SMARTRECRUITERS.split("(", 1)[0]
    return bool(current.get("removed_at")) or str(current.get("partner_error") or "").startswith(removed_text)


def partner_lost_at(integration: Integration) -> dt.datetime | None:
    """When SR last removed JobCannon, refused its company credentials or refused a registration
    (403, the consent is missing): orders received before then prove nothing about now."""
    value = provider_settings(integration).get("partner_lost_at")
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def partner_orders_since_lost(integration: Integration):
    """Runs SR ordered through the partner API after the last removal or refusal (all of them when
    none was recorded); a removal recorded without a time (older rows) leaves none."""
    runs = integration.runs.filter(ats_context__via="partner API")
    since = partner_lost_at(integration)
    if since is not None:
        return runs.filter(created_at__gt=since)
    return runs.none() if removal_unanswered(integration) else runs


def oauth_lapsed_reason(integration: Integration) -> str:
    """Why the optional OAuth sign-in stopped working (services.oauth_sign_in_lapsed), "" when it
    works or never happened."""
    lapsed = provider_settings(integration).get("oauth_lapsed")
    return str(lapsed.get("reason") or "") if isinstance(lapsed, dict) else ""


def connected_reason(integration: Integration) -> str:
    """The status_reason of a connected integration (provider.connected_reason): the optional
    sign-in SR stopped taking, "" when there is nothing to say."""
    lapsed = oauth_lapsed_reason(integration)
    if lapsed and not has_oauth_token(integration):
        return constants.OAUTH_LAPSED.format(reason=lapsed)
    return ""


def company_mismatch_reason(integration: Integration, company_id: str) -> str:
    """Why `company_id` (from SR's consent URL) cannot be connected to this integration, or ""."""
    bound = bound_company_id(integration)
    if not company_id or not bound or company_id == bound:
        return ""
    return (
        f"This SmartRecruiters integration is connected to company {bound}, not {company_id}: "
        f"choose the integration connected to company {company_id}, or create a new SmartRecruiters "
        "integration and paste that company's client credentials here."
    )


def company_registered_elsewhere(*, integration: Integration, company_id: str) -> bool:
    """Whether SR accepted a registration of `company_id` for a live SmartRecruiters integration of
    another workspace (one company connects to one workspace). Only registrations count, not an
    OAuth sign-in alone: any user of that company could sign in from their own workspace."""
    return (
        Integration.objects.filter(
            provider=constants.KEY, provider_settings__registered_company_id=company_id
        )
        .exclude(workspace_id=integration.workspace_id)
        .exclude(status=IntegrationStatus.DISCONNECTED)
        .exists()
    )


def has_company_credentials(integration: Integration) -> bool:
    return bool(
        integration.credential("company_client_id") and integration.credential("company_client_secret")
    )


def has_customer_credentials(integration: Integration) -> bool:
    """Whether the company's self-serve client credentials (the consent page's proof) are held."""
    return bool(
        integration.credential(constants.CUSTOMER_CLIENT_ID)
        and integration.credential(constants.CUSTOMER_CLIENT_SECRET)
    )


def has_oauth_token(integration: Integration) -> bool:
    """Whether the customer's own OAuth app was authorized (optional: the Webhooks API needs it)."""
    return Token.objects.filter(integration=integration).exclude(access_token="").exists()


def consent_only(integration: Integration) -> bool:
    """Connected by SR's consent alone (the default partner path): the company credentials SR
    issued, no OAuth sign-in (so no Webhooks API)."""
    return has_company_credentials(integration) and not has_oauth_token(integration)


def can_write_properties(integration: Integration) -> bool:
    """Candidate properties (the scorecard fields) need candidates_manage: on the company token
    only if constants.COMPANY_TOKEN_SCOPES lists it [I], else the optional OAuth sign-in."""
    return constants.SCOPE_CANDIDATES_MANAGE in constants.COMPANY_TOKEN_SCOPES or has_oauth_token(integration)


def run_for_order(*, integration: Integration, order_id: str) -> AssessmentRun | None:
    return AssessmentRun.objects.filter(integration=integration, external_assessment_id=order_id).first()


def integration_for_partner_client(client_id: str) -> Integration | None:
    import uuid

    if not client_id.startswith(constants.PARTNER_CLIENT_PREFIX):
        return None
    try:
        public_id = uuid.UUID(hex=client_id[len(constants.PARTNER_CLIENT_PREFIX) :])
    except ValueError:
        return None
    return (
        Integration.objects.filter(provider=constants.KEY, public_id=public_id)
        .select_related("workspace")
        .first()
    )


def scope_warning(integration: Integration) -> str:
    """A sentence naming the requested scopes SR did not grant and what breaks without them."""
    missing = missing_scopes(integration)
    if not missing:
        return ""
    effects = " ".join(
        dict.fromkeys(constants.SCOPE_EFFECTS.get(s, "") for s in missing if s in constants.SCOPE_EFFECTS)
    )
    return constants.SCOPE_MISSING_WARNING.format(
        scopes=", ".join(missing), effect=effects or "some calls will fail."
    )


def webhook_events(integration: Integration) -> list[str]:
    """The event names the Webhooks API subscription asks for (constants.SUBSCRIBED_EVENTS), or
    provider_settings["webhook_events"] (names, or {"name": ...} objects: _names). A name outside
    SR's EventName list is never subscribed (SR answers 422 for the whole subscription;
    settings_problems says which); when none of the override's names is SR's, the defaults."""
    custom = _names(provider_settings(integration).get("webhook_events"))
    unknown = set(unknown_webhook_events(custom))
    known = [n for n in custom if n not in unknown]
    return known or list(constants.SUBSCRIBED_EVENTS)


def event_versions(subscription: Any) -> dict[str, str]:
    """{name: version} from SR's subscription object (SRO Subscription.events: [{"name", "version"}])."""
    events = subscription.get("events") if isinstance(subscription, dict) else None
    return {
        str(e["name"]): str(e.get("version") or "")
        for e in events or []
        if isinstance(e, dict) and e.get("name")
    }


def webhook_event_rows(integration: Integration) -> list[dict[str, str]]:
    """Per subscribed event: the version SR reported, the version a published source names
    ("" = unpublished, marked [I] on the integration page), which source that is, and where a
    version appears only as an example (constants.EVENT_VERSION_EXAMPLES)."""
    state = subscription_state(integration)
    reported = state.get("versions") or {}
    return [
        {
            "name": name,
            "reported": str(reported.get(name) or ""),
            "published": constants.PUBLISHED_EVENT_VERSIONS.get(name, ""),
            "published_source": constants.PUBLISHED_EVENT_VERSION_SOURCES.get(name, ""),
            "example": constants.EVENT_VERSION_EXAMPLES.get(name, ""),
        }
        for name in state.get("events") or webhook_events(integration)
    ]
