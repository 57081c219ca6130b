"""Privacy requests from candidates (GDPR access / erasure): export everything a workspace holds
about one candidate, or delete it. Deletion cascades: active runs are cancelled through
`assessment_run_cancel` (candidate link revoked, the ATS told), answers and results are deleted,
the run keeps only its ATS references and status (so the ATS-side records and our logs still
line up) with the candidate's name and address replaced, every candidate or report link is
revoked by a new token, raw webhook bodies of the workspace's integrations that mention the
candidate are purged to their digest, and the synced copy of the ATS's candidate record is
erased. The export holds the same things: runs with answers and results, the deliveries that
mention the address, the synced ATS records with their applications.

Deliveries no integration claimed (a seed-route body no secret verified) may be another
customer's: the export lists them without their body, and a deletion leaves them (one workspace's
request does not erase rows no one can tell are its own); they are deleted, row and body, once
WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS have passed (jobcannon.audit.retention), and the
deletion's report and audit record say how many are left to that."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, unquote_plus, unquote_to_bytes

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from assessments.models import Answer, AssessmentRun, Result
from assessments.services.runs import assessment_run_cancel
from integrations.models import Integration, WebhookEvent, WritebackMessage, WritebackStatus
from jobcannon.audit.models import PurgeReason
from jobcannon.audit.retention import SETTLED_WEBHOOK_STATUSES, webhook_bodies_purge
from jobcannon.audit.services import audit_record
from jobcannon.core.exceptions import ValidationFailed

DELETED_DOMAIN = "deleted.invalid"
SCAN_CHUNK = 200


def candidate_reference(email: str) -> str:
    """A stable pseudonym for a candidate address: what the audit log keeps instead of it."""
    return "cand_" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:12]


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if not email or "@" not in email or len(email) > 254:
        raise ValidationFailed("Enter the candidate's email address.", details={"email": "invalid"})
    return email


def candidate_runs(*, workspace: Any, email: str) -> QuerySet[AssessmentRun]:
    return AssessmentRun.objects.filter(workspace=workspace, candidate_email__iexact=_clean_email(email))


# An address inside a longer text ("Ada <ada@example.com>", a note): the run of characters an
# address can hold (RFC 5322 atext, dots, the domain; letters beyond ASCII too, RFC 6531:
# `zoë@example.com`), delimited by anything else. Compared whole, so `a@b.co` is not found in
# `joanna@b.com` (nor in `a@b.co.uk`).
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+")
# `/ ? = &` are atext too, but in practice they end a URL path segment or a query/`key=value`
# field before an address (`/candidates/a@b.co`, `?email=a@b.co`, `contact=a@b.co`), so the run
# swallows what precedes the address: the part after each of them is compared too. `+`, `-`, `.`
# and letters are not such ends: `contact+a@b.co` and `xa@b.co` stay other people's addresses.
_URL_DELIMITER = re.compile(r"[/?=&]")


def _strings(value: Any) -> Iterator[str]:
    """Every string of a JSON document: values and keys (a vendor may key a map by address)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_FIELD_DELIMITERS = re.compile(r"[?&=]")


def _form_fields(text: str, *, form: bool) -> Iterator[str]:
    """Form-encoded text field by field, decoded: `email=a%40b.co&x=1` holds `a@b.co`, which the
    raw text spells with neither `@` nor a delimiter before it. A body that is not JSON is read
    as a form (`+` is a space); a JSON string only when it holds percent-escapes (a query string
    inside a value: `+` stays a plus)."""
    if not form and not _ESCAPE.search(text):
        return
    decode = unquote_plus if form else unquote
    for field in _FIELD_DELIMITERS.split(text):
        yield decode(field)


def _addresses(text: str, *, form: bool = False) -> Iterator[str]:
    """Every address-shaped run of the text, and each of its tails after a URL delimiter in the
    local part (a needle holding one of them, `x=a@b.co`, is still compared whole)."""
    for piece in (text, *_form_fields(text, form=form)):
        for match in _ADDRESS.finditer(piece):
            found = match.group()
            yield found.strip(".").lower()
            local_end = found.rindex("@")
            for cut in _URL_DELIMITER.finditer(found, 0, local_end):
                yield found[cut.end() :].strip(".").lower()


def body_mentions_address(body: bytes, email: str) -> bool:
    """True when the raw body holds exactly this address (case-insensitive): a JSON body's string
    keys and values are compared address by address; any other body is searched for whole
    addresses; form-encoded text (`email=a%40b.co`) field by field, decoded; an address ending a
    URL path or a `key=value` field (`/candidates/a@b.co`, `?email=a@b.co`) counts. Export and
    delete both select deliveries through this one function."""
    needle = email.strip().lower()
    # Cheap: most bodies never contain it at all. A JSON body may write letters beyond ASCII as
    # \u escapes, so an address with such letters (an IDN domain) is looked for by its longest
    # ASCII run; a form-encoded one may escape anything, so it is also looked for decoded. A JSON
    # encoder may \u-escape ASCII too ("a\u0040b.co"): a body holding any \u escape is parsed.
    probe = max(re.split(r"[^\x00-\x7f]+", needle), key=len).encode()
    lowered = body.lower()
    if (
        probe
        and probe not in lowered
        and b"\\u" not in lowered
        and not (b"%" in body and probe in unquote_to_bytes(lowered).lower())
    ):
        return False
    try:
        texts: Iterator[str] = _strings(json.loads(body))
        form = False
    except ValueError:
        texts, form = iter([body.decode("utf-8", "replace")]), True
    return any(found == needle for text in texts for found in _addresses(text, form=form))


