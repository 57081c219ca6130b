"""The built-in SmartRecruiters sandbox: the OAuth token endpoint and the API endpoints our client
calls, behaving like SR on the wire (Bearer auth, scopes, SR error bodies, 429 above the rate
limit, US/EU hosts as /api/<region>/). Pages people click are in simulator_pages.py."""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import constants, simulator_pages
from . import simulator_calls as calls
from . import simulator_state as state
from . import simulator_subscriptions as subs
from .simulator_http import _api_base, _json, api, sr_error

SUBS = "webhooks-api/v201907/subscriptions"


# --- OAuth token endpoint --------------------------------------------------------------------


@csrf_exempt
def oauth_token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"error": "invalid_request", "error_description": "POST only."}, status=405)
    data = request.POST
    client_id, client_secret = data.get("client_id", ""), data.get("client_secret", "")
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
    company = state.company_for_client(client_id)
    if company is None or company["client_secret"] != client_secret:
        return JsonResponse(
            {"error": "invalid_client", "error_description": "Unknown client or wrong secret."}, status=401
        )
    grant = data.get("grant_type", "")
    if grant == "authorization_code":
        code = state.code_redeem(data.get("code", ""))
        if code is None or code["company"] != company["id"]:
            return JsonResponse(
                {"error": "invalid_grant", "error_description": "Unknown or expired code."}, status=400
            )
        if code["redirect_uri"] != data.get("redirect_uri", ""):
            return JsonResponse(
                {"error": "invalid_grant", "error_description": constants.REDIRECT_URI_ERROR}, status=400
            )
        return JsonResponse(state.tokens_issue(company_id=company["id"], scopes=code["scopes"]))
    if grant == "refresh_token":
        refresh = data.get("refresh_token", "")
        known = state.token_lookup(refresh, kind="refresh")
        if known is None or known["company"] != company["id"]:
            return JsonResponse(
                {"error": "invalid_grant", "error_description": "Refresh token revoked or expired."},
                status=400,
            )
        return JsonResponse(
            state.tokens_issue(company_id=company["id"], scopes=known["scopes"], refresh_token=refresh)
        )
    return JsonResponse(
        {"error": "unsupported_grant_type", "error_description": grant or "missing"}, status=400
    )


# --- Customer API ------------------------------------------------------------------------------


@api()
def company_get(request, company):
    return JsonResponse({"identifier": company["id"], "name": company["name"]})


def _job_public(job: dict[str, Any]) -> dict[str, Any]:
    return {"id": job["id"], "title": job["title"], "hiringProcess": {"stages": job["stages"]}}


@api("candidates:read")
def jobs_list(request, company):
    jobs = [_job_public(j) for j in state.jobs(company["id"])]
    return JsonResponse({"content": jobs, "totalFound": len(jobs)})


@api("candidates:read")
def candidates_list(request, company):
    found = state.candidates(company["id"], request.GET.get("jobId") or None)
    content = [
        {
            "id": c["id"],
            "firstName": c["firstName"],
            "lastName": c["lastName"],
            "email": c["email"],
            "primaryAssignment": {"job": {"id": c["jobId"]}, "status": {"stageId": c["stageId"]}},
        }
        for c in found
    ]
    return JsonResponse({"content": content, "totalFound": len(content)})


@api("custom_fields:read")
def properties_list(request, company):
    return JsonResponse({"content": company.get("custom_fields", [])})


@api("candidates:write")
def property_set(request, company, candidate_id, job_id, property_id):
    candidate = state.get("candidate", candidate_id)
    if request.method != "PUT":
        return sr_error(405, "METHOD_NOT_ALLOWED", "PUT only.")
    if not candidate or candidate["company"] != company["id"] or candidate["jobId"] != job_id:
        return sr_error(404, "NOT_FOUND", "Candidate or job not found.")
    if property_id not in {f["id"] for f in company.get("custom_fields", [])}:
        return sr_error(404, "NOT_FOUND", f"Candidate property {property_id} not found.")
    candidate["properties"] = {**candidate.get("properties", {}), property_id: _json(request).get("value")}
    state.put("candidate", candidate_id, candidate)
    return HttpResponse(status=204)


# --- Assessment API ----------------------------------------------------------------------------


@api("assessments:read")
def integration_setup(request, company, company_id):
    if company_id != company["id"]:
        return sr_error(403, "FORBIDDEN", "The token belongs to another company.")
    body = _json(request)
    if not body.get("clientId") or not body.get("clientSecret") or not body.get("baseUrl"):
        return sr_error(400, "VALIDATION", "clientId, clientSecret and baseUrl are required.")
    company["partner"] = {
        "client_id": body["clientId"],
        "client_secret": body["clientSecret"],
        "base_url": body["baseUrl"].rstrip("/") + "/",
        "registered": state.now_iso(),
    }
    state.put("company", company["id"], company)
    return JsonResponse({"companyId": company["id"], "status": "CONNECTED"}, status=201)


