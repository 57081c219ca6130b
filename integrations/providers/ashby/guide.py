"""Seed 000 (the customer setup guide) as data for the connect wizard and the checklist: its
steps and its "Common Errors", each with the cause and the fix the guide gives. Where the real
API differs (Ashby's OpenAPI: every endpoint names the API-key permission it requires; webhook
types are an enum), the steps say what the real API needs."""

from __future__ import annotations

from integrations.base import CommonError, SetupStep

from . import constants

COMMON_ERRORS: tuple[CommonError, ...] = (
    CommonError(
        title="Invalid OAuth scope",
        cause="One or more requested scopes are not available on your Ashby workspace tier.",
        fix=(
            "Check the Ashby workspace plan (some scopes require the Enterprise tier).",
            f"Verify the app's scope list matches: {' '.join(constants.SCOPES)}.",
            "Contact support if a scope is missing, then click Re-authorize.",
        ),
        match=("invalid oauth scope", "invalid_scope"),
        checks=("credentials", "scopes"),
    ),
    CommonError(
        title="Webhook signature validation failed",
        cause="The webhook payload was tampered with, or the signature header is missing.",
        fix=(
            f"Ashby signs with HMAC-SHA256 in {constants.SIGNATURE_HEADER} (the setup guide names "
            f"{constants.SEED_SIGNATURE_HEADER}); JobCannon accepts both.",
            "Confirm the secret used to sign is this integration's webhook secret (JobCannon sets it as the "
            "webhook's secret token when it registers the webhook; Test credentials re-registers after a rotation).",
            "Check the webhook delivery logs in Ashby admin → Webhooks → Event Logs.",
        ),
        match=("webhook signature validation failed",),
        # A signature failure is a delivery's (webhook_received), never why none is registered.
        checks=("webhook_received",),
    ),
    CommonError(
        title="401 Unauthorized when updating candidate scorecard",
        cause="The OAuth token expired or has insufficient scopes.",
        fix=(
            "Check the token's age (re-authorize if the refresh token is older than 1.5 years).",
            f"Verify the granted scopes include {constants.SCOPE_CANDIDATE_WRITE}.",
            "Re-authorize the integration; waiting write-backs are then delivered automatically.",
        ),
        # The text of an OAuth failure only (client.REAUTHORIZE_HINT): an API key's 401 says "no API
        # key reached Ashby" and gets the generic 401 fix (save a new key), not this OAuth one.
        match=("token expired or insufficient scopes",),
        checks=("credentials", "writeback", "scopes"),
    ),
    CommonError(
        title="Ashby refused a call: missing_endpoint_permission",
        cause="The API key lacks the permission the endpoint requires (Ashby answers 403 and names it).",
        fix=(
            "In Ashby Admin → Integrations → API keys, edit the JobCannon key and add the permission named "
            "in the error. JobCannon uses: "
            + "; ".join(f"{p} ({why})" for p, why in constants.PERMISSION_PURPOSES)
            + ".",
            "Click Test credentials now: the webhooks are registered and the warning clears.",
        ),
        # "give the jobcannon key": the connected reason of an API key (permissions.status_line); an
        # OAuth one says "re-authorize" and gets the generic 403 fix instead of these key steps.
        match=("missing_endpoint_permission", "give the jobcannon key"),
        checks=("credentials", "scopes", "webhooks", "writeback", "ashby_permissions"),
    ),
)


def permission_items() -> tuple[str, ...]:
    return tuple(f"{permission}: {why}" for permission, why in constants.PERMISSION_PURPOSES)


def setup_steps(*, auth_kind: str) -> list[SetupStep]:
    if auth_kind == "oauth2":
        first = [
            SetupStep(
                title="Create an integration in Ashby",
                body="This OAuth flow follows the JobCannon setup guide; the path Ashby documents "
                "publicly is the API key (choose it unless Ashby has set up OAuth for your workspace). "
                "Log in to Ashby as workspace admin: Settings → Integrations → Connected Apps → "
                "Create Integration.",
                items=(
                    "Name: JobCannon Assessments",
                    "Description: JobCannon assessment delivery and scoring",
                    "Redirect URI: exactly the value below",
                    "Scopes: " + ", ".join(constants.SCOPES),
                    "Click Create App and copy the Client ID and Client Secret.",
                ),
                show=("redirect_uri",),
            ),
            SetupStep(
                title="Authorize JobCannon",
                body="Enter the Client ID and Secret, then approve the four scopes on Ashby's consent page. "
                "JobCannon receives a refresh token valid for about 2 years and refreshes access "
                "tokens ahead of expiry.",
            ),
        ]
    else:
        first = [
            SetupStep(
                title="Create an API key in Ashby",
                body="The API key is how Ashby documents access to its API (Basic auth, the key as "
                "username). Ashby Admin → Integrations → API keys: create a key named “JobCannon "
                "Assessments” with these permissions (each Ashby endpoint requires one; a missing one "
                "is named on the integration page). The key is shown once: paste it next.",
                items=permission_items(),
            )
        ]
    return [
        *first,
        SetupStep(
            title="Webhooks are registered for you",
            body="Once the credentials work, JobCannon registers applicationSubmit (the setup guide's "
            "candidate.created) and, with the data sync on, the application and candidate webhooks "
            "through Ashby's webhook.create (apiKeysWrite), signed with this integration's secret. Ashby "
            "has no assessment.completed webhook: results reach Ashby through assessment.update.",
            phase="after",
        ),
        SetupStep(
            title="Give Ashby the partner API key",
            body="In Ashby, enable the JobCannon assessment integration with the partner base URL and the "
            "partner API key from this integration's page (Issue the partner API key).",
            phase="after",
        ),
        SetupStep(
            title="Test in Sandbox",
            body="Before going live, in your Ashby sandbox workspace:",
            items=(
                "Create a test candidate (Settings → Sandbox Candidates).",
                "Trigger a JobCannon assessment via the candidate profile.",
                "Complete the assessment in a browser.",
                "Verify webhook delivery in the JobCannon logs.",
                "Confirm the scorecard update: the candidate's scorecard shows the result.",
            ),
            phase="after",
        ),
    ]