def _webhook_events_mentioning(*, workspace: Any, email: str) -> list[WebhookEvent]:
    """Deliveries whose raw body holds the address (exactly, case insensitive; see
    body_mentions_address): those of this workspace's integrations, and those no integration
    was found for (a seed-route delivery no secret verified: stored with the reason, nobody's)
    of the ATSs this workspace is connected to, which may be this candidate's too. Scanned in
    chunks: bodies exist only inside the retention window."""
    providers = Integration.objects.filter(workspace=workspace).values("provider")
    found: list[WebhookEvent] = []
    qs = (
        WebhookEvent.objects.filter(
            Q(integration__workspace=workspace) | Q(integration__isnull=True, provider__in=providers),
            body_digest__isnull=True,
        )
        .only("pk", "body", "provider", "integration_id", "received_at", "event_type", "status")
        .order_by("pk")
    )
    for event in qs.iterator(chunk_size=SCAN_CHUNK):
        if body_mentions_address(bytes(event.body), email):
            found.append(event)
    return found


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _run_export(run: AssessmentRun) -> dict[str, Any]:
    result = Result.objects.filter(run=run).first()
    return {
        "id": run.pk,
        "instrument": run.instrument,
        "instrument_version": run.instrument_version,
        "status": run.status,
        "candidate": {
            "email": run.candidate_email,
            "first_name": run.candidate_first_name,
            "last_name": run.candidate_last_name,
        },
        "ats": {
            "provider": run.provider,
            "candidate_id": run.external_candidate_id,
            "application_id": run.external_application_id,
            "job_id": run.external_job_id,
            "assessment_id": run.external_assessment_id,
            "context": run.ats_context,
        },
        "created_at": _iso(run.created_at),
        "invited_at": _iso(run.invited_at),
        "consented_at": _iso(run.consented_at),
        "started_at": _iso(run.started_at),
        "completed_at": _iso(run.completed_at),
        "due_at": _iso(run.due_at),
        "cancelled_at": _iso(run.cancelled_at),
        "expired_at": _iso(run.expired_at),
        "answers": [
            {"item_id": a.item_id, "value": a.value, "answered_at": _iso(a.answered_at)}
            for a in Answer.objects.filter(run=run).order_by("item_id")
        ],
        "result": None
        if result is None
        else {
            "overall_score": result.overall_score,
            "primary_dimension": result.primary_dimension,
            "dimensions": result.dimensions,
            "summary": result.summary,
            "answered_count": result.answered_count,
            "item_count": result.item_count,
            "duration_seconds": result.duration_seconds,
        },
    }


def _synced_candidates_export(*, workspace: Any, email: str) -> list[dict[str, Any]]:
    """The copy of the candidate the jobs/candidates sync keeps from each ATS (integrations.sync),
    with their applications."""
    from django.db.models import Q

    from integrations.sync.models import Application
    from integrations.sync.models import Candidate as SyncedCandidate

    candidates = (
        SyncedCandidate.objects.filter(integration__workspace=workspace, email__iexact=email)
        .select_related("integration")
        .order_by("pk")
    )
    exported = []
    for candidate in candidates:
        applications = (
            Application.objects.filter(
                Q(candidate=candidate)
                | Q(integration_id=candidate.integration_id, candidate_external_id=candidate.external_id)
            )
            .select_related("job")
            .order_by("pk")
        )
        exported.append(
            {
                "provider": candidate.integration.provider,
                "external_id": candidate.external_id,
                "name": candidate.name,
                "email": candidate.email,
                "phone": candidate.phone,
                "profile_url": candidate.profile_url,
                "first_seen_at": _iso(candidate.first_seen_at),
                "last_seen_at": _iso(candidate.last_seen_at),
                "applications": [
                    {
                        "external_id": a.external_id,
                        "job": a.job.title if a.job else a.job_external_id,
                        "stage": a.stage_title,
                        "status": a.status,
                        "applied_at": _iso(a.applied_at),
                    }
                    for a in applications
                ],
            }
        )
    return exported


