"""What happens once SmartRecruiters credentials work: register our partner endpoints with the
Assessment API, subscribe to webhooks (the real Webhooks API flow, or the seed's unverified path
when asked) and retry a subscription that failed for a temporary reason. The demo wiring to the
built-in sandbox is the sandbox's own (simulator_console.py, part of its dev/test plug-in)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from integrations.base import ATSAuthError, ATSConflict, ATSError, ATSProvider, retry_at
from integrations.models import ActivityLevel
from integrations.plugins import plugin_for  # the sandbox is a dev/test plug-in
from integrations.services.activity import activity_log
from integrations.services.queue import provider_step_schedule_retry

from . import constants, mappers, selectors, services

SUBSCRIPTION_RETRY_STEP = "subscription_retry"  # SmartRecruitersProvider.retry_step


def simulator_base_url() -> str:
    """Where the built-in sandbox is served (its API under /api, OAuth, pages): the
    provider contract's ATSProvider.simulator_base_url, here for the modules below the provider
    (console, consent page), which must not import it."""
    return f"{settings.JOBCANNON_BASE_URL}/sim/{constants.KEY}"


def partner_base_url() -> str:
    return (
        settings.JOBCANNON_BASE_URL
        + reverse("integrations:partner-smartrecruiters:packages").rsplit("packages", 1)[0]
    )


def master_credentials(provider, integration) -> tuple[str, str]:
    """The partner-level ("master") client id and secret SR Partner Operations issued to JobCannon
    (SRD /docs/integration-workflow 1.1): from SMARTRECRUITERS_PARTNER_CLIENT_ID / _SECRET
    (settings, else the environment). The built-in sandbox issues its own (its partner record:
    credentials only; where our endpoints are is what partner_configure saves, as at SR)."""
    if provider.uses_simulator(integration):
        return plugin_for(constants.KEY).partner_master_credentials()
    return (
        str(
            getattr(settings, "SMARTRECRUITERS_PARTNER_CLIENT_ID", "")
            or os.environ.get("SMARTRECRUITERS_PARTNER_CLIENT_ID", "")
        ),
        str(
            getattr(settings, "SMARTRECRUITERS_PARTNER_CLIENT_SECRET", "")
            or os.environ.get("SMARTRECRUITERS_PARTNER_CLIENT_SECRET", "")
        ),
    )


def partner_configuration_body() -> dict[str, Any]:
    """savePartnerConfig's body, SRO PartnerConfigurationRequest [F] (vendor/
    assessment_api_2021.openapi.json): every endpoint SR calls on us under the published property
    names (constants.PARTNER_CONFIGURATION_FIELDS), the consent page's display mode (REDIRECT, of
    REDIRECT | POPUP) and the assessment types we serve (INLINE_ASSESSMENT with the in-line order
    URL). `fields` (optional partner fields SR lets the customer bind to job fields) is not sent.
    The single-package and removal URLs are the folders SR appends "/<id>" to [I] (constants: a
    `format: uri` cannot hold a `{...}` template)."""
    base = partner_base_url()
    urls = {
        "consent": base + "integration",
        "packages": base + "packages",
        "package": base + "packages",
        "orders": base + "packages/orders",
        "inline_orders": base + "packages/inline/orders",
        "token": base + "oauth/token",
        "removal": base + "integrations/companies",
    }
    body: dict[str, Any] = {constants.PARTNER_CONFIGURATION_FIELDS[k]: url for k, url in urls.items()}
    body[constants.PARTNER_CONSENT_DISPLAY_MODE_FIELD] = constants.PARTNER_CONSENT_DISPLAY_MODE
    # INLINE_ASSESSMENT (SRO AssessmentType) goes with the in-line order URL: whether SR offers
    # in-line ordering to a partner that does not declare it is unpublished [I]; the built-in
    # sandbox does not (simulator_calls.inline_order_deliver).
    inline = bool(body.get(constants.PARTNER_CONFIGURATION_FIELDS["inline_orders"]))
    body[constants.PARTNER_SUPPORTED_ASSESSMENT_TYPES_FIELD] = [
        kind
        for kind in constants.PARTNER_SUPPORTED_ASSESSMENT_TYPES
        if inline or kind != constants.INLINE_ASSESSMENT_TYPE
    ]
    return body


def partner_configure(provider, integration) -> dict[str, Any]:
    """PUT /partner/configuration with the master credentials: tells SR where JobCannon's partner
    endpoints are (once for JobCannon, not per customer; `manage.py
    smartrecruiters_partner_configure` runs it). `integration` only picks the host (SR, or the
    built-in sandbox for a sandbox integration) and where the call is logged. Returns SR's
    answer; raises ATSError when SR refuses."""
    body = partner_configuration_body()
    answer = provider.partner_client(integration).partner_configuration_save(body=body)
    activity_log(
        integration=integration,
        kind="smartrecruiters.partner_configured",
        message=f"JobCannon's partner configuration saved at SmartRecruiters: consent page "
        f"{body[constants.PARTNER_CONFIGURATION_FIELDS['consent']]}, partner API {partner_base_url()}.",
    )
    return answer or body


def partner_register(provider, integration, *, company_id: str = "", force: bool = False) -> bool:
    """SRD /reference/askforconsent + /reference/assessment-partner-integration, in order:
    1. create the client credentials SR will use to call our partner API,
    2. get a token with the master credentials (it carries client_credentials_write),
    3. POST them to /assessment-api/v202010/integration/company/{companyId} (SRO body and answer:
       ClientCredentials {clientId, clientSecret}),
    4. keep the credentials SR creates for the company (results).
    SR refuses step 3 until the company consented in its Apps & Integrations (403), and answers
    409 when JobCannon is already integrated for the company: kept credentials stay in use;
    every other refusal ends in an explained state (partner_registered False) instead of failing
    the connect. Where SR reaches our partner API is the partner configuration (partner_configure,
    PUT /partner/configuration), set once for JobCannon, not part of this call: without it SR
    answers 404 "Partner configuration does not exist", explained with the command to run."""
    current = selectors.provider_settings(integration)
    bound = selectors.bound_company_id(integration)
    if company_id and bound and company_id != bound:
        # The consent page refuses this first (apis_consent.py); never rebind a verified company.
        return _unregistered(
            integration, company_id, selectors.company_mismatch_reason(integration, company_id)
        )
    company_id = company_id or str(current.get("company_id") or "")
    # Without company credentials (never issued, refused by SR, or forgotten when SR reported the
    # company removed JobCannon) a reconnect must ask SR again, whatever the stored flag says.
    force = force or not selectors.has_company_credentials(integration)
    if not force and current.get("partner_registered") and current.get("registered_company_id") == company_id:
        return True  # a re-check: SR would issue new company credentials for nothing
    client_id, secret = services.partner_credentials_new(integration=integration)
    try:
        answer = provider.partner_client(integration).integration_setup(
            company_id=company_id, body={"clientId": client_id, "clientSecret": secret}
        )
        company_credentials = mappers.company_credentials_from(answer)
    except ATSConflict as exc:
        if selectors.has_company_credentials(integration):
            # SR kept the partner and company credentials of the earlier registration: ours stay.
            services.settings_update(
                integration=integration,
                changes={
                    "partner_registered": True,
                    "partner_error": "",
                    "registered_company_id": company_id,
                    "removed_at": "",
                },
            )
            activity_log(
                integration=integration,
                kind="smartrecruiters.partner_registered",
                message=f"SmartRecruiters reports JobCannon already integrated for company {company_id}; "
                "the company credentials it issued earlier stay in use.",
            )
            services.results_resume(integration=integration)
            return True
        return _unregistered(
            integration,
            company_id,
            f"{exc.message} SmartRecruiters has JobCannon integrated for this company already, with "
            "credentials this connection does not hold: remove JobCannon in SmartRecruiters' Apps & "
            "Integrations, then connect it again.",
        )
    except ATSError as exc:
        reason = exc.message
        if exc.status_code == 404 and "configuration" in reason.lower():
            # SRO: setUpIntegration answers 404 until the partner saved its configuration.
            reason = f"{reason} {constants.PARTNER_CONFIGURATION_MISSING_FIX}"
        # SR's 403 is the company's consent missing (SRD /reference/askforconsent): a refusal that,
        # like a removal, makes earlier orders no proof of a registration (console.partner_check).
        return _unregistered(integration, company_id, reason, refused=exc.status_code == 403)
    except ValueError as exc:
        return _unregistered(integration, company_id, str(exc))
    # SR accepted these partner credentials: from now on only their hash is kept.
    services.partner_credentials_store(integration=integration, client_id=client_id, secret=secret)
    services.company_credentials_store(integration=integration, credentials=company_credentials)
    services.settings_update(
        integration=integration,
        changes={
            "partner_registered": True,
            "partner_error": "",
            "company_credentials_refused_at": "",
            "company_id": company_id,
            "registered_company_id": company_id,
            "removed_at": "",
        },
    )
    activity_log(
        integration=integration,
        kind="smartrecruiters.partner_registered",
        message=f"Partner API registered with SmartRecruiters for company {company_id}: {partner_base_url()} "
        f"(client {client_id}); SmartRecruiters issued company credentials {company_credentials[0]}.",
    )
    services.results_resume(integration=integration)  # results held for the consent go now
    return True


def _unregistered(integration, company_id: str, reason: str, *, refused: bool = False) -> bool:
    changes: dict[str, Any] = {"partner_registered": False, "partner_error": reason}
    if refused:
        changes["partner_lost_at"] = timezone.now().isoformat()
    services.settings_update(integration=integration, changes=changes)
    activity_log(
        integration=integration,
        kind="smartrecruiters.partner_unregistered",
        level=ActivityLevel.WARNING,
        message=(
            f"SmartRecruiters did not accept the partner registration for company {company_id or '?'} "
            f"({reason}). SmartRecruiters accepts it once the company connected JobCannon in its Apps & "
            f"Integrations (the consent step, {partner_base_url()}integration)."
        ),
    )
    return False


def callback_url(integration) -> str:
    return settings.JOBCANNON_BASE_URL + reverse(
        "integrations:webhook", args=[constants.KEY, integration.public_id]
    )


def seed_target_url() -> str:
    return settings.JOBCANNON_BASE_URL + reverse("integrations:webhook-seed", args=[constants.KEY])


def webhooks_subscribe(integration, client) -> None:
    if selectors.webhook_api(integration) == constants.WEBHOOK_API_SEED:
        _subscribe_seed(integration, client)
    else:
        _subscribe_vendor(integration, client)


def _subscribe_seed(integration, client) -> None:
    """Seed 001 Step 2: one POST per event, our integration id in a custom header. An alias only
    (provider_settings["webhook_api"] = "seed", never the default): no SR source publishes this
    path, so an error is explained with the way back to the Webhooks API."""
    state, target = selectors.subscription_state(integration), seed_target_url()
    if (
        state.get("api") == constants.WEBHOOK_API_SEED
        and state.get("status") == "active"
        and state.get("url") == target
    ):
        return
    headers = {**constants.SEED_CUSTOM_HEADERS, "X-JobCannon-Integration": str(integration.public_id)}
    try:
        ids = [
            str(client.seed_subscribe(event=e, target_url=target, headers=headers).get("id", ""))
            for e in constants.SEED_SUBSCRIBED_EVENTS
        ]
    except ATSError as exc:
        _subscription_error(
            integration,
            previous=state,
            api=constants.WEBHOOK_API_SEED,
            url=target,
            sub_id="",
            exc=exc,
            step=f"the seed setup's POST {constants.SEED_SUBSCRIPTIONS_PATH}",
            # A 404/405 means SR has no such path (it publishes none): a refusal, not an outage.
            refusal=(*constants.SUBSCRIPTION_REFUSAL_CODES, 404, 405),
            failed_status=constants.SUBSCRIPTION_REFUSED,
        )
        return
    services.subscription_set(
        integration=integration,
        api=constants.WEBHOOK_API_SEED,
        ids=ids,
        status="active",
        url=target,
        events=list(constants.SEED_SUBSCRIBED_EVENTS),
        at=timezone.now().isoformat(),
    )
    activity_log(
        integration=integration,
        kind="smartrecruiters.subscribed",
        message=f"Subscribed to {', '.join(constants.SEED_SUBSCRIBED_EVENTS)} at {target} (seed setup; SR signs "
        "with X-SmartRecruiters-Signature using this integration's webhook secret).",
    )


def _refusal_fix(exc: ATSError, api: str) -> str:
    """What to do about a refusal, by SRO's documented answers of the Webhooks API."""
    if api == constants.WEBHOOK_API_SEED:
        return (
            f"{constants.SEED_SUBSCRIPTIONS_PATH} is the setup guide's path, which no SmartRecruiters source "
            "publishes: choose “SmartRecruiters Webhooks API” under Webhook setup and save."
        )
    if exc.vendor_code == constants.SUBSCRIPTIONS_LIMIT_EXCEEDED:
        return (
            f"SmartRecruiters allows {constants.SUBSCRIPTIONS_LIMIT} subscriptions per OAuth application and "
            "user: delete unused ones in SmartRecruiters, then press “Test credentials now”."
        )
    if exc.status_code in (401, 403):
        return f"The scope {constants.SCOPE_WEBHOOKS_MANAGE} is needed to manage subscriptions."
    if exc.status_code == 424:
        return "The X-Hook-Secret handshake failed: the callback URL must answer SmartRecruiters within 20 s."
    return (
        "Check that the callback URL is public HTTPS with a valid certificate and that every event name "
        "is one the Webhooks API lists."
    )


