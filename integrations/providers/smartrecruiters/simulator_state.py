"""State of the built-in SmartRecruiters sandbox (SimulatorObject rows, provider "smartrecruiters"),
shared by runserver and the worker. Kinds: company (the OAuth app, settings, custom fields, the
partner's consent and credentials), partner (JobCannon's master credentials and partner
configuration), code, token, job, candidate, order, subscription, delivery (the callbacks log)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
import uuid
from collections import deque
from typing import Any

from django.utils import timezone

from integrations.simulator_plugins.models import SimulatorObject

from . import constants, simulator_schema

P = constants.KEY
CODE_SECONDS = 300

# The sandbox's pipeline for its own pages (moving a candidate, ordering from a step). Each step is
# one of SR's published candidate statuses (`status`, SRO CandidateStatusEnum) with an optional
# `subStatus` (the company's own step name, as SR's hiring processes name them); that pair is all
# its API answers show of it (sync_simulator._candidate). The `action` (which package a step orders,
# how) stands for the assessment set-up SR keeps on its own side: the sandbox's pages use it to
# place orders, and no API answer carries it (SR publishes no way to read it).
DEMO_STAGES: list[dict[str, Any]] = [
    {"id": "new", "name": "New", "status": "NEW", "action": None},
    {"id": "screening", "name": "Screening", "status": "IN_REVIEW", "subStatus": "Screening", "action": None},
    {
        "id": "assessment",
        "name": "Assessment",
        "status": "IN_REVIEW",
        "subStatus": "Assessment",
        "action": {
            "packageId": "jobcannon-big5",
            "required": True,
            "trigger": constants.TRIGGER_AUTO,
            "dueInDays": 7,
            "emailTemplate": "branded",
        },
    },
    {
        "id": "interview",
        "name": "Interview",
        "status": "INTERVIEW",
        "action": {
            "packageId": "jobcannon-disc",
            "required": False,
            "trigger": constants.TRIGGER_MANUAL,
            "dueInDays": 7,
            "emailTemplate": "default",
        },
    },
    {"id": "offer", "name": "Offer", "status": "OFFERED", "action": None},
    {"id": "hired", "name": "Hired", "status": "HIRED", "action": None},
]
DEMO_FIELDS: list[dict[str, Any]] = [
    {"id": "jc_score", "label": "JobCannon score", "type": "NUMBER"},
    {"id": "jc_report", "label": "JobCannon report", "type": "TEXT"},
    {"id": "jc_summary", "label": "JobCannon summary", "type": "TEXT"},
]


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:16]}"


def now_iso() -> str:
    return timezone.now().isoformat()


def get(kind: str, key: str) -> dict[str, Any] | None:
    row = SimulatorObject.objects.filter(provider=P, kind=kind, key=key).first()
    return dict(row.data) if row else None


def put(kind: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    SimulatorObject.objects.update_or_create(provider=P, kind=kind, key=key, defaults={"data": data})
    return data


def items(kind: str, **match: str) -> list[dict[str, Any]]:
    rows = SimulatorObject.objects.filter(
        provider=P, kind=kind, **{f"data__{k}": v for k, v in match.items()}
    )
    return [dict(r.data) for r in rows.order_by("created_at", "id")]


# --- companies (one OAuth app each) ------------------------------------------------------------


def company_register(
    *,
    name: str,
    redirect_uri: str,
    region: str = "us",
    company_id: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    oauth_app: bool = True,
) -> dict[str, Any]:
    """A sandbox company. `oauth_app=False` is a company as SR publishes one: no authorization-code
    app of its own (SR registers those for partners); its administrator creates self-serve client
    credentials instead (customer_credential_create)."""
    company_id = company_id or new_id("co-")
    existing = get("company", company_id) or {}
    app = oauth_app or bool(existing.get("client_id"))
    company = {
        "id": company_id,
        "name": name,
        "region": region if region in ("us", "eu") else "us",
        "client_id": (client_id or existing.get("client_id") or new_id("sr-client-")) if app else "",
        "client_secret": (client_secret or existing.get("client_secret") or secrets.token_urlsafe(24))
        if app
        else "",
        "redirect_uri": redirect_uri,
        "approve_scopes": existing.get("approve_scopes") or list(constants.SCOPES),
        "rate_limit": existing.get("rate_limit", constants.RATE_LIMIT_PER_SECOND),
        "partner": existing.get("partner") or {},
        "partner_consent": existing.get("partner_consent", False),
        "custom_fields": existing.get("custom_fields") or list(DEMO_FIELDS),
        "created": existing.get("created") or now_iso(),
    }
    put("company", company_id, company)
    if not items("job", company=company_id):
        put(
            "job",
            new_id("job-"),
            {
                "company": company_id,
                "title": "Customer Success Manager",
                "stages": [{**s} for s in DEMO_STAGES],
            },
        )
    return company


def customer_credential_create(
    company_id: str, *, scopes: list[str], name: str = "JobCannon", description: str = ""
) -> dict[str, Any]:
    """Settings → Apps & Integrations → Credentials → New Credential → OAuth client ID, as SRD
    /docs/authentication-oauth-client-credential describes it: a Client ID and Client secret for
    the company, with the scopes the administrator ticked (shown once). Kind "credential"."""
    client_id = new_id("sr-cred-")
    record = {
        "company": company_id,
        "client_id": client_id,
        "client_secret": secrets.token_urlsafe(24),
        "scopes": [s for s in scopes if s],
        "name": name,
        "description": description,
        "created": now_iso(),
    }
    return put("credential", client_id, record)


def customer_credential(client_id: str) -> dict[str, Any] | None:
    return get("credential", client_id) if client_id else None


def company_for_client(client_id: str) -> dict[str, Any] | None:
    if not client_id:
        return None  # a company without an OAuth app has client_id ""
    found = items("company", client_id=client_id)
    return found[0] if found else None


def company_for_company_client(client_id: str) -> dict[str, Any] | None:
    """The company whose setUpIntegration credentials these are."""
    found = items("company", company_client_id=client_id)
    return found[0] if found else None


def company_partner_revoke(company_id: str) -> dict[str, Any] | None:
    """The company removed JobCannon (or withdrew its consent): SR forgets the partner
    credentials it saved for the company and the company credentials it issued (tokens already
    issued for them stop working), and the consent; setUpIntegration is refused until the
    company connects JobCannon again."""
    company = get("company", company_id)
    if company is None:
        return None
    for key in ("company_client_id", "company_client_secret"):
        company.pop(key, None)
    company.update(partner={}, partner_consent=False)
    SimulatorObject.objects.filter(
        provider=P, kind="token", data__company=company_id, data__grant="company"
    ).delete()
    return put("company", company_id, company)


PARTNER_KEY = "jobcannon"


def partner_master() -> dict[str, Any]:
    """JobCannon's partner record in the sandbox: the master credentials SR Partner Operations
    would issue. Where our endpoints are (the partner configuration) is not set here: only the
    partner's own PUT /partner/configuration sets it (partner_configuration_save), as at SR."""
    partner = get("partner", PARTNER_KEY) or {
        "client_id": new_id("sr-partner-"),
        "client_secret": secrets.token_urlsafe(24),
    }
    return put("partner", PARTNER_KEY, partner)