def candidate_data_export(*, workspace: Any, email: str) -> dict[str, Any]:
    """Everything this workspace holds about the candidate, as one JSON document."""
    email = _clean_email(email)
    runs = list(candidate_runs(workspace=workspace, email=email).order_by("created_at"))
    events = _webhook_events_mentioning(workspace=workspace, email=email)
    synced = _synced_candidates_export(workspace=workspace, email=email)
    audit_record(
        action="privacy.exported",
        message=(
            f"Candidate data exported ({len(runs)} run(s), {len(events)} webhook delivery(ies), "
            f"{len(synced)} synced ATS record(s))."
        ),
        workspace=workspace,
        target_label=candidate_reference(email),
        data={"runs": len(runs), "webhook_events": len(events), "synced_candidates": len(synced)},
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "workspace": {"name": workspace.name, "data_region": workspace.data_region},
        "retention_days": workspace.retention_days,
        "candidate_email": email,
        "assessment_runs": [_run_export(run) for run in runs],
        "webhook_deliveries": [
            {
                "id": e.pk,
                "provider": e.provider,
                "received_at": _iso(e.received_at),
                "event_type": e.event_type,
                "status": e.status,
                # False: no integration was found for it (no secret verified), so not known to be
                # this workspace's; it names the candidate and came to an ATS this workspace uses.
                # Its body may be another customer's delivery: listed, never shown, and not
                # deleted on this workspace's request (candidate_delete): it expires with the
                # rejected rows no integration claimed.
                "matched_integration": e.integration_id is not None,
                "body": e.body_text if e.integration_id is not None else None,
            }
            for e in events
        ],
        "ats_records": synced,
    }


@dataclass(frozen=True)
class CandidateDeletion:
    reference: str
    runs: int
    cancelled: int
    answers: int
    results: int
    webhook_bodies: int
    webhook_bodies_pending: int  # still being processed: purged by a later request or retention
    # Deliveries no integration claimed that mention the address: maybe another customer's, so
    # left to expire after WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS (the module docstring).
    webhook_bodies_unclaimed: int
    unclaimed_retention_days: int


def candidate_delete(*, workspace: Any, email: str) -> CandidateDeletion:
    """Erase one candidate from a workspace (see the module docstring for what stays)."""
    email = _clean_email(email)
    reference = candidate_reference(email)
    runs = list(candidate_runs(workspace=workspace, email=email))
    cancelled = answers = results = 0
    for run in runs:
        with transaction.atomic():
            # Nothing still queued may carry the candidate's data to the ATS any more...
            WritebackMessage.objects.filter(
                run=run,
                status__in=[WritebackStatus.PENDING, WritebackStatus.RETRYING, WritebackStatus.NEEDS_REAUTH],
            ).update(status=WritebackStatus.CANCELLED, last_error="Candidate data deleted on request.")
            # ...but the ATS is told an active order is cancelled (a new write-back, no personal data).
            if run.is_active:
                assessment_run_cancel(run=run, reason="Candidate data deleted on request.", notify_ats=True)
                cancelled += 1
            answers += Answer.objects.filter(run=run).delete()[0]
            results += Result.objects.filter(run=run).delete()[0]
            AssessmentRun.objects.filter(pk=run.pk).update(
                candidate_email=f"{reference}@{DELETED_DOMAIN}",
                candidate_first_name="",
                candidate_last_name="",
                ats_context={},
                # A new token revokes the candidate link and every signed report link.
                token=secrets.token_urlsafe(32),
                updated_at=timezone.now(),
            )
    found = _webhook_events_mentioning(workspace=workspace, email=email)
    events = [e for e in found if e.integration_id is not None]
    settled = [e.pk for e in events if e.status in SETTLED_WEBHOOK_STATUSES]
    purged = webhook_bodies_purge(event_ids=settled, reason=PurgeReason.PRIVACY)
    # The synced copy of the ATS's candidate (jobs/candidates sync) loses the person too.
    from integrations.sync.retention import synced_candidate_erase

    synced_candidate_erase(workspace=workspace, email=email)
    outcome = CandidateDeletion(
        reference=reference,
        runs=len(runs),
        cancelled=cancelled,
        answers=answers,
        results=results,
        webhook_bodies=purged,
        webhook_bodies_pending=len(events) - len(settled),
        webhook_bodies_unclaimed=len(found) - len(events),
        unclaimed_retention_days=settings.WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS,
    )
    unclaimed = (
        f" {outcome.webhook_bodies_unclaimed} delivery(ies) no integration claimed, possibly another "
        f"customer's, left to expire within {outcome.unclaimed_retention_days} days."
        if outcome.webhook_bodies_unclaimed
        else ""
    )
    audit_record(
        action="privacy.candidate_deleted",
        message=(
            f"Candidate data deleted: {outcome.runs} run(s) ({outcome.cancelled} cancelled), "
            f"{outcome.answers} answer(s), {outcome.results} result(s), {outcome.webhook_bodies} webhook body(ies)."
            + unclaimed
        ),
        workspace=workspace,
        target_label=reference,
        data={
            "runs": outcome.runs,
            "cancelled": outcome.cancelled,
            "answers": outcome.answers,
            "results": outcome.results,
            "webhook_bodies": outcome.webhook_bodies,
            "webhook_bodies_pending": outcome.webhook_bodies_pending,
            "webhook_bodies_unclaimed": outcome.webhook_bodies_unclaimed,
        },
    )
    return outcome