def _subscription_error(
    integration,
    *,
    previous: dict[str, Any],
    api: str,
    url: str,
    sub_id: str,
    exc: ATSError,
    step: str,
    refusal: tuple[int, ...],
    failed_status: str,
    superseded: list[str] | None = None,
) -> None:
    """SR refused (a status in `refusal`: the request itself is wrong, retrying cannot help; the
    state becomes `failed_status`) or the call failed for a temporary reason (5xx, 429, network,
    anything else): keep the connect, explain the state on the integration page, the health
    warnings and the activity log (nothing raised). A temporary failure is tried again with the
    outbox's backoff (retry_at) until the retry horizon, then it is `failed`."""
    now = timezone.now()
    code = f"HTTP {exc.status_code}" if exc.status_code else type(exc).__name__
    common = {
        "api": api,
        "id": sub_id,
        "url": url,
        "events": _events_for(integration, api),
        "at": now.isoformat(),
        # Subscriptions of ours SR still holds and a later success deletes (_superseded_delete).
        "superseded": list(superseded or []),
    }
    if isinstance(exc, ATSAuthError):
        # SR does not take the OAuth sign-in (revoked app, dead refresh token, none held): waiting
        # cannot help, only a new sign-in can; it subscribes again (provider.on_connected).
        lapsed = selectors.oauth_lapsed_reason(integration)
        reason = (
            f"SmartRecruiters refused {step} ({code}: {exc.message}): the webhook subscription needs the "
            "OAuth sign-in (scope webhooks_manage). "
            + (
                constants.OAUTH_LAPSED.format(reason=lapsed)
                if lapsed
                else "Re-authorize with SmartRecruiters."
            )
        )
        services.subscription_set(
            integration=integration, status=constants.SUBSCRIPTION_NEEDS_SIGN_IN, error=reason, **common
        )
        activity_log(
            integration=integration,
            kind="smartrecruiters.subscription_needs_sign_in",
            level=ActivityLevel.WARNING,
            message=reason,
            data={"status_code": exc.status_code, "vendor_code": exc.vendor_code},
        )
        return
    if exc.status_code in refusal:
        reason = f"SmartRecruiters refused {step} ({code}: {exc.message}). " + _refusal_fix(exc, api)
        services.subscription_set(integration=integration, status=failed_status, error=reason, **common)
        activity_log(
            integration=integration,
            kind="smartrecruiters.subscription_refused",
            level=ActivityLevel.WARNING,
            message=reason,
            data={"status_code": exc.status_code, "vendor_code": exc.vendor_code},
        )
        return
    retrying = previous.get("status") == constants.SUBSCRIPTION_RETRYING
    attempts = int(previous.get("attempts") or 0) + 1 if retrying else 1
    first = str(previous.get("first_failed_at") or "") if retrying else ""
    first_at = dt.datetime.fromisoformat(first) if first else now
    when = retry_at(attempts=attempts, started_at=first_at, retry_after=exc.retry_after, now=now)
    failure = f"{step[:1].upper()}{step[1:]} failed at SmartRecruiters ({code}: {exc.message})"
    if when is None:
        reason = (
            f"{failure}; gave up after {attempts} attempts. Press “Test credentials now” to subscribe again."
        )
        services.subscription_set(
            integration=integration, status=constants.SUBSCRIPTION_FAILED, error=reason, **common
        )
        level = ActivityLevel.ERROR
    else:
        reason = (
            f"{failure}: a temporary error, JobCannon tries again at "
            f"{when.strftime('%Y-%m-%d %H:%M')} UTC (attempt {attempts + 1})."
        )
        services.subscription_set(
            integration=integration,
            status=constants.SUBSCRIPTION_RETRYING,
            error=reason,
            attempts=attempts,
            first_failed_at=first_at.isoformat(),
            next_attempt_at=when.isoformat(),
            **common,
        )
        provider_step_schedule_retry(
            integration=integration,
            step=SUBSCRIPTION_RETRY_STEP,
            name=f"smartrecruiters-subscription:{integration.pk}",
            when=when,
        )
        level = ActivityLevel.WARNING
    activity_log(
        integration=integration,
        kind="smartrecruiters.subscription_failed",
        level=level,
        message=reason,
        data={"status_code": exc.status_code, "vendor_code": exc.vendor_code, "attempts": attempts},
    )


