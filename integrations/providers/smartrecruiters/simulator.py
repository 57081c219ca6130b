"""The built-in SmartRecruiters sandbox: the token endpoint (authorization code, refresh, client
credentials) and the API endpoints our clients call, behaving like SR as published (Bearer
auth, real scope names, credential kinds, SR error bodies, 429 above the rate limit, the
setUpIntegration consent check, results checked against SRO's PackageResult, attachments kept
and served). Pages people click are in
simulator_pages.py."""

from __future__ import annotations

import base64
import hmac
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt

from integrations.simulator_faults import sim_faults

from . import constants, reference, simulator_credentials, simulator_pages, simulator_schema
from . import simulator_state as state
from . import simulator_subscriptions as subs
from .simulator_http import _json, api, sr_error
from .simulator_partner import integration_setup, partner_configuration

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
    if data.get("grant_type") == "client_credentials":
        return _client_credentials(client_id, client_secret, requested=data.get("scope", "").split())
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


def _client_credentials(client_id: str, client_secret: str, *, requested: list[str]) -> JsonResponse:
    """SRD /docs/authentication-oauth-client-credential: the partner's master credentials get a
    token with partner_configuration_manage (SRO oauth2_master: savePartnerConfig) and
    client_credentials_write (setUpIntegration's description); a company's credentials (issued by
    setUpIntegration) get a token for that company's results and orders. A master token request
    naming scopes gets those of the two it names (RFC 6749 3.3), `invalid_scope` when none [I: SR
    does not say whether it narrows], so a client that asks for too little is seen here."""
    partner = state.get("partner", state.PARTNER_KEY) or {}
    if partner and client_id == partner.get("client_id"):
        if not hmac.compare_digest(str(partner.get("client_secret", "")), client_secret):
            return JsonResponse({"error": "invalid_client", "error_description": "Wrong secret."}, status=401)
        approved = [constants.SCOPE_CLIENT_CREDENTIALS_WRITE, constants.SCOPE_PARTNER_CONFIGURATION_MANAGE]
        scopes = [s for s in approved if s in requested] if requested else approved
        if not scopes:
            return JsonResponse(
                {"error": "invalid_scope", "error_description": f"Not approved for: {' '.join(requested)}."},
                status=400,
            )
        return JsonResponse(state.client_token_issue(company_id="", scopes=scopes, grant="partner"))
    credential = state.customer_credential(client_id)
    if credential is not None:
        # The company's self-serve client credentials (Credential Manager → OAuth client ID): a
        # token with the scopes its administrator gave the credential.
        if not hmac.compare_digest(str(credential["client_secret"]), client_secret):
            return JsonResponse({"error": "invalid_client", "error_description": "Wrong secret."}, status=401)
        return JsonResponse(
            state.client_token_issue(
                company_id=credential["company"], scopes=list(credential["scopes"]), grant="customer"
            )
        )
    company = state.company_for_company_client(client_id) if client_id else None
    if company is None or not hmac.compare_digest(
        str(company.get("company_client_secret", "")), client_secret
    ):
        return JsonResponse(
            {"error": "invalid_client", "error_description": "Unknown client or wrong secret."}, status=401
        )
    return JsonResponse(
        state.client_token_issue(
            company_id=company["id"], scopes=list(constants.COMPANY_TOKEN_SCOPES), grant="company"
        )
    )


# --- Customer API ------------------------------------------------------------------------------


# The Customer API calls JobCannon makes with the OAuth token require the scopes SRO's `security`
# declares for them (vendor/ `customer_api`), never what constants.py says they need.
# Also with the company's self-serve client credentials ("customer" grant), whose scopes are what
# the administrator ticked: the consent page's proof of the company.
@api(
    reference.customer_api_oauth_scopes("/configuration/company", "get"),
    grants=("oauth", "company", "customer"),
)
def company_get(request, company):
    return JsonResponse({"identifier": company["id"], "name": company["name"]})


# GET /jobs and GET /candidates (with SR's documented paging) are served by sync_simulator.py,
# mounted ahead of these routes: one implementation of each list.


@api(reference.customer_api_oauth_scopes("/configuration/candidate-properties", "get"))
def properties_list(request, company):
    return JsonResponse({"content": company.get("custom_fields", [])})


@api(reference.customer_api_oauth_scopes("/candidates/{id}/jobs/{jobId}/properties/{propertyId}", "put"))
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


