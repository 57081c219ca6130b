"""Seed 001 (the customer setup guide) as data for the connect wizard and the checklist: its
steps and its three "Common Errors", each with the cause and the fix the guide gives (adapted
where we automate a step, e.g. the webhook subscription)."""

from __future__ import annotations

from integrations.base import CommonError, SetupStep

from . import constants

CONSENT_STEP = "Connect JobCannon in SmartRecruiters' Apps & Integrations"

COMMON_ERRORS: tuple[CommonError, ...] = (
    CommonError(
        title=constants.REDIRECT_URI_ERROR,
        cause="Registered URI doesn't match the callback URL.",
        fix=(
            "Verify SmartRecruiters shows exactly the redirect URI on this integration's setup page "
            "(…/smartrecruiters/oauth-callback) under Settings → Integrations → Connected Applications.",
            "Check for typos or trailing slashes (and http vs https).",
            "Regenerate the integration in SmartRecruiters if needed, then re-authorize.",
        ),
        match=(constants.REDIRECT_URI_ERROR.lower(), "redirect uri", "redirect_uri"),
        checks=("credentials",),
    ),
    CommonError(
        title="Webhook signature validation failed",
        cause="HMAC signature is missing or incorrect.",
        fix=(
            f"Verify SmartRecruiters sends the {constants.SEED_SIGNATURE_HEADER} header (seed setup) or, "
            f"from the Webhooks API, {constants.SIGNATURE_HEADER} with {constants.TIMESTAMP_HEADER}.",
            "Confirm the webhook secret matches the value in the integration settings (with the Webhooks "
            "API, “Test credentials now” subscribes again and stores SmartRecruiters' new secret key).",
            "Verify the payload is not modified before signature validation (no proxy re-encoding the body).",
        ),
        match=("webhook signature validation failed", "missing signature", "no secret key configured"),
        # A signature failure is a delivery's (webhook_received), never why none is registered.
        checks=("webhook_received",),
    ),
    CommonError(
        title=constants.PERMISSION_403_TITLE,
        cause=f"OAuth scopes don't include `{constants.SEED_SCOPE_RESULTS_WRITE}` (seed setup), or the "
        "company credentials SmartRecruiters issued were revoked.",
        fix=(
            "Check the integration scopes in SmartRecruiters.",
            "If missing, re-authorize and approve all required scopes (listed on the integration page, "
            "requested vs granted).",
            "If the integration was removed in SmartRecruiters' Apps & Integrations, connect JobCannon there again.",
            "Waiting results are held, not lost: JobCannon resends them once JobCannon is connected again in "
            "Apps & Integrations (new consent), or after re-authorizing with the missing scope (seed setup).",
        ),
        match=(constants.SEED_SCOPE_RESULTS_WRITE, "403 forbidden", "oauthpermissionsexception"),
        checks=("scopes", "writeback"),
    ),
)


