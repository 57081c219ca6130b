"""Knit's answers to the customer console's optional provider hooks (connect wizard, health). The
"test now" buttons are the simulator's (simulator_console.py, part of its dev/test plug-in).

Imported lazily by KnitProvider, so this module may use console types that generic code adds."""

from __future__ import annotations

from typing import Any

from integrations.models import Integration

from . import constants


def setup_steps(integration: Integration) -> list[Any]:
    """Seed 003's guide as wizard steps. No webhook secret to paste: Knit signs with its API key."""
    from integrations.base import SetupStep

    from .selectors import knit_result_mode

    current = (
        "Knit's candidate assessment update API (unverified request body)"
        if knit_result_mode(integration=integration) == constants.RESULT_MODE_UPDATE
        else "Knit passthrough to Ashby's assessment.update"
    )
    return [
        SetupStep(
            title="Create the customer's Ashby integration in Knit",
            body="In Knit, create an Ashby integration (an Ashby admin email and Ashby API key are needed). "
            "Requires a partnership with Ashby for assessments.",
            items=(
                "Copy your Knit API key (Knit dashboard → API keys; the sandbox key for a sandbox integration).",
                "Copy the Knit integration id of the Ashby integration.",
            ),
        ),
        SetupStep(
            title="Register JobCannon as Knit's ATS webhook",
            body="In Knit's dashboard, register this URL as the webhook for the ATS category. Knit sends "
            "record.new (Ashby's assessment.start), signed with your Knit API key. It may also send "
            "record.deleted (assessment.cancel): that is per the seed, unconfirmed by Knit's docs; "
            "JobCannon handles it if it comes.",
            show=("webhook_url",),
        ),
        SetupStep(
            title="Hand the secrets to Ashby",
            body="After connecting, the Knit setup page shows the secretKey (Ashby's API Key) and baseUrl "
            "(Ashby's Base URL) from Knit's Create ATS Assessment Secrets. Provide both to Ashby through your "
            "partnership channel.",
            phase="after",
        ),
        SetupStep(
            title="Choose how results reach Ashby",
            body=f'This integration uses: {current} (change it on the Knit setup page, under "How results '
            'reach Ashby"). ' + constants.UPDATE_BODY_UNPUBLISHED,
            items=(
                "Default: Knit passthrough to Ashby's assessment.update (the status, score, report link and "
                'metadata Ashby documents; an expired run closes Ashby\'s assessment with the reason "Expired").',
                "Option: Knit's candidate assessment update API, unverified (choosing it on the setup page needs "
                "a confirmation), with the status Knit lists (an expired run "
                "is EXPIRED). Use it only once Knit confirms the request body.",
            ),
            phase="after",
        ),
        SetupStep(
            title="Test in the sandbox",
            body="Start an assessment for a test candidate in Ashby, complete it, and check the result arrives.",
            phase="after",
        ),
    ]


def credential_fields(integration: Integration) -> tuple[Any, ...]:
    from integrations.base import CredentialField

    return (
        CredentialField(
            name="api_key",
            label="Knit API key",
            help="Knit dashboard → API keys. Knit also signs its webhooks with it.",
        ),
        CredentialField(
            name="integration_id",
            label="Knit integration id",
            secret=False,
            help="The id of the customer's Ashby integration in Knit (X-Knit-Integration-Id).",
        ),
    )


def health_warnings(integration: Integration) -> list[Any]:
    """Results Ashby refused through Knit's passthrough (401/403): the fix is inside Knit (reconnect
    Ashby there), not here, so the integration stays connected and this says what is held and why."""
    from integrations.base import HealthWarning
    from integrations.models import IntegrationStatus

    from .selectors import knit_results_held_by_ashby

    if integration.status == IntegrationStatus.DISCONNECTED:
        return []
    held = list(knit_results_held_by_ashby(integration=integration)[:50])
    if not held:
        return []
    return [
        HealthWarning(
            key="knit_ashby_connection_refused",
            message=f"{len(held)} result write-back(s) are held because Ashby refused Knit's connection to "
            f"Ashby. {held[0].last_error}",
            level="error",
        )
    ]