def partner_configuration_save(body: dict[str, Any]) -> str:
    """savePartnerConfig as the sandbox keeps it. The body is checked against SRO's
    PartnerConfigurationRequest as shipped in vendor/assessment_api_2021.openapi.json (required
    properties, the consentDisplayMode and AssessmentType enums, 1-6 supportedAssessmentTypes,
    at most 5 fields; simulator_schema.problems): returns why SR would answer 400, or "" once
    stored. The sandbox keeps the URLs under its own keys (constants.PARTNER_CONFIGURATION_FIELDS,
    an optional one absent = ""), and `base_url`, the consent URL's folder, shown on its pages."""
    problems = simulator_schema.problems("PartnerConfigurationRequest", body)
    if problems:
        return " ".join(problems)
    urls = {key: str(body.get(field) or "") for key, field in constants.PARTNER_CONFIGURATION_FIELDS.items()}
    partner = partner_master()
    partner.update(
        configuration=dict(body),
        urls=urls,
        base_url=urls["consent"].rsplit("/", 1)[0] + "/",
    )
    put("partner", PARTNER_KEY, partner)
    return ""


def partner_configuration(partner: dict[str, Any] | None = None) -> dict[str, str]:
    """The endpoint URLs the partner saved ({} while none): JobCannon's record, or the copy SR
    keeps with a company at setUpIntegration."""
    record = partner if partner is not None else (get("partner", PARTNER_KEY) or {})
    urls = record.get("urls")
    return dict(urls) if isinstance(urls, dict) else {}


def application_id(candidate_id: str, job_id: str) -> str:
    """The sandbox's id of a candidate's application to a job (orders carry it) [I: format]."""
    return "app-" + hashlib.sha256(f"{candidate_id}:{job_id}".encode()).hexdigest()[:16]


