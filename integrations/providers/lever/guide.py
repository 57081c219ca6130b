"""Seed 004 (the customer setup guide) as data for the connect wizard and the checklist: its steps
and its "Common Errors", each with the cause and the fix the guide gives."""

from __future__ import annotations

from collections.abc import Collection

from integrations.base import CommonError, SetupStep

from . import constants

COMMON_ERRORS: tuple[CommonError, ...] = (
    CommonError(
        title=constants.INVALID_KEY_TITLE,
        cause="API key is expired or doesn't have required scopes.",
        fix=constants.INVALID_KEY_FIX,
        match=("invalid api key or insufficient scopes",),
        checks=("credentials", "scopes", "writeback"),
    ),
    CommonError(
        title=constants.SIGNATURE_FAILED,
        cause="HMAC signature is incorrect or webhook secret is wrong.",
        fix=(
            f"Verify Lever sends {constants.SIGNATURE_HEADER} header with HMAC-SHA256 digest (or, from the real "
            "Lever API, a signature of token + triggeredAt in the body).",
            "Confirm webhook secret matches the value in Lever settings (paste Lever's signature token on the "
            "Lever settings page; “Test credentials now” re-reads it from Lever's webhooks).",
            "Check that payload is not modified before validation.",
        ),
        match=("webhook signature validation failed",),
        # A signature failure is a delivery's (webhook_received), never why none is registered.
        checks=("webhook_received",),
    ),
    CommonError(
        title="Feedback form creation failed (404)",
        cause="Opportunity ID or application ID doesn't exist.",
        fix=(
            "Verify opportunity exists in Lever before sending feedback.",
            "Check opportunity has at least one active application.",
            "Ensure application status is not rejected or marked as spam.",
        ),
        match=("feedback form creation failed (404)",),
        checks=("writeback",),
    ),
)


def _webhooks_step(*, manual: bool, auth_kind: str, granted: Collection[str] | None) -> SetupStep:
    if manual:
        # The same two causes as the connect flash, health card and settings page (client.classify):
        # a 403 cannot tell a plan without the API from credentials without the permission.
        return SetupStep(
            title="Set up the Lever webhooks by hand",
            body=f"{constants.WEBHOOKS_API_FORBIDDEN} (Lever answered 403). "
            + constants.webhooks_forbidden_causes(auth_kind, granted)
            + " "
            + constants.WEBHOOKS_MANUAL_FIX,
            items=tuple(f"{label} ({event}): the URL below" for label, event in constants.MANUAL_EVENTS),
            show=("webhook_url",),
            phase="after",
        )
    return SetupStep(
        title="Webhooks are registered for you",
        body="When the credentials check passes, JobCannon registers one Lever webhook per event at the "
        "URL below and stores each webhook's signature token. " + constants.WEBHOOK_GROUPS_FIX + " If your "
        "Lever plan has no Webhooks Subscription API, this page then explains how to add them by hand.",
        items=tuple(f"{label} ({event}): switch its group on" for label, event in constants.MANUAL_EVENTS),
        show=("webhook_url",),
        phase="after",
    )


def setup_steps(
    *, auth_kind: str, manual: bool = False, granted: Collection[str] | None = None
) -> list[SetupStep]:
    if auth_kind == "oauth2":
        first = SetupStep(
            title="Register JobCannon as a Lever OAuth app",
            body="In Lever's partner program, register an app with the redirect URI below. JobCannon asks "
            f"for the audience {constants.AUDIENCE} and offline access, so it keeps a refresh token "
            "(access tokens last an hour; refresh tokens rotate and expire after a year or 90 days unused).",
            items=("Scopes: " + " ".join(constants.OAUTH_SCOPES),),
            show=("redirect_uri",),
        )
    else:
        first = SetupStep(
            title="Generate an API key in Lever",
            body="Log in to Lever as workspace admin: Settings → Integrations → API Credentials → Create New "
            "Credential. The key is shown only once: paste it in the next step. Lever asks for endpoints, "
            "not scopes: for each scope JobCannon's guide names, tick the Lever endpoints after it (the "
            "webhooks ones only if your plan has the Webhooks Subscription API; without it you add the "
            "webhooks by hand after connecting).",
            items=(
                "Name: JobCannon Assessments",
                # Seed 004's scope names, each with the endpoints a real key is generated with (LD FAQ
                # "How do I get an API Key?": "Select the desired endpoints from the list of all our
                # endpoints"); labels [2nd], README "Key scopes".
                *(
                    f"{scope} → " + ", ".join(f"“{e}”" for e in constants.seed_scope_endpoints(scope))
                    for scope in constants.SEED_SCOPES
                ),
                "Lever keys last 1 year: JobCannon warns 30 days before this one expires.",
            ),
        )
    return [
        first,
        _webhooks_step(manual=manual, auth_kind=auth_kind, granted=granted),
        SetupStep(
            title="Assign JobCannon assessments to pipeline stages",
            body="On “Stage assessments”, pick a stage (read from Lever), the test (Big Five, DISC, EQ), "
            "required or optional, auto-send on stage entry or manual trigger, and the due date "
            "(default 7 days).",
            phase="after",
        ),
        SetupStep(
            title="Test in the sandbox",
            body="Switch on the webhook groups (the sandbox's Webhooks page), create a test opportunity, advance it to a stage with a JobCannon assessment, complete the "
            "assessment with a test email, check the opportunity for the new feedback form, and review the "
            "webhook deliveries in the logs.",
            phase="after",
        ),
    ]