@api("assessments:write")
def order_results(request, company, order_id):
    order = state.get("order", order_id)
    if request.method != "PATCH":
        return sr_error(405, "METHOD_NOT_ALLOWED", "PATCH only.")
    if not order or order["company"] != company["id"]:
        return sr_error(404, "NOT_FOUND", f"Assessment order {order_id} not found.")
    body = _json(request)
    status = str(body.get("status") or "COMPLETED").upper()
    if status not in ("COMPLETED", "CANCELLED", "EXPIRED", "IN_PROGRESS"):
        return sr_error(400, "VALIDATION", f"Unknown status {status}.")
    order.update(status=status, result={**body, "region": request.sr_region, "received": state.now_iso()})
    state.put("order", order_id, order)
    if status == "COMPLETED":
        calls.webhook_send(
            company,
            constants.EVENT_ASSESSMENT_COMPLETED,
            ids={
                "assessment_order_id": order_id,
                "candidate_id": order["candidate"]["id"],
                "job_id": order["job"]["id"],
            },
            data={
                "orderId": order_id,
                "candidateId": order["candidate"]["id"],
                "jobId": order["job"]["id"],
                "packageId": order["packageId"],
                "status": status,
            },
            link=f"{_api_base(request)}{constants.ORDERS_API}/{order_id}",
        )
    return JsonResponse(calls.order_public(order))


@api("assessments:read")
def orders_collection(request, company):
    if request.method == "POST":
        return _order_create(request, company)
    wanted = request.GET.get("status")
    found = [
        calls.order_public(o) for o in state.orders(company["id"]) if not wanted or o["status"] == wanted
    ]
    return JsonResponse({"content": found, "totalFound": len(found)})


def _order_create(request, company):
    # A manual trigger from the partner's own UI (our assumption, see client.order_create).
    if "assessments:write" not in request.sr_scopes:
        return sr_error(
            403, "FORBIDDEN", "Access denied: the access token lacks the assessments:write scope."
        )
    body = _json(request)
    candidate = state.get("candidate", str(body.get("candidateId", "")))
    if not candidate or candidate["company"] != company["id"]:
        return sr_error(404, "NOT_FOUND", "Candidate not found.")
    job = state.job_get(candidate["jobId"])
    stage = state.stage_get(job, candidate["stageId"]) if job else None
    action = (stage or {}).get("action") or {}
    package = str(body.get("packageId") or action.get("packageId") or "")
    if not job or not stage or not package:
        return sr_error(400, "VALIDATION", "The candidate's stage has no assessment action; pass packageId.")
    order = state.order_create(
        company=company,
        candidate=candidate,
        job=job,
        stage=stage,
        action={**action, "packageId": package},
        trigger=constants.TRIGGER_MANUAL,
    )
    order = state.put("order", order["id"], {**order, "status": "IN_PROGRESS", "source": "partner"})
    return JsonResponse(calls.order_public(order), status=201)


@api("assessments:read")
def order_get(request, company, order_id):
    order = state.get("order", order_id)
    if not order or order["company"] != company["id"]:
        return sr_error(404, "NOT_FOUND", f"Assessment order {order_id} not found.")
    return JsonResponse(calls.order_public(order))


def simulator_urls() -> list:
    api_routes = [
        ("configuration/company", company_get, "api-company"),
        ("jobs", jobs_list, "api-jobs"),
        ("candidates", candidates_list, "api-candidates"),
        ("configuration/candidate-properties", properties_list, "api-properties"),
        (
            "candidates/<str:candidate_id>/jobs/<str:job_id>/properties/<str:property_id>",
            property_set,
            "api-property-set",
        ),
        (
            "assessment-api/v202010/integration/company/<str:company_id>",
            integration_setup,
            "api-integration-setup",
        ),
        ("assessment-api/v202010/orders/<str:order_id>/results", order_results, "api-order-results"),
        ("assessment-api/v202107/assessment-orders", orders_collection, "api-orders"),
        ("assessment-api/v202107/assessment-orders/<str:order_id>", order_get, "api-order"),
        ("v1/webhooks/subscriptions", subs.seed_subscriptions, "api-seed-subscriptions"),
        (SUBS, subs.subscriptions, "api-subscriptions"),
        (f"{SUBS}/<str:subscription_id>", subs.subscription_detail, "api-subscription"),
        (
            f"{SUBS}/<str:subscription_id>/activation",
            subs.subscription_activation,
            "api-subscription-activation",
        ),
        (
            f"{SUBS}/<str:subscription_id>/secret-key",
            subs.subscription_secret_key,
            "api-subscription-secret-key",
        ),
    ]
    return [
        *simulator_pages.page_urls(),
        path("identity/oauth/token", oauth_token, name="oauth-token"),
        *[path(f"api/<str:region>/{route}", view, name=name) for route, view, name in api_routes],
    ]
