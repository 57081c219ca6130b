"""What the SmartRecruiters sandbox sends to JobCannon over real HTTP, as SR does: the
X-Hook-Secret activation handshake, signed webhooks (the Webhooks API's v1 signature; the seed's
subscription path and its assessment event are not SR's, so the sandbox has neither), assessment orders (and in-line orders) to the partner API
in SRO's AssessmentPackageOrderRequest shape, and the consent redirect to the partner's
/integration page.

The signing here is written independently of webhooks.py on purpose: a shared helper would make
a bug in our verifier invisible to the simulator tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any

import requests

from . import constants, simulator_schema
from . import simulator_state as state

TIMEOUT = 20  # SR waits 20 s for the handshake echo (SRD /reference/subscriptionsactivate-1)


def event_version(name: str) -> str:
    """The version the sandbox assigns to an event (SR assigns it; subscribers send names only)
    and sends in every callback's event-version header, as SR does: the published one where a
    source names it (constants.PUBLISHED_EVENT_VERSIONS), else the sandbox's placeholder
    (constants.SANDBOX_UNPUBLISHED_EVENT_VERSION) [I: SR publishes no version for the others]."""
    return constants.PUBLISHED_EVENT_VERSIONS.get(name) or constants.SANDBOX_UNPUBLISHED_EVENT_VERSION


def handshake(subscription: dict[str, Any]) -> tuple[bool, str]:
    secret = secrets.token_urlsafe(24)
    try:
        response = requests.post(
            subscription["callbackUrl"],
            data=b"",
            timeout=TIMEOUT,
            headers={constants.HOOK_SECRET_HEADER: secret, "Content-Type": "application/json"},
        )
    except requests.RequestException as exc:
        return False, f"Callback unreachable ({type(exc).__name__})."
    state.delivery_log(
        subscription["company"],
        kind="handshake",
        url=subscription["callbackUrl"],
        status=response.status_code,
        event="X-Hook-Secret",
    )
    if response.status_code != 200:
        return (
            False,
            f"Callback answered HTTP {response.status_code}; 200 with the X-Hook-Secret header is expected.",
        )
    if response.headers.get(constants.HOOK_SECRET_HEADER) != secret:
        return False, "Callback did not echo the X-Hook-Secret header."
    return True, ""


def live_keys(subscription: dict[str, Any]) -> list[str]:
    now = time.time()
    return [k["key"] for k in subscription.get("keys", []) if not k.get("expires") or k["expires"] > now]


def _v1(key: str, timestamp: str, body: bytes, headers: dict[str, str]) -> str:
    message = b".".join(
        [
            timestamp.encode(),
            body,
            headers["event-id"].encode(),
            headers["event-name"].encode(),
            headers.get("event-version", "").encode(),
            headers.get("link", "").encode(),  # an empty string for a missing header (SRD)
        ]
    )
    return "v1=" + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def webhook_send(
    company: dict[str, Any],
    event: str,
    *,
    ids: dict[str, str],
    link: str,
    subscriptions: list[dict[str, Any]] | None = None,
) -> list[int]:
    """Deliver one event to every active subscription of the company that asked for it, or to
    the given `subscriptions` whatever their events (a test delivery); returns the HTTP statuses.
    Webhooks API subscriptions get IDs only, with the version SR assigned the event."""
    statuses = []
    targets = subscriptions
    if targets is None:
        targets = [
            s
            for s in state.items("subscription", company=company["id"])
            if s.get("status") == "active" and event in s.get("events", [])
        ]
    for sub in targets:
        event_id = str(uuid.uuid4())
        body = json.dumps(ids).encode()  # the Webhooks API sends IDs only; `link` GETs the entity
        headers = {
            "Content-Type": "application/json",
            "event-name": event,
            "event-id": event_id,
            "event-version": event_version(event),  # on every callback, as SR sends it
        }
        if link:  # candidate.deleted and position.deleted carry no Link header (SRO callbacks)
            headers["link"] = f"<{link}>; rel=self"
        timestamp = str(int(time.time()))
        headers["smartrecruiters-timestamp"] = timestamp
        headers["smartrecruiters-signature"] = ";".join(
            _v1(k, timestamp, body, headers) for k in live_keys(sub)
        )
        url = str(sub.get("callbackUrl") or "")
        try:
            status = requests.post(url, data=body, headers=headers, timeout=TIMEOUT).status_code
        except requests.RequestException as exc:
            status = 0
            state.delivery_log(
                company["id"], kind="webhook", event=event, url=url, status=0, error=type(exc).__name__
            )
        else:
            state.delivery_log(
                company["id"], kind="webhook", event=event, url=url, status=status, event_id=event_id
            )
        statuses.append(status)
    return statuses


def order_public(order: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in order.items() if k not in ("company", "delivery")}


def result_callback_url(api_base: str, order_id: str) -> str:
    return f"{api_base}{constants.ASSESSMENT_API}/orders/{order_id}/results"


def order_request_body(company: dict[str, Any], order: dict[str, Any], api_base: str) -> dict[str, Any]:
    """SRO AssessmentPackageOrderRequest for a sandbox order. The stage's due date and email
    template travel as partner fields (SRO `fields`, ids of the partner's choosing [I])."""
    settings = order.get("settings") or {}
    candidate = order["candidate"]
    candidate_url = f"{api_base}/candidates/{candidate.get('id', '')}"
    return {
        "resultCallbackURL": result_callback_url(api_base, order["id"]),
        # The order's `candidate` is the merged YAML's Candidate (the Customer API's), whose
        # required internal / createdOn / actions the sandbox fills as that API would [I: merge].
        "candidate": {
            **candidate,
            "internal": False,
            "createdOn": candidate.get("createdOn") or order["createdOn"],
            "actions": {
                "details": {"url": candidate_url, "method": "GET"},
                "properties": {"url": f"{candidate_url}/properties", "method": "GET"},
            },
        },
        "job": {"id": order["job"]["id"], "title": order["job"]["name"]},
        "requester": {"userId": "sandbox-recruiter", "email": "recruiter@example.com"},
        "assessmentPackageId": order["packageId"],
        "jobId": order["job"]["id"],
        "companyId": company["id"],
        "fields": {
            k: str(v)
            for k, v in {
                "dueDate": settings.get("dueDate"),
                "emailTemplate": settings.get("emailTemplate"),
            }.items()
            if v
        },
    }


def order_deliver(company: dict[str, Any], order: dict[str, Any], api_base: str) -> dict[str, Any]:
    """Place the order with JobCannon: POST /packages/orders on its partner API (Assessment API 2021)."""
    body = order_request_body(company, order, api_base)
    result = _partner_call(company, "orders", body, order["id"], "AssessmentPackageOrderRequest")
    result.pop("json", None)
    # The order's status is the partner's to set (SRO PackageResult.status, sent to the results
    # endpoint: IN_PROGRESS when the candidate starts, then COMPLETED, EXPIRED...): the sandbox
    # does not move it when JobCannon accepts the order; SR publishes no status of its own for that.
    order = {**order, "delivery": {**result, "at": state.now_iso()}}
    return state.put("order", order["id"], order)


def inline_order_request_body(
    company: dict[str, Any], order: dict[str, Any], api_base: str, completed_url: str
) -> dict[str, Any]:
    """SRO InlineAssessmentPackageOrderRequest for a sandbox in-line order."""
    return {
        "resultCallbackURL": result_callback_url(api_base, order["id"]),
        "candidate": {
            "email": order["candidate"]["email"],
            "firstName": order["candidate"]["firstName"],
            "lastName": order["candidate"]["lastName"],
            "applicationLanguage": "en",
        },
        "job": {"id": order["job"]["id"]},
        "assessmentPackageId": order["packageId"],
        "jobId": order["job"]["id"],
        "companyId": company["id"],
        "completedAssessmentCallbackUrl": completed_url,
    }


def inline_order_deliver(
    company: dict[str, Any], order: dict[str, Any], api_base: str, completed_url: str
) -> dict[str, Any]:
    """An in-line order while the candidate applies: POST /packages/inline/orders; JobCannon
    answers with the URL SR sends the candidate to (SRO InlineAssessmentPackageResponse)."""
    body = inline_order_request_body(company, order, api_base, completed_url)
    declared = (state.get("partner", state.PARTNER_KEY) or {}).get("configuration") or {}
    if constants.INLINE_ASSESSMENT_TYPE not in (declared.get("supportedAssessmentTypes") or []):
        # The partner's saved configuration does not declare SRO AssessmentType INLINE_ASSESSMENT:
        # the sandbox sends it no in-line order [I: SR publishes no rule; constants].
        result: dict[str, Any] = {
            "ok": False,
            "via": "partner API",
            "status": None,
            "message": "Not sent: JobCannon's partner configuration does not declare INLINE_ASSESSMENT "
            "in supportedAssessmentTypes, so SmartRecruiters offers it no in-line orders.",
        }
    else:
        result = _partner_call(
            company, "inline_orders", body, order["id"], "InlineAssessmentPackageOrderRequest"
        )
    answer = result.pop("json", None) or {}
    wrong = (
        simulator_schema.schema_problems("InlineAssessmentPackageResponse", answer) if result["ok"] else []
    )
    if wrong:  # SR could not send the candidate anywhere
        result.update(
            ok=False, message="The answer is not SR's InlineAssessmentPackageResponse: " + " ".join(wrong)
        )
    order = {
        **order,
        "delivery": {**result, "at": state.now_iso()},
        # Unchanged on acceptance (the partner sets IN_PROGRESS when the candidate starts).
        "status": order.get("status", "NEW") if result["ok"] else "REJECTED",
        "inlineUrl": str(answer.get("url") or "") if isinstance(answer, dict) else "",
    }
    return state.put("order", order["id"], order)


def application_event(
    company: dict[str, Any], candidate: dict[str, Any], event: str, api_base: str
) -> list[int]:
    """A Webhooks API event about a candidate's application (SRO ApplicationWebhookPayload: ids
    only, `link` to GET it)."""
    return webhook_send(
        company,
        event,
        ids={
            "job_id": candidate["jobId"],
            "candidate_id": candidate["id"],
            "application_id": state.application_id(candidate["id"], candidate["jobId"]),
        },
        link=f"{api_base}/candidates/{candidate['id']}/jobs/{candidate['jobId']}",
    )


def _partner_url(partner: dict[str, Any], endpoint: str) -> str:
    """Where the partner said SR reaches `endpoint` (its saved partner configuration, copied to
    the company at setUpIntegration), or "" when it never said."""
    return state.partner_configuration(partner).get(endpoint, "")


def _partner_token(partner: dict[str, Any]) -> str:
    response = requests.post(
        _partner_url(partner, "token"),
        timeout=TIMEOUT,
        data={
            "grant_type": "client_credentials",
            "client_id": partner.get("client_id", ""),
            "client_secret": partner.get("client_secret", ""),
        },
    )
    if response.status_code != 200:
        raise ValueError(f"token request answered HTTP {response.status_code}: {response.text[:200]}")
    return str(response.json()["access_token"])


# How the sandbox authenticates its removal call (the company record's "removal_auth"): SRO
# declares no `security` for removeIntegrationOnPartnerSide and the OCM reference client
# (SmartRecruitersAssessmentPartnerAppDeleteIntegration.php) has AUTH_MODE "either", so SR may send
# a Bearer token from our token endpoint or HTTP Basic with the partner credentials [I: which].
REMOVAL_AUTH_MODES = ("bearer", "basic")


def _removal_authorization(company: dict[str, Any], partner: dict[str, Any]) -> str:
    if company.get("removal_auth") == "basic":
        pair = f"{partner.get('client_id', '')}:{partner.get('client_secret', '')}".encode()
        return "Basic " + base64.b64encode(pair).decode()
    return f"Bearer {_partner_token(partner)}"


def partner_company_remove(company: dict[str, Any]) -> int | None:
    """The company removed JobCannon: DELETE <partner>/integrations/companies/{companyId} (OCM,
    SRO: 204) with a token from the partner credentials SR saved for the company, or those
    credentials as HTTP Basic (REMOVAL_AUTH_MODES). Returns the HTTP status (None when JobCannon
    could not be reached or was never set up)."""
    partner = company.get("partner") or {}
    base = _partner_url(partner, "removal")
    if not base:
        return None
    url = f"{base.rstrip('/')}/{company['id']}"  # SR appends the company id [I]
    try:
        authorization = _removal_authorization(company, partner)
        status: int | None = requests.delete(
            url, timeout=TIMEOUT, headers={"Authorization": authorization}
        ).status_code
    except (requests.RequestException, ValueError, KeyError) as exc:
        state.delivery_log(company["id"], kind="removal", url=url, status=0, error=type(exc).__name__)
        return None
    state.delivery_log(company["id"], kind="removal", url=url, status=status, event="company removed")
    return status


def partner_packages(company: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The assessment packages JobCannon offers (GET /packages), or an error sentence."""
    partner = company.get("partner") or {}
    if not _partner_url(partner, "packages"):
        return [], "JobCannon is not connected to this company yet: no packages to choose from."
    try:
        response = requests.get(
            _partner_url(partner, "packages"),
            timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {_partner_token(partner)}"},
        )
        response.raise_for_status()
        if response.status_code == 204:  # SRO: no packages to present
            return [], ""
        listed = response.json()  # SRO: a JSON array of AssessmentPackage
    except (requests.RequestException, ValueError, KeyError) as exc:
        return [], f"Could not load JobCannon's packages: {exc}"
    wrong = simulator_schema.schema_problems("PackagesGetListResponse", listed)
    if wrong:  # SR lists no package it cannot read
        return [], "JobCannon's packages are not SR's AssessmentPackage list: " + " ".join(wrong)
    return listed, ""


def _partner_call(
    company: dict[str, Any], endpoint: str, body: dict[str, Any], order_id: str, schema: str
) -> dict[str, Any]:
    """POST an order body to the partner. The body is held against SRO's `schema` first: the
    sandbox never sends an order SR's own definition would not produce (nothing is sent then)."""
    partner = company.get("partner") or {}
    url = _partner_url(partner, endpoint)
    wrong = simulator_schema.problems(schema, body)
    if wrong or not url:
        message = (
            f"Not sent: the order is not SR's {schema}: " + " ".join(wrong)
            if wrong
            else "JobCannon is not set up for this company yet (no partner registration)."
        )
        return {"ok": False, "via": "partner API", "status": None, "message": message}
    try:
        token = _partner_token(partner)
        response = requests.post(
            url, json=body, timeout=TIMEOUT, headers={"Authorization": f"Bearer {token}"}
        )
    except (requests.RequestException, ValueError, KeyError) as exc:
        return {
            "ok": False,
            "via": "partner API",
            "status": None,
            "message": f"{type(exc).__name__}: {exc}"[:300],
        }
    state.delivery_log(company["id"], kind="order", url=url, status=response.status_code, event=order_id)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return {
        "ok": response.status_code in (200, 202),
        "via": "partner API",
        "status": response.status_code,
        "message": response.text[:300],
        "json": answer,
    }
