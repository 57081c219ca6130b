"""Helpers for the simulator pages: the assessment.start body Ashby sends, the assessment records
the simulated Ashby keeps, the timeline/scorecard view of what the partner wrote back, and an
allow-list HTML sanitizer for notes (a scorecard note is partner HTML shown on a page)."""

from __future__ import annotations

import html
import json
import uuid
from html.parser import HTMLParser
from typing import Any

from django.db import transaction
from django.urls import reverse

from integrations.simulator_plugins.models import SimulatorObject

from . import constants
from . import simulator_state as state
from .simulator_sync_data import candidate_application

# candidate.createNote keeps only these in a text/html note (Ashby's OpenAPI); the rest is stripped.
ALLOWED_TAGS = constants.NOTE_HTML_TAGS


def describe(body: Any) -> str:
    if isinstance(body, dict):
        info = body.get("errorInfo") or body.get("error") or {}
        return str(
            body.get("message")
            or (info.get("message") if isinstance(info, dict) else "")
            or json.dumps(body)[:300]
        )
    return str(body)[:300]


def profile_url(account: SimulatorObject, candidate: SimulatorObject) -> str:
    from django.conf import settings

    return settings.JOBCANNON_BASE_URL + reverse(
        "integrations:sim-ashby:candidate", kwargs={"account_id": account.key, "candidate_id": candidate.key}
    )


def start_body(
    account: SimulatorObject, candidate: SimulatorObject, type_id: str, extra: dict[str, str]
) -> dict[str, Any]:
    """The request body of assessment.start as Ashby sends it (reference §1.4)."""
    d = candidate.data
    profile = profile_url(account, candidate)
    # The application and job rows (a seeded candidate has no copy of them in its own data).
    app = candidate_application(candidate)
    body: dict[str, Any] = {
        "assessment_type_id": type_id,
        "candidate": {
            "ashby_id": candidate.key,
            "first_name": d.get("first_name", ""),
            "last_name": d.get("last_name", ""),
            "email": d.get("email", ""),
            "ashby_profile_url": profile,
        },
        "application": {"ashby_id": app["application_id"], "status": "Active"},
        "job": {
            "ashby_id": app["job"]["id"],
            "name": app["job"]["name"],
            "req_id": app["job"]["req_id"],
            "ashby_job_url": profile + "#job",
            "hiringTeam": app["hiring_team"],
        },
    }
    if extra:
        body["additional_fields"] = extra
    return body


def assessment_record(
    account: SimulatorObject,
    candidate: SimulatorObject,
    results: dict[str, Any],
    type_id: str,
    type_name: str,
) -> None:
    aid = str(results.get("assessment_id", ""))
    if not aid or state.get("assessment", aid) is not None:
        return  # Ashby retried and got the same assessment back
    state.put(
        "assessment",
        aid,
        {
            "account": account.key,
            "candidate_id": candidate.key,
            "type_id": type_id,
            "type_name": type_name,
            "application_id": candidate_application(candidate)["application_id"],
            "status": "Sent",
            "created_at": state.now_iso(),
            "updates": [],
            "last_timestamp": 0,
        },
    )
    apply_partner_update(aid, results.get("update_request"))


def apply_partner_update(aid: str, update: Any) -> None:
    """An update_request returned inline by start/cancel counts as an assessment.update."""
    if not isinstance(update, dict) or not isinstance(update.get("timestamp"), int):
        return
    with transaction.atomic():
        obj = (
            SimulatorObject.objects.select_for_update()
            .filter(provider=state.P, kind="assessment", key=aid)
            .first()
        )
        if obj is None:
            return
        d = obj.data
        in_order = update["timestamp"] > d.get("last_timestamp", 0)
        d["updates"] = [
            *d.get("updates", []),
            {
                "received_at": state.now_iso(),
                "timestamp": update["timestamp"],
                "in_order": in_order,
                "body": update,
                "inline": True,
            },
        ]
        if in_order:
            d["last_timestamp"] = update["timestamp"]
            if isinstance(update.get("cancelled_reason"), dict):
                d["status"], d["cancelled_reason"] = "Cancelled", update["cancelled_reason"].get("value", "")
            elif isinstance(update.get("assessment_status"), dict):
                d["status"] = str(update["assessment_status"].get("value", ""))
        obj.data = d
        obj.save(update_fields=["data", "updated_at"])


def _what(body: dict[str, Any]) -> str:
    if isinstance(body.get("cancelled_reason"), dict):
        return f"Cancelled: {body['cancelled_reason'].get('value')}"
    if isinstance(body.get("assessment_result"), dict):
        r = body["assessment_result"]
        return f"Completed: {r.get('label')} {r.get('value')}"
    status = body.get("assessment_status")
    return str(status.get("value")) if isinstance(status, dict) else "?"


