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
import html
import json
import re
import secrets
import unicodedata
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


# An address inside a longer text ("Ada <ada@example.com>", a note, a URL) is found where the
# text holds it (case-insensitive) and neither neighbour makes it part of a longer address: so
# `a@b.co` is not found in `joanna@b.com`, `xa@b.co` or `a@b.co.uk`, and is found however a note
# quotes or marks it up.
#
# On the left, a person's local part is letters and digits (beyond ASCII too, RFC 6531:
# `zoë@example.com`) with symbols and dots between them. These RFC 5322 atext symbols continue an
# address leftward: `_ - + ' ~ $ ^ % \`` (`x_a@b.co`, `x-a@b.co`, `contact+a@b.co`, `o'a@b.co`,
# `x~a@b.co`, `x.a@b.co` are other people's), but only from a letter or digit (`_a@b.co_` is
# italics, `'a@b.co'` a quote, `+a@b.co` a diff's line, `~~a@b.co~~` struck out) and only while
# the dots make a dot-atom (`Contact...a@b.co` holds no longer address). So a word glued to the
# address by one of them (`Contact~a@b.co`) reads as one longer address: not this candidate's.
# The other atext symbols (`! # & * / = ? { | }`) end it, even after a letter: there they are
# sentence, URL and markup punctuation around the address far more often than part of one
# (`Reach me!a@b.co`, /candidates/a@b.co, ?email=a@b.co, contact=a@b.co, #a@b.co,
# Email**a@b.co**, |Ada|a@b.co|, {{name}}a@b.co), so `x!a@b.co` or `x/a@b.co` is the kind of near
# miss still found (tests/security/FINDINGS.md row 22).
_LOCAL_PART_SYMBOLS = frozenset("_-+'~$^%`")


def _letter_or_digit(char: str) -> bool:
    """A letter or digit of any script, or a combining mark on one (a decomposed `ë`)."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _longer_address_to_the_left(text: str, start: int) -> bool:
    """True when the characters before text[start] (where the address found begins) continue its
    local part into a longer address. Walks left only over `_ - + '` and dots, so a body of any
    length costs a few steps per occurrence."""
    following = text[start]
    for index in range(start - 1, -1, -1):
        char = text[index]
        if _letter_or_digit(char):
            return True
        if not (char in _LOCAL_PART_SYMBOLS or (char == "." != following)):
            return False
        following = char
    return False


def _longer_domain_to_the_right(text: str, end: int) -> bool:
    """True when the domain found, ending before text[end], goes on: with a letter or digit
    (beyond ASCII too, RFC 6531: an IDN), or a `.` or `-`s before one (`a@b.co.uk`,
    `a@b.co-op.example`). Anything else ends it: `a@b.co.` ends a sentence, and `_` is no host
    name character (RFC 5321 4.1.2), so `_a@b.co_` is italics."""
    if text.startswith(".", end):
        index = end + 1
    else:
        index = end
        while text.startswith("-", index):
            index += 1
    return index < len(text) and _letter_or_digit(text[index])


def _mentions(text: str, needle: re.Pattern[str]) -> bool:
    return any(
        not _longer_domain_to_the_right(text, found.end())
        and not _longer_address_to_the_left(text, found.start())
        for found in needle.finditer(text)
    )


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


_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_JSON_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|(["\\/bfnrt]))')
_JSON_ESCAPED = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HTML_REFERENCE = re.compile(r"&(?:#|[A-Za-z][A-Za-z0-9]*;)")
_HTML_REFERENCE_BYTES = re.compile(_HTML_REFERENCE.pattern.encode())
# A form-encoded body (`name=Ann+Smith&email=a%40b.co`): fields, and no white space.
_FORM = re.compile(r"[^\s=&]+=\S*")


def _json_unescape(text: str) -> str:
    return _JSON_ESCAPE.sub(
        lambda m: chr(int(m.group(1), 16)) if m.group(1) else _JSON_ESCAPED.get(m.group(2), m.group(2)), text
    )


def _nfc(text: str) -> str:
    """The address and the text are compared in one Unicode form: `ë` may arrive as `e` and a mark."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _readings(text: str, *, form: bool) -> list[str]:
    """The text as written and as its reader sees it, each encoding it may carry decoded in turn:
    percent-escapes (`email=a%40b.co`, which the raw text spells with no `@`; in a form `+` is a
    space, elsewhere a plus), JSON escapes (a JSON document inside a string, or a body cut short
    so it no longer parses: `\\u0027a@b.co\\u0027`, `Hi\\na@b.co`), HTML character references (a
    note's `&#39;a@b.co&#39;`, `a&#64;b.co`). The address is mentioned if any reading holds it: a
    reading that decodes what was meant literally adds a match, it never hides one."""
    readings = [text]
    if form or "%" in text:
        readings += [
            unquote_plus(t) if form else unquote(t) for t in readings if form or _PERCENT_ESCAPE.search(t)
        ]
    if "\\" in text:
        readings += [_json_unescape(t) for t in readings]
    readings += [html.unescape(t) for t in readings if _HTML_REFERENCE.search(t)]
    return list(dict.fromkeys(_nfc(t) for t in readings))


def body_mentions_address(body: bytes, email: str) -> bool:
    """True when the raw body holds exactly this address (case-insensitive), delimited as a reader
    would see it: not inside a longer address, however quoted or marked up ('a@b.co', **a@b.co**,
    <p>&#39;a@b.co&#39;</p>), and also where it ends a URL path or a `key=value` field
    (`/candidates/a@b.co`, `?email=a@b.co`). A JSON body's string keys and values are searched one
    by one; any other body as text (a form-encoded one decoded too: `email=a%40b.co`).
    Export and delete both select deliveries through this one function."""
    email = email.strip()
    # Cheap: most bodies never contain it at all. A JSON body may write letters beyond ASCII as
    # \u escapes, so an address with such letters (an IDN domain) is looked for by its longest
    # ASCII run; a form-encoded one may escape anything, so it is also looked for decoded, and so
    # is HTML (`a&#64;b.co`). A JSON encoder may \u-escape ASCII too ("a\u0040b.co"): a body
    # holding any \u escape is parsed.
    probe = max(re.split(r"[^\x00-\x7f]+", email.lower()), key=len).encode()
    lowered = body.lower()
    if (
        probe
        and probe not in lowered
        and b"\\u" not in lowered
        and not (b"%" in body and probe in unquote_to_bytes(lowered).lower())
        and not (
            _HTML_REFERENCE_BYTES.search(lowered)
            and probe in html.unescape(lowered.decode("utf-8", "replace")).lower().encode()
        )
    ):
        return False
    # A letter or digit right beside it makes a longer address: left out by the pattern itself,
    # so a body full of near misses (`xa@b.co`) costs no Python per occurrence; _mentions decides
    # the rest.
    needle = re.compile(rf"(?<![^\W_]){re.escape(_nfc(email))}(?!\.?[^\W_]|-+[^\W_])", re.IGNORECASE)
    try:
        texts: Iterator[str] = _strings(json.loads(body))
        form = False
    except ValueError:
        text = body.decode("utf-8", "replace")
        texts, form = iter([text]), bool(_FORM.fullmatch(text))
    return any(_mentions(reading, needle) for text in texts for reading in _readings(text, form=form))


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