# --- OAuth ---------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def code_issue(*, company: dict[str, Any], scopes: list[str], redirect_uri: str) -> str:
    code = secrets.token_urlsafe(24)
    put(
        "code",
        _digest(code),
        {
            "company": company["id"],
            "scopes": scopes,
            "redirect_uri": redirect_uri,
            "expires": time.time() + CODE_SECONDS,
        },
    )
    return code


def code_redeem(code: str) -> dict[str, Any] | None:
    data = get("code", _digest(code))
    SimulatorObject.objects.filter(provider=P, kind="code", key=_digest(code)).delete()  # single use
    return data if data and data["expires"] > time.time() else None


def client_token_issue(*, company_id: str, scopes: list[str], grant: str) -> dict[str, Any]:
    """A client-credentials access token (no refresh token): grant "partner" (master
    credentials) or "company" (the credentials setUpIntegration issued)."""
    access = "sr-cc-" + secrets.token_urlsafe(24)
    put(
        "token",
        _digest(access),
        {
            "company": company_id,
            "scopes": scopes,
            "kind": "access",
            "grant": grant,
            "expires": time.time() + constants.ACCESS_TOKEN_SECONDS,
        },
    )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": constants.ACCESS_TOKEN_SECONDS,
        "scope": " ".join(scopes),
    }


def tokens_issue(*, company_id: str, scopes: list[str], refresh_token: str | None = None) -> dict[str, Any]:
    access = "sr-at-" + secrets.token_urlsafe(24)
    put(
        "token",
        _digest(access),
        {
            "company": company_id,
            "scopes": scopes,
            "kind": "access",
            "grant": "oauth",
            "expires": time.time() + constants.ACCESS_TOKEN_SECONDS,
        },
    )
    # SR refresh tokens last 28 days and are "one-time use only" (help.smartrecruiters.com "Most
    # important facts about OAuth in SmartRecruiters"): a refresh (`refresh_token` given) spends
    # the one presented, so reusing it is refused (invalid_grant: the token endpoint no longer
    # finds it), and every answer carries a new one.
    if refresh_token is not None:
        SimulatorObject.objects.filter(
            provider=P, kind="token", key=_digest(refresh_token), data__kind="refresh"
        ).delete()
    refresh_token = "sr-rt-" + secrets.token_urlsafe(24)
    put(
        "token",
        _digest(refresh_token),
        {
            "company": company_id,
            "scopes": scopes,
            "kind": "refresh",
            "expires": time.time() + constants.REFRESH_TOKEN_DAYS * 86400,
        },
    )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": constants.ACCESS_TOKEN_SECONDS,
        "refresh_token": refresh_token,
        "scope": " ".join(scopes),
    }


def token_lookup(token: str, kind: str = "access") -> dict[str, Any] | None:
    data = get("token", _digest(token))
    if not data or data.get("kind") != kind or data["expires"] < time.time():
        return None
    return data


def tokens_revoke(company_id: str) -> None:
    SimulatorObject.objects.filter(provider=P, kind="token", data__company=company_id).delete()


# --- rate limit (per company, per process: enough for a sandbox) --------------------------------

_windows: dict[str, deque[float]] = {}
_lock = threading.Lock()


def rate_limited(company: dict[str, Any]) -> bool:
    limit = max(1, int(company.get("rate_limit") or constants.RATE_LIMIT_PER_SECOND))
    now = time.monotonic()
    with _lock:
        window = _windows.setdefault(company["id"], deque())
        while window and now - window[0] > 1.0:
            window.popleft()
        if len(window) >= limit:
            return True
        window.append(now)
        return False


_in_flight: dict[tuple[str, str], int] = {}


def concurrency_enter(company_id: str, name: str = "all", limit: int = constants.CONCURRENT_REQUESTS) -> bool:
    """SRD /docs/rate-limiting: 8 concurrent requests, and 1 concurrent GET /candidates
    (`name` "candidates.list", limit 1). Per process: enough for a sandbox."""
    key = (company_id, name)
    with _lock:
        if _in_flight.get(key, 0) >= limit:
            return False
        _in_flight[key] = _in_flight.get(key, 0) + 1
        return True


def concurrency_exit(company_id: str, name: str = "all") -> None:
    key = (company_id, name)
    with _lock:
        _in_flight[key] = max(0, _in_flight.get(key, 0) - 1)


# --- jobs, candidates, orders ----------------------------------------------------------------------