def setup_steps(*, scopes: tuple[str, ...]) -> list[SetupStep]:
    return [
        SetupStep(
            title="Create client credentials in SmartRecruiters",
            # SRD /docs/authentication-oauth-client-credential [F]: Credential Manager → New
            # Credential → OAuth client ID; name, description, scopes, a System role; Client ID
            # and secret shown once. The path to the Credential Manager: 1Password's and
            # learningbank's SmartRecruiters guides (pages corpus) [2nd].
            body="Required to connect a company, and self-serve: any SmartRecruiters administrator of the "
            "company creates them, no OAuth app is needed. SmartRecruiters' Connect link in Apps & "
            "Integrations carries only your company id, signed by nothing, so JobCannon asks SmartRecruiters "
            "which company these credentials belong to (GET /configuration/company) before it connects the "
            "company. " + constants.CUSTOMER_CREDENTIALS_WHERE,
            items=(
                "Settings → Apps & Integrations → Credentials → New Credential → OAuth client ID",
                "Name: JobCannon Assessments; Description: proves the company to JobCannon",
                "Scopes: " + ", ".join(constants.CUSTOMER_CREDENTIAL_SCOPES),
                "System role: one that may read the company settings (SmartRecruiters requires a role)",
                "Click Generate and copy the Client ID and Client secret (shown only once).",
            ),
        ),
        SetupStep(
            title=CONSENT_STEP,
            body="Required: this is how a company connects. As SmartRecruiters admin: Apps & Integrations → "
            "JobCannon → Connect → Authorize and Continue. SmartRecruiters opens JobCannon's consent page: paste "
            "the client credentials you created (step one) and allow it (a workspace without a SmartRecruiters "
            "integration gets one there). SmartRecruiters then issues the company credentials JobCannon reads "
            "jobs and writes results with, and orders assessments from JobCannon's partner API. Nothing else "
            "is needed: the OAuth steps below and Step 3 are optional.",
        ),
        SetupStep(
            title="Optional: an OAuth sign-in for live webhooks",
            body="Only for the Webhooks API subscriptions (live candidate updates) and the scorecard fields, "
            "and for integrations that already connect this way. SmartRecruiters registers OAuth sign-in "
            "apps for partners, not for customers (its Authorization Code flow takes no new partners since "
            "January 30, 2026): skip this step unless you already have such an app. Orders, results and the "
            "data sync work without it.",
            items=(
                "Redirect URI: exactly the value below (no trailing slash)",
                "Scopes: " + ", ".join(scopes),
            ),
            show=("redirect_uri",),
        ),
        SetupStep(
            title="Optional: authorize the OAuth app (Step 3 below)",
            body="Only with the app above; skip Step 3 otherwise. Enter its Client ID and Client Secret, then "
            "approve the scopes on SmartRecruiters' consent page as Company Admin. SmartRecruiters access "
            "tokens last 30 minutes and refresh tokens 28 days, each usable once: JobCannon refreshes before "
            "they lapse (at least daily), keeps the new refresh token SmartRecruiters returns every time, and "
            "warns you when refreshing keeps failing or has not succeeded for days, before the grant lapses.",
        ),
        SetupStep(
            title="Webhook subscriptions: only after the optional OAuth sign-in",
            body="SmartRecruiters' Webhooks API needs the OAuth sign-in (scope "
            + constants.SCOPE_WEBHOOKS_MANAGE
            + "): a company connected in Apps & Integrations alone gets its orders through the Assessment API "
            "and its candidate changes through the periodic data sync, with no subscription. Once signed in, "
            "JobCannon subscribes to "
            + ", ".join(constants.SUBSCRIBED_EVENTS)
            + " at the URL below itself (it answers the X-Hook-Secret activation and stores the secret key "
            "SmartRecruiters signs with). The seed's POST /v1/webhooks/subscriptions setup is available on "
            "the integration page.",
            show=("webhook_url",),
            phase="after",
        ),
        SetupStep(
            # Seed 001's steps: SmartRecruiters publishes no such menu path [I] (README "Manual order":
            # SR's candidate profile → Assessments → Order assessments, help.kombo.dev).
            title="Configure the assessment catalog",
            body="As JobCannon's setup guide (seed 001) describes it, not a SmartRecruiters source: open a job "
            "→ Pipeline → [Stage] → Add Action → Assessment → select JobCannon and choose a test (Big Five, "
            "DISC, EQ). A recruiter can also order one from the candidate's profile (Assessments → Order "
            "assessments). The assessment catalog page lists the packages SmartRecruiters offers.",
            items=(
                "Required or optional",
                "Trigger: auto-advance or manual",
                "Due date (default: 7 days)",
                "Email template (branded or default)",
                "Save",
            ),
            phase="after",
        ),
        SetupStep(
            title="Test in Sandbox",
            body="Before production, in your SmartRecruiters sandbox:",
            items=(
                "Create a test candidate.",
                "Advance the candidate to the assessment stage.",
                "Trigger the assessment (auto or manual).",
                "The candidate receives an email with the assessment link.",
                "Complete the assessment in a browser.",
                "Verify the order and its result in JobCannon's Assessment orders page and logs.",
                # SRD packageResultUpdate / addAttachmentToOrder (reference §2.2); which SR page shows a
                # result is not published [I]. The seed's "the scorecard shows the result" has no SR source.
                "Check the result: JobCannon sends it to the assessment order in SmartRecruiters (PATCH "
                "/orders/{orderId}/results, the report PDF as the order's attachment); SmartRecruiters does not "
                "publish which page shows it (the built-in sandbox shows it on the candidate's page). The "
                "scorecard fields are filled only with the optional OAuth sign-in.",
            ),
            phase="after",
        ),
    ]
