"""One saved object of every model the staff admin registers, so a test can open every change
page (and the lists show a row). Keyed by model label; `admin_objects()` fails loudly when an
admin registers a model this file cannot build yet: add a builder here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.utils import timezone

from assessments.models import Answer, AssessmentConfig, Result, RunStatus
from integrations.models import (
    IntegrationActivity,
    OAuthState,
    OutboundCall,
    Token,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.simulator_plugins.models import SimulatorObject
from jobcannon.audit.models import AuditEvent, RetentionSweep, WebhookBodyDigest
from jobcannon.core.models import SentEmail
from jobcannon.workspaces.models import Invitation
from tests.factories import AssessmentRunFactory, IntegrationFactory, MembershipFactory


class World:
    """The objects the builders share: a workspace, its owner, a sync-capable integration and a
    scored run with an answer, a result and write-backs."""

    def __init__(self, workspace: Any = None, owner: Any = None, integration: Any = None) -> None:
        if workspace is None or owner is None:
            membership = MembershipFactory()
            workspace, owner = membership.workspace, membership.user
        self.workspace, self.owner = workspace, owner
        if integration is None:
            from integrations.registry import get_providers

            syncing = [key for key, p in get_providers().items() if p.sync_resources] or ["fake"]
            integration = IntegrationFactory(workspace=workspace, provider=syncing[0], created_by=owner)
        self.integration = integration
        self.run = AssessmentRunFactory(
            workspace=workspace,
            integration=self.integration,
            provider=self.integration.provider,
            status=RunStatus.SCORED,
            completed_at=timezone.now(),
            scored_at=timezone.now(),
        )
        self.event = WebhookEvent.objects.create(
            provider=self.integration.provider,
            integration=self.integration,
            body=b'{"type": "candidate.created"}',
            headers={"Content-Type": "application/json", "X-Signature": "sha256=abc"},
            status=WebhookStatus.FAILED,
            event_type="candidate.created",
            external_id="evt-admin-1",
            verified=True,
            error="KeyError: 'candidate'",
        )
        self.sync_run: Any = None

    def writeback(self, status: str) -> WritebackMessage:
        return WritebackMessage.objects.create(
            integration=self.integration,
            run=self.run,
            kind="assessment.update:completed",
            event="completed",
            idempotency_key=f"admin-objects-{status}-{self.run.pk}",
            status=status,
            last_error="HTTP 500 from the ATS" if status == WritebackStatus.DEAD else "",
        )


def _sync_run(w: World) -> Model:
    from integrations.sync.models import SyncRun

    if w.sync_run is None:
        w.sync_run = SyncRun.objects.create(
            integration=w.integration, resource="jobs", mode="full", status="succeeded", pages=1
        )
    return w.sync_run


def _sync_checkpoint(w: World) -> Model:
    from integrations.sync.models import SyncCheckpoint

    return SyncCheckpoint.objects.create(
        integration=w.integration, resource="jobs", sync_token="cursor-1", run=_sync_run(w)
    )


def _task(success: bool) -> Callable[[World], Model]:
    def build(w: World) -> Model:
        from django_q.models import Task

        return Task.objects.create(
            id=uuid.uuid4().hex,
            name=f"{'done' if success else 'failed'}-task",
            func="integrations.tasks.webhook_event_process_task",
            args=(w.event.pk,),
            started=timezone.now(),
            stopped=timezone.now(),
            result=None if success else "Traceback: boom",
            success=success,
        )

    return build


def _schedule(w: World) -> Model:
    from django_q.models import Schedule

    return Schedule.objects.create(
        name="admin-objects-schedule",
        func="integrations.tasks.webhook_event_sweep_task",
        schedule_type="I",
        minutes=5,
    )


def _ormq(w: World) -> Model:
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    payload = SignedPackage.dumps({"id": "q1", "name": "queued-task", "func": "math.floor", "args": (1,)})
    return OrmQ.objects.create(key="jobcannon", payload=payload)


def _email_address(w: World) -> Model:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.get_or_create(
        user=w.owner, email=w.owner.email, defaults={"verified": True, "primary": True}
    )[0]


def _authenticator(w: World) -> Model:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.create(
        user=w.owner, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00" * 20, "used_mask": 0}
    )


def _synced_integration(w: World) -> Model:
    from integrations.sync.models import SyncedIntegration

    return SyncedIntegration.objects.get(pk=w.integration.pk)


BUILDERS: dict[str, Callable[[World], Model]] = {
    "auth.Group": lambda w: Group.objects.create(name="Support staff"),
    "auth.User": lambda w: w.owner,
    "django_q.Schedule": _schedule,
    "django_q.Success": _task(True),
    "django_q.Failure": _task(False),
    "django_q.OrmQ": _ormq,
    "account.EmailAddress": _email_address,
    "mfa.Authenticator": _authenticator,
    "core.SentEmail": lambda w: SentEmail.objects.create(
        subject="Your assessment", from_email="noreply@example.com", to="alex@example.com", body_text="Hi"
    ),
    "workspaces.Workspace": lambda w: w.workspace,
    "workspaces.Invitation": lambda w: Invitation.objects.create(
        workspace=w.workspace, email="invitee@example.com", invited_by=w.owner
    ),
    "integrations.Integration": lambda w: w.integration,
    "integrations.Token": lambda w: Token.objects.create(
        integration=w.integration,
        access_token="at-admin",
        refresh_token="rt-admin",
        scopes_requested=["read"],
    ),
    "integrations.WebhookEvent": lambda w: w.event,
    "integrations.OutboundCall": lambda w: OutboundCall.objects.create(
        integration=w.integration,
        provider=w.integration.provider,
        method="GET",
        path="/v1/jobs",
        status_code=200,
    ),
    "integrations.IntegrationActivity": lambda w: IntegrationActivity.objects.create(
        integration=w.integration, kind="credentials.checked", message="Credentials are valid."
    ),
    "integrations.OAuthState": lambda w: OAuthState.objects.create(
        integration=w.integration, state="st-admin", code_verifier="cv", redirect_uri="http://testserver/cb"
    ),
    "simulator_plugins.SimulatorObject": lambda w: SimulatorObject.objects.create(
        provider="fake", kind="candidate", key="cand-1", data={"name": "Alex Example"}
    ),
    "integrations.WritebackMessage": lambda w: w.writeback(WritebackStatus.DELIVERED),
    "integrations.WritebackDeadLetter": lambda w: w.writeback(WritebackStatus.DEAD),
    "sync.SyncRun": _sync_run,
    "sync.SyncCheckpoint": _sync_checkpoint,
    "sync.SyncedIntegration": _synced_integration,
    "assessments.Assessment": lambda w: w.run.assessment,
    "assessments.AssessmentRun": lambda w: w.run,
    "assessments.Answer": lambda w: Answer.objects.create(
        run=w.run, item_id="e1", value=4, answered_at=timezone.now()
    ),
    "assessments.AssessmentConfig": lambda w: AssessmentConfig.objects.get_or_create(workspace=w.workspace)[
        0
    ],
    "audit.AuditEvent": lambda w: AuditEvent.objects.create(
        workspace=w.workspace,
        actor=w.owner,
        actor_label=w.owner.email,
        action="secret.rotated",
        message="Rotated",
    ),
    "audit.RetentionSweep": lambda w: RetentionSweep.objects.create(
        finished_at=timezone.now(), complete=True
    ),
    "audit.WebhookBodyDigest": lambda w: WebhookBodyDigest.objects.create(
        event=WebhookEvent.objects.create(
            provider=w.integration.provider,
            integration=w.integration,
            body=b"",
            status=WebhookStatus.PROCESSED,
        ),
        body_sha256="0" * 64,
        body_bytes=120,
    ),
}


def admin_objects(
    workspace: Any = None, owner: Any = None, integration: Any = None
) -> dict[type[Model], Model]:
    """One object per model registered in the admin (the same row for a proxy's parent), in a
    new workspace or the one given (with one of its integrations: a provider that syncs data)."""
    missing = sorted(m._meta.label for m in admin.site._registry if m._meta.label not in BUILDERS)
    assert not missing, f"no builder in tests/jobcannon/admin_objects.py for admin models {missing}"
    world = World(workspace, owner, integration)
    Result.objects.get_or_create(
        run=world.run,
        defaults={"instrument_version": "1", "overall_score": 64, "summary": "Balanced", "dimensions": []},
    )
    return {model: BUILDERS[model._meta.label](world) for model in admin.site._registry}
