"""A victim workspace full of data and the people who must not see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import Answer, AssessmentRun, Result, RunStatus
from integrations.models import (
    IntegrationActivity,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
)
from integrations.registry import get_providers
from integrations.services.inbound_limits import inbound_limits_reset
from jobcannon.audit.models import AuditEvent
from jobcannon.core.models import SentEmail
from jobcannon.workspaces.models import Invitation, Role
from jobcannon.workspaces.services import invitation_create
from tests.factories import (
    AssessmentRunFactory,
    IntegrationFactory,
    MembershipFactory,
    UserFactory,
    WorkspaceFactory,
)

# Strings that exist only in the victim workspace: none may appear in a response another
# tenant (or nobody) gets.
SENTINELS = (
    "Victim Workspace Zeta",
    "zelda.victimova@example.com",
    "Victimova",
    "sk_live_VICTIMSECRET",
    "whsec_VICTIMSECRET",
    "VICTIM-PAYLOAD",
    "VICTIM-AUDIT",
    "victim.invitee@example.com",
    "VICTIM-ACTIVITY",
    "victim-access-token",
)


@dataclass
class Victim:
    workspace: Any
    owner: Any
    integrations: dict[str, Any]
    run: Any
    event: Any
    writeback: Any
    invitation: Any
    invitation_token: str
    email: Any
    ids: dict[str, list[Any]] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _fresh_inbound_buckets():
    inbound_limits_reset()
    yield
    inbound_limits_reset()


@pytest.fixture
def victim(db) -> Victim:
    workspace = WorkspaceFactory(name="Victim Workspace Zeta", slug="victim-zeta")
    owner = MembershipFactory(workspace=workspace, role=Role.OWNER).user
    integrations = {}
    for key in get_providers():
        integrations[key] = IntegrationFactory(
            workspace=workspace,
            provider=key,
            credentials={"api_key": "sk_live_VICTIMSECRET", "partner_key": "sk_live_VICTIMSECRET"},
            webhook_secrets=[{"secret": "whsec_VICTIMSECRET", "created_at": timezone.now().isoformat()}],
            provider_settings={"use_simulator": True},
        )
    first = integrations["fake"]
    Token.objects.create(
        integration=first, access_token="victim-access-token", refresh_token="victim-refresh-token"
    )
    run = AssessmentRunFactory(
        workspace=workspace,
        integration=first,
        provider="fake",
        candidate_first_name="Zelda",
        candidate_last_name="Victimova",
        candidate_email="zelda.victimova@example.com",
        status=RunStatus.SCORED,
        completed_at=timezone.now(),
        scored_at=timezone.now(),
    )
    Answer.objects.create(run=run, item_id="e1", value=4, answered_at=timezone.now())
    Result.objects.create(
        run=run,
        instrument_version="1",
        overall_score=77,
        summary="Victimova is VICTIM-PAYLOAD",
        dimensions=[],
    )
    event = WebhookEvent.objects.create(
        provider="fake",
        integration=first,
        body=b'{"type": "candidate.created", "note": "VICTIM-PAYLOAD zelda.victimova@example.com"}',
        headers={"X-Fake-Signature": "sha256=VICTIM-PAYLOAD"},
        status=WebhookStatus.PROCESSED,
        event_type="candidate.created",
        verified=True,
    )
    writeback = WritebackMessage.objects.create(
        integration=first, run=run, kind="result", event="completed", idempotency_key="victim-wb-1"
    )
    IntegrationActivity.objects.create(integration=first, kind="test", message="VICTIM-ACTIVITY happened")
    invitation, invitation_token = invitation_create(
        workspace=workspace, email="victim.invitee@example.com", role=Role.MEMBER, invited_by=owner
    )
    AuditEvent.objects.create(workspace=workspace, action="secret.rotated", message="VICTIM-AUDIT rotated")
    email = SentEmail.objects.create(
        subject="Your assessment, Zelda Victimova",
        from_email="a@example.com",
        to="zelda.victimova@example.com",
        body_text="VICTIM-PAYLOAD",
    )
    victim = Victim(
        workspace=workspace,
        owner=owner,
        integrations=integrations,
        run=run,
        event=event,
        writeback=writeback,
        invitation=invitation,
        invitation_token=invitation_token,
        email=email,
    )
    return victim


@pytest.fixture
def attacker(db):
    """Owner of another (empty) workspace: every right, in the wrong tenant."""
    return MembershipFactory(
        workspace=WorkspaceFactory(name="Attacker Inc", slug="attacker-inc"), role=Role.OWNER
    ).user


@pytest.fixture
def loner(db):
    """Signed in, not staff, in no workspace at all."""
    return UserFactory(username="loner")


def victim_state(victim: Victim) -> dict[str, Any]:
    """Everything an attacker's write could change."""
    ws = victim.workspace
    ws.refresh_from_db()
    return {
        "workspace": (ws.name, ws.retention_days, ws.data_region),
        "members": sorted(ws.memberships.values_list("user_id", "role")),
        "integrations": sorted(
            (
                i.pk,
                i.status,
                i.credentials == {"api_key": "sk_live_VICTIMSECRET", "partner_key": "sk_live_VICTIMSECRET"},
                repr(i.webhook_secrets),
                repr(i.provider_settings),
            )
            for i in ws.integrations.all()
        ),
        "runs": sorted(
            AssessmentRun.objects.filter(workspace=ws).values_list("pk", "status", "token", "candidate_email")
        ),
        "answers": Answer.objects.filter(run__workspace=ws).count(),
        "results": Result.objects.filter(run__workspace=ws).count(),
        "writebacks": sorted(WritebackMessage.objects.filter(run__workspace=ws).values_list("pk", "status")),
        "events": sorted(
            WebhookEvent.objects.filter(integration__workspace=ws, pk=victim.event.pk).values_list(
                "pk", "status"
            )
        ),
        "invitations": sorted(
            Invitation.objects.filter(workspace=ws).values_list(
                "pk", "token_sha256", "expires_at", "accepted_at", "revoked_at"
            )
        ),
        "tokens": Token.objects.filter(integration__workspace=ws).count(),
    }