def _events_for(integration, api: str) -> list[str]:
    return (
        list(constants.SEED_SUBSCRIBED_EVENTS)
        if api == constants.WEBHOOK_API_SEED
        else selectors.webhook_events(integration)
    )


def _ours(listed: list[dict[str, Any]], state: dict[str, Any], url: str) -> list[str]:
    """The ids of the subscriptions in SR's list that this integration made: the one the state
    records, the superseded ones it still remembers, and any that call back to this
    integration's URL (now, or as recorded). Each integration has its own callback URL
    (its public id), so a subscription of another integration or of the customer is never ours."""
    urls = {url}
    if state.get("api") == constants.WEBHOOK_API_VENDOR and state.get("url"):
        urls.add(str(state["url"]))  # the seed's target URL is shared: never matched
    known = {str(i) for i in [state.get("id"), *(state.get("superseded") or [])] if i}
    return [
        str(s["id"])
        for s in listed
        if s.get("id") and (str(s["id"]) in known or s.get("callbackUrl") in urls)
    ]


def _superseded_delete(integration, client, ids: list[str], *, why: str) -> list[str]:
    """DELETE /subscriptions/{id} (SRO Subscriptions_deleteWebhookSubscription: 204, 404 when it
    is gone already) for each id, best effort: an active subscription we no longer use keeps
    delivering (duplicates, unwanted events) and counts against SR's 20 per OAuth app and user.
    Returns the ids SR still holds, each explained in the activity log."""
    left: list[str] = []
    for sub_id in ids:
        try:
            client.subscription_delete(subscription_id=sub_id)
        except ATSError as exc:
            if exc.status_code == 404:
                continue  # SRO SubscriptionNotFound: nothing left to delete
            left.append(sub_id)
            code = f"HTTP {exc.status_code}" if exc.status_code else type(exc).__name__
            activity_log(
                integration=integration,
                kind="smartrecruiters.unsubscribe_failed",
                level=ActivityLevel.WARNING,
                message=(
                    f"SmartRecruiters did not delete webhook subscription {sub_id} ({why}; {code}: "
                    f"{exc.message}). It may still send events to JobCannon and counts against "
                    f"SmartRecruiters' {constants.SUBSCRIPTIONS_LIMIT} subscriptions per OAuth application "
                    "and user. JobCannon tries again at the next “Test credentials now”; or delete it "
                    f"with DELETE {constants.VENDOR_SUBSCRIPTIONS_PATH}/{sub_id}."
                ),
                data={"subscription": sub_id, "status_code": exc.status_code, "vendor_code": exc.vendor_code},
            )
            continue
        activity_log(
            integration=integration,
            kind="smartrecruiters.unsubscribed",
            message=f"Webhook subscription {sub_id} deleted in SmartRecruiters ({why}).",
            data={"subscription": sub_id},
        )
    return left