def assessment_view(obj: SimulatorObject) -> dict[str, Any]:
    d = obj.data
    result = d.get("result") or {}
    return {
        "id": obj.key,
        "type_name": d.get("type_name"),
        "status": d.get("status"),
        "cancelled_reason": d.get("cancelled_reason", ""),
        "active": d.get("status") in ("Sent", "Invited", "Started"),
        "timeline": [
            {
                "received_at": u["received_at"][:19].replace("T", " "),
                "timestamp": u["timestamp"],
                "what": _what(u["body"]),
                "in_order": u["in_order"],
                "source": "start/cancel response" if u.get("inline") else "assessment.update",
            }
            for u in d.get("updates", [])
        ],
        "score": result.get("assessment_result"),
        "report": result.get("assessment_profile_url"),
        "metadata": result.get("metadata") or [],
    }


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stripped: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.stripped.add(tag)
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://")):
                self.out.append(f'<a href="{html.escape(href)}" rel="noopener noreferrer">')
            else:
                self.out.append("<a>")
            return
        self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ALLOWED_TAGS:
            self.out.append(f"</{tag}>")
        else:
            self.stripped.add(tag)

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data))


def strip_unsupported(content: str) -> tuple[str, list[str]]:
    """A text/html note as Ashby keeps it (unsupported elements stripped, their text kept), and
    the tags it stripped."""
    parser = _Sanitizer()
    parser.feed(content)
    parser.close()
    return "".join(parser.out), sorted(parser.stripped)


def sanitize(content: str) -> str:
    return strip_unsupported(content)[0]


def start_from_profile(
    account: SimulatorObject, candidate: SimulatorObject, type_id: str, extra: dict[str, str] | None = None
) -> tuple[bool, str]:
    """What the "Send JobCannon assessment" button does: assessment.start over HTTP, then keep
    the returned assessment. Returns (ok, sentence as Ashby would show it)."""
    status, answer = state.partner_call(
        account, "assessment.start", start_body(account, candidate, type_id, extra or {})
    )
    if status == 200 and isinstance(answer, dict) and answer.get("success"):
        results = answer.get("results") or {}
        aid = results.get("assessment_id")
        if aid and state.get("assessment", str(aid)) is not None:
            # The same order sent again: JobCannon answers the assessment it has, in its current state.
            update = results.get("update_request")
            now = _what(update) if isinstance(update, dict) else "?"
            return True, f"JobCannon already has this assessment (assessment id {aid}): {now}."
        assessment_record(account, candidate, results, type_id, type_name(account, type_id))
        return True, f"JobCannon assessment started (assessment id {aid})."
    if status in (409, 422) and isinstance(answer, dict):
        return False, f"JobCannon: {answer.get('message', answer)}"
    return False, f"JobCannon did not start the assessment ({status or 'no answer'}): {describe(answer)}"


def assessment_types(account: SimulatorObject) -> tuple[list[dict[str, Any]], str]:
    status, body = state.partner_call(account, "assessment.list", {})
    if not (status == 200 and isinstance(body, dict) and body.get("success")):
        return [], f"assessment.list failed ({status or 'no answer'}): {describe(body)}"
    types = [t for t in body.get("results") or [] if isinstance(t, dict)]
    # Ashby's partner OpenAPI: assessment_type_id is `format: uuid`.
    bad = [t.get("assessment_type_id") for t in types if not is_uuid(t.get("assessment_type_id"))]
    if bad:
        return [], (
            f"assessment.list answered assessment_type_id {bad[0]!r}, which is not a UUID "
            "(Ashby's partner API declares format: uuid)."
        )
    return types, ""


def is_uuid(value: Any) -> bool:
    """The spec types ids (assessment_id, candidateId, webhookId) `format: uuid`."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def type_name(account: SimulatorObject, type_id: str) -> str:
    types, _ = assessment_types(account)
    return str({t.get("assessment_type_id"): t.get("name") for t in types}.get(type_id) or type_id)


def send_test_webhook(integration: Any) -> str:
    """Checklist "send a test webhook": the simulated Ashby pings every webhook it has for this integration."""
    account = state.account_for_integration(integration)
    hooks = state.list_for("webhook", account.key) if account else []
    if not hooks:
        return (
            "The Ashby simulator has no webhook for this integration yet: click Test credentials now first."
        )
    for hook in hooks:
        state.webhook_send(hook, constants.EVENT_PING, {"webhookActionType": "ping"})
    return f"The Ashby simulator sent a signed ping to {len(hooks)} webhook(s)."


def send_test_assessment(integration: Any) -> str:
    """Checklist "order a test assessment": a sandbox candidate, then assessment.start as Ashby sends it."""
    from .services import partner_key_issue

    account = state.account_for_integration(integration)
    if account is None:
        return "This integration's credentials are not registered in the Ashby simulator."
    if not (account.data.get("partner") or {}).get("api_key"):
        # The simulated Ashby is the only holder of this sandbox key: issuing it here shows it to nobody.
        # (We keep only its hash, so a key issued earlier cannot be handed over: a new one is.)
        key = partner_key_issue(integration=integration)
        account = state.account_update(
            account.key, partner={"base_url": f"/partners/ashby/{integration.public_id}", "api_key": key}
        )
    candidate = state.candidate_create(
        account.key,
        first_name="Test",
        last_name="Candidate",
        email=f"test.candidate+{state.now_ms()}@example.com",
        job_name="Backend Engineer",
    )
    types, error = assessment_types(account)
    if not types:
        return error
    return start_from_profile(account, candidate, str(types[0]["assessment_type_id"]))[1]