def jobs(company_id: str) -> list[dict[str, Any]]:
    out = []
    for row in SimulatorObject.objects.filter(provider=P, kind="job", data__company=company_id).order_by(
        "id"
    ):
        out.append({**row.data, "id": row.key})
    return out


def job_get(job_id: str) -> dict[str, Any] | None:
    job = get("job", job_id)
    return {**job, "id": job_id} if job else None


def stage_get(job: dict[str, Any], stage_id: str) -> dict[str, Any] | None:
    return next((s for s in job.get("stages", []) if s["id"] == stage_id), None)


def stage_status(job: dict[str, Any] | None, stage_id: str) -> tuple[str, str]:
    """(status, subStatus) of a sandbox step as SR publishes a candidate's place: the step's
    own pair, else the demo step of that id (jobs stored before steps carried one), else
    IN_REVIEW with the step's name as sub-status."""
    stage = stage_get(job or {}, stage_id) or {}
    demo = next((s for s in DEMO_STAGES if s["id"] == stage_id), {})
    status = stage.get("status") or demo.get("status")
    if status:
        return str(status), str(stage.get("subStatus", demo.get("subStatus")) or "")
    return "IN_REVIEW", str(stage.get("name") or stage_id)


def candidate_create(
    *, company_id: str, job_id: str, first_name: str, last_name: str, email: str
) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "id": new_id("cand-"),
        "company": company_id,
        "firstName": first_name,
        "lastName": last_name,
        "email": email,
        "jobId": job_id,
        "stageId": "new",
        "properties": {},
        "orders": [],
        "history": [{"at": now_iso(), "stage": "new"}],
        "created": now_iso(),
    }
    return put("candidate", candidate["id"], candidate)


def candidates(company_id: str, job_id: str | None = None) -> list[dict[str, Any]]:
    match = {"company": company_id, **({"jobId": job_id} if job_id else {})}
    return items("candidate", **match)


def order_create(
    *,
    company: dict[str, Any],
    candidate: dict[str, Any],
    job: dict[str, Any],
    stage: dict[str, Any],
    action: dict[str, Any],
    trigger: str,
) -> dict[str, Any]:
    due = timezone.now() + dt.timedelta(days=int(action.get("dueInDays") or constants.DEFAULT_DUE_DAYS))
    order = {
        "id": new_id("ord-"),
        "company": company["id"],
        "status": "NEW",
        "packageId": action["packageId"],
        "candidate": {
            "id": candidate["id"],
            "firstName": candidate["firstName"],
            "lastName": candidate["lastName"],
            "email": candidate["email"],
        },
        "job": {"id": job["id"], "name": job["title"]},
        "applicationId": application_id(candidate["id"], job["id"]),
        "stage": {"id": stage["id"], "name": stage["name"]},
        "settings": {
            "required": bool(action.get("required", True)),
            "trigger": trigger,
            "dueDate": due.isoformat(),
            "emailTemplate": action.get("emailTemplate") or "default",
        },
        "createdOn": now_iso(),
        "delivery": None,
        "result": None,
    }
    put("order", order["id"], order)
    candidate["orders"] = [*candidate.get("orders", []), order["id"]]
    put("candidate", candidate["id"], candidate)
    return order


def inline_order_create(
    *,
    company: dict[str, Any],
    job: dict[str, Any],
    package_id: str,
    first_name: str,
    last_name: str,
    email: str,
) -> dict[str, Any]:
    """An in-line order: the applicant takes the assessment while applying (no candidate yet)."""
    order = {
        "id": new_id("ord-"),
        "company": company["id"],
        "status": "NEW",
        "inline": True,
        "packageId": package_id,
        "candidate": {"firstName": first_name, "lastName": last_name, "email": email},
        "job": {"id": job["id"], "name": job["title"]},
        "createdOn": now_iso(),
        "delivery": None,
        "result": None,
    }
    return put("order", order["id"], order)


def orders(company_id: str, candidate_id: str | None = None) -> list[dict[str, Any]]:
    match = {"company": company_id, **({"candidate__id": candidate_id} if candidate_id else {})}
    return items("order", **match)


def deliveries(company_id: str, limit: int = 30) -> list[dict[str, Any]]:
    rows = SimulatorObject.objects.filter(provider=P, kind="delivery", data__company=company_id).order_by(
        "-id"
    )
    return [dict(r.data) for r in rows[:limit]]


def delivery_log(company_id: str, **data: Any) -> None:
    put("delivery", new_id("dlv-"), {"company": company_id, "at": now_iso(), **data})