def _subscribe_vendor(integration, client) -> None:
    """Webhooks API v201907: create (event names; SR answers with the version of each), activate
    (SR calls us with X-Hook-Secret, we echo it), then generate the secret key SR signs with and
    store it with our webhook secrets. A subscription this one replaces (other events, another
    callback URL) is deleted once the new one is active, so exactly one keeps delivering."""
    state, url = selectors.subscription_state(integration), callback_url(integration)
    names = selectors.webhook_events(integration)
    step = "listing subscriptions"
    stale: list[str] = [str(i) for i in state.get("superseded") or []]
    try:
        listed = client.subscriptions()
        existing = {s.get("id"): s for s in listed}
        current = existing.get(state.get("id"))
        if current is None or current.get("callbackUrl") != url or state.get("events") != names:
            current = None  # replaced: a new subscription with today's events and URL
        stale = [i for i in _ours(listed, state, url) if not current or i != str(current.get("id"))]
        if (
            state.get("status") == "active"
            and current
            and current.get("status") == "active"
            and state.get("url") == url
        ):
            if stale:  # left over from an earlier failed delete: try again
                left = _superseded_delete(integration, client, stale, why="superseded earlier")
                services.subscription_set(integration=integration, **{**state, "superseded": left})
            return
        if current is None:
            step = "the subscription"
            current = client.subscribe(callback_url=url, events=names)
    except ATSError as exc:
        _subscription_error(
            integration,
            previous=state,
            api=constants.WEBHOOK_API_VENDOR,
            url=url,
            sub_id="",
            exc=exc,
            step=step,
            refusal=constants.SUBSCRIPTION_REFUSAL_CODES,
            failed_status=constants.SUBSCRIPTION_REFUSED,
            superseded=stale,
        )
        return
    sub_id = str(current.get("id") or "")
    services.subscription_activating_start(integration=integration, subscription_id=sub_id)
    try:
        if current.get("status") != "active":  # SRO: activating an active one is 409
            client.subscription_activate(subscription_id=sub_id)
        key = client.subscription_secret_key(subscription_id=sub_id)
        if not key:
            raise ATSError("SmartRecruiters returned no secret key for the subscription.")
    except ATSError as exc:
        _subscription_error(
            integration,
            previous=state,
            api=constants.WEBHOOK_API_VENDOR,
            url=url,
            sub_id=sub_id,
            exc=exc,
            step="the activation",
            refusal=constants.ACTIVATION_REFUSAL_CODES,
            failed_status=constants.SUBSCRIPTION_FAILED,
            superseded=stale,
        )
        return
    services.vendor_secret_store(integration=integration, secret=key)
    versions = selectors.event_versions(current)
    # Make before break: the replaced subscription goes only now that this one delivers.
    left = _superseded_delete(integration, client, stale, why=f"replaced by {sub_id}")
    services.subscription_set(
        integration=integration,
        api=constants.WEBHOOK_API_VENDOR,
        id=sub_id,
        status="active",
        url=url,
        events=names,
        versions=versions,
        superseded=left,
        at=timezone.now().isoformat(),
    )
    listed_events = ", ".join(f"{n} ({versions.get(n) or 'no version reported'})" for n in names)
    activity_log(
        integration=integration,
        kind="smartrecruiters.subscribed",
        message=f"Webhook subscription {sub_id} activated (X-Hook-Secret handshake answered) for "
        f"{listed_events}; SmartRecruiters' secret key stored.",
    )