@api(constants.SCOPE_ASSESSMENT_RESULT_MANAGE, grants=("company",))
def order_results(request, company, order_id):
    """packageResultUpdate (SRO Result_updatePackageResult), with the company credentials only:
    SRD /docs/integration-workflow gives results to the customer-level (company) credentials; the
    customer's OAuth token is refused. A PackageResult applied as an RFC 7396 merge patch;
    answers the order's PackageResult."""
    order = state.get("order", order_id)
    if request.method != "PATCH":
        return sr_error(405, "METHOD_NOT_ALLOWED", "PATCH only.")
    if not order or order["company"] != company["id"]:
        return sr_error(404, "NOT_FOUND", f"Order with id {order_id} does not exist.")
    if request.content_type != "application/json":
        return sr_error(415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported payload format: send application/json.")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return sr_error(400, "VALIDATION", "The body must be a JSON object (a PackageResult).")
    # Checked against SRO's PackageResult in the vendor file (simulator_schema), never against
    # constants.RESULT_STATUSES: a status or field we invent is refused here as SR would.
    problems = simulator_schema.package_result_problems(body)
    if problems:
        return sr_error(400, "VALIDATION", f"Invalid result partial update provided: {' '.join(problems)}")
    merged = {k: v for k, v in {**(order.get("result") or {}), **body}.items() if v is not None}
    order.update(
        status=merged.get("status", order["status"]),
        result=merged,
        result_meta={
            "region": request.sr_region,  # the company's label; SR has one API host
            "path": request.path,
            "received": state.now_iso(),
            "credential": request.sr_grant,
        },
    )
    # No webhook follows: the Webhooks API has no assessment event (seed 001's
    # candidate.assessment.completed is not one SR sends).
    state.put("order", order_id, order)
    return JsonResponse(merged)


@csrf_exempt
def _attachment(request, company, order_id):
    """addAttachmentToOrder (SRO Result_addAttachmentToOrder): multipart, 201 AttachmentResult
    {url}; the sandbox keeps the file and serves it at that URL. Not for in-line orders (SRO:
    "not supported"; the sandbox's answer, 400, is [I])."""
    order = state.get("order", order_id)
    if request.method != "POST":
        return sr_error(405, "METHOD_NOT_ALLOWED", "POST only.")
    if not order or order["company"] != company["id"]:
        return sr_error(404, "NOT_FOUND", f"Order with id {order_id} does not exist.")
    if order.get("inline"):
        return sr_error(
            400, "NOT_SUPPORTED", "Adding attachment to inline assessment orders is not supported."
        )
    upload = request.FILES.get(constants.ATTACHMENT_PART)
    if upload is None:
        return sr_error(400, "VALIDATION", f"A multipart part named {constants.ATTACHMENT_PART} is required.")
    content = upload.read()
    attachment_id = state.new_id("att-")
    url = request.build_absolute_uri(
        reverse("integrations:sim-smartrecruiters:attachment", args=[attachment_id])
    )
    state.put(
        "attachment",
        attachment_id,
        {
            "company": company["id"],
            "order": order_id,
            "name": upload.name,
            "contentType": upload.content_type,
            "content": base64.b64encode(content).decode(),
        },
    )
    order["attachments"] = [
        *order.get("attachments", []),
        {
            "id": attachment_id,
            "name": upload.name,
            "contentType": upload.content_type,
            "size": len(content),
            "url": url,
            "credential": request.sr_grant,
        },
    ]
    state.put("order", order_id, order)
    return JsonResponse({"url": url}, status=201)


# Faults can be queued for it (integrations.simulator_faults): a refused upload must never cost the result.
order_attachment = api(grants=("company",))(sim_faults(constants.KEY)(_attachment))


def attachment_file(request, attachment_id):
    """The file an attachment's URL serves (what a recruiter downloads from the candidate profile)."""
    stored = state.get("attachment", attachment_id)
    if stored is None:
        return sr_error(404, "NOT_FOUND", "No such attachment.")
    response = HttpResponse(base64.b64decode(stored["content"]), content_type=stored["contentType"])
    response["Content-Disposition"] = f'attachment; filename="{stored["name"]}"'
    return response


def simulator_urls() -> list:
    api_routes = [
        ("configuration/company", company_get, "api-company"),
        ("configuration/candidate-properties", properties_list, "api-properties"),
        (
            "candidates/<str:candidate_id>/jobs/<str:job_id>/properties/<str:property_id>",
            property_set,
            "api-property-set",
        ),
        ("assessment-api/v202010/partner/configuration", partner_configuration, "api-partner-configuration"),
        (
            "assessment-api/v202010/integration/company/<str:company_id>",
            integration_setup,
            "api-integration-setup",
        ),
        ("assessment-api/v202010/orders/<str:order_id>/results", order_results, "api-order-results"),
        (
            "assessment-api/v202010/orders/<str:order_id>/results/attachment",
            order_attachment,
            "api-order-attachment",
        ),
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
        *simulator_credentials.page_urls(),
        path("identity/oauth/token", oauth_token, name="oauth-token"),
        path("attachments/<str:attachment_id>", attachment_file, name="attachment"),
        *[path(f"api/{route}", view, name=name) for route, view, name in api_routes],
    ]
