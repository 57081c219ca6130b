"""Seed 001 (the customer setup guide) as data for the connect wizard and the checklist: its
steps and its three "Common Errors", each with the cause and the fix the guide gives (adapted
where we automate a step, e.g. the webhook subscription)."""

from __future__ import annotations

from integrations.base import CommonError, SetupStep

from . import constants

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
        checks=("webhook_received", "webhooks"),
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
            title="Create an integration in SmartRecruiters",
            body="Required to connect a company: SmartRecruiters' Connect link in Apps & Integrations (the "
            "step below) carries only your company id, signed by nothing, so a sign-in with this app as a "
            "user of the company is the only proof JobCannon has that the company is yours; JobCannon "
            "connects it only after that sign-in. Once connected, SmartRecruiters issues the company "
            "credentials JobCannon reads jobs and candidates and writes results with; this app also "
            "creates the Webhooks API subscriptions and fills the scorecard fields. To create it, log in "
            "to SmartRecruiters as Company Admin: Settings → Integrations → Connected Applications → "
            "Create Integration (or Add Custom App). If SmartRecruiters does not let your company create "
            "or authorize one, contact JobCannon support.",
            items=(
                "Name: JobCannon Assessments",
                "Description: JobCannon assessment delivery and scoring platform",
                "Redirect URI: exactly the value below (no trailing slash)",
                "Scopes: " + ", ".join(scopes),
                "Click Create and copy the Client ID and Client Secret SmartRecruiters generates.",
            ),
            show=("redirect_uri",),
        ),
        SetupStep(
            title="Authorize JobCannon",
            body="Enter the Client ID and Client Secret, then approve the scopes on SmartRecruiters' consent "
            "page as Company Admin. SmartRecruiters access tokens last 30 minutes and refresh tokens 28 "
            "days, each usable once: JobCannon refreshes before they lapse (at least daily), keeps the new "
            "refresh token SmartRecruiters returns every time, and warns you when refreshing keeps failing "
            "or has not succeeded for days, before the grant lapses. Sandbox and production are separate apps.",
        ),
        SetupStep(
            title="Webhook subscriptions are created for you",
            body="Once the credentials work, JobCannon subscribes to "
            + ", ".join(constants.SUBSCRIBED_EVENTS)
            + " through SmartRecruiters' Webhooks API at the URL below (it answers the X-Hook-Secret "
            "activation and stores the secret key SmartRecruiters signs with), and registers its partner "
            "API so SmartRecruiters can order assessments. The seed's POST /v1/webhooks/subscriptions "
            "setup is available on the integration page.",
            show=("webhook_url",),
            phase="after",
        ),
        SetupStep(
            title="Connect JobCannon in SmartRecruiters' Apps & Integrations",
            body="As SmartRecruiters admin: Apps & Integrations → JobCannon → Connect → Authorize and Continue. "
            "SmartRecruiters opens JobCannon's consent page; allow it there for this integration. SmartRecruiters "
            "then issues the company credentials JobCannon writes results with.",
            phase="after",
        ),
        SetupStep(
            title="Configure the assessment catalog",
            body="In SmartRecruiters, open a job → Pipeline → [Stage] → Add Action → Assessment → select "
            "JobCannon and choose a test (Big Five, DISC, EQ).",
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
                "Verify the webhook delivery in the JobCannon logs.",
                "Check SmartRecruiters: the scorecard shows the result.",
            ),
            phase="after",
        ),
    ]