def webhooks_unsubscribe(integration, client) -> None:
    """On disconnect (provider.on_disconnect): delete every Webhooks API subscription of this
    integration at SR, best effort. A failure is explained in the activity log and on the state
    (status `deleted` with the ids SR still holds); the disconnect goes on either way. The seed
    setup's subscriptions are left alone: no SR source publishes a path to delete them."""
    state = selectors.subscription_state(integration)
    if state.get("api") == constants.WEBHOOK_API_SEED:
        if state.get("ids"):
            activity_log(
                integration=integration,
                kind="smartrecruiters.unsubscribe_failed",
                level=ActivityLevel.WARNING,
                message="The seed setup's webhook subscriptions were not deleted: no SmartRecruiters source "
                f"publishes a path for it. Delete {', '.join(map(str, state['ids']))} in SmartRecruiters.",
            )
        return
    url = callback_url(integration)
    try:
        ids = _ours(client.subscriptions(), state, url)
    except ATSError as exc:
        # Without the list, delete what the state knows (the subscription and superseded ones).
        ids = [str(i) for i in [state.get("id"), *(state.get("superseded") or [])] if i]
        activity_log(
            integration=integration,
            kind="smartrecruiters.unsubscribe_failed",
            level=ActivityLevel.WARNING,
            message=f"Listing the SmartRecruiters webhook subscriptions failed ({exc.message}): "
            f"deleting the ones JobCannon recorded ({', '.join(ids) or 'none'}).",
        )
    if not ids:
        return
    left = _superseded_delete(integration, client, ids, why="JobCannon was disconnected")
    services.subscription_set(
        integration=integration,
        api=constants.WEBHOOK_API_VENDOR,
        id="",
        status="deleted",
        url=url,
        events=list(state.get("events") or []),
        superseded=left,
        error=(
            f"SmartRecruiters still holds subscription(s) {', '.join(left)}: see the activity log."
            if left
            else ""
        ),
        at=timezone.now().isoformat(),
    )


def subscription_retry(*, integration, provider: ATSProvider) -> None:
    """The scheduled retry of a subscription that failed for a temporary reason (the queue's
    provider_step_retry_task → SmartRecruitersProvider.retry_step). Does nothing once the state
    moved on (subscribed, refused, or a re-check already retried). `provider`: the
    SmartRecruitersProvider, handed in (this module sits below it)."""
    from integrations.models import IntegrationStatus

    if integration.status != IntegrationStatus.CONNECTED:
        return  # re-authorization subscribes again (on_connected)
    if selectors.subscription_state(integration).get("status") != constants.SUBSCRIPTION_RETRYING:
        return
    webhooks_subscribe(integration, provider.client(integration))
