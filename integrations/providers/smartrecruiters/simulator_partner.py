"""The SmartRecruiters sandbox's partner-level Assessment API (2021) endpoints, called with
JobCannon's master token: savePartnerConfig / getPartnerConfig (where SR reaches our partner
API, validated against SRO's PartnerConfigurationRequest as shipped in vendor/) and
setUpIntegration (the company credentials, once the company consented)."""

from __future__ import annotations

import json
import secrets

from django.http import JsonResponse

from . import constants, reference, simulator_schema
from . import simulator_state as state
from .simulator_http import _json, _missing_scope, api, sr_error

# SRO security of GET/PUT /partner/configuration (oauth2_master), read from the vendor file.
PARTNER_CONFIGURATION_SCOPE = reference.operation_scopes("/partner/configuration", "put")[0]


@api(PARTNER_CONFIGURATION_SCOPE, grants=("partner",))
def partner_configuration(request, company):
    """getPartnerConfig / savePartnerConfig (SRO Configuration_getDetails /
    Configuration_savePartnerConfig): a master token with partner_configuration_manage (else 403
    "Request missed required scopes"). PUT validates the body against SRO's
    PartnerConfigurationRequest as shipped in vendor/ (400 "Invalid configuration provided",
    naming each missing property or value outside its enum), stores it and answers it (SRO: 200
    PartnerConfiguration); GET answers it, 404 "Configuration does not exist" while none was saved
    (the message setUpIntegration's 404 uses: "Partner configuration does not exist")."""
    partner = state.get("partner", state.PARTNER_KEY) or {}
    if request.method == "PUT":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return sr_error(
                400, "VALIDATION", "Invalid configuration provided: the body must be a JSON object."
            )
        problem = state.partner_configuration_save(body)
        if problem:
            return sr_error(400, "VALIDATION", f"Invalid configuration provided: {problem}")
        partner = state.get("partner", state.PARTNER_KEY) or {}
    elif request.method != "GET":
        return sr_error(405, "METHOD_NOT_ALLOWED", "GET or PUT only.")
    if not state.partner_configuration(partner):
        return sr_error(404, "NOT_FOUND", "Partner configuration does not exist.")
    return JsonResponse(partner.get("configuration") or {})


# SRO security of POST /integration/company/{companyId}: oauth2_master partner_configuration_manage
# [F]. SRD /reference/assessment-partner-integration, step 1: "Validates if token has
# client_credentials_write scope (created using master credentials)" [F]. The sandbox requires
# both (403 without either) [I: which one SR checks; holding both, ours passes either check].
INTEGRATION_SETUP_SCOPE = reference.operation_scopes("/integration/company/{companyId}", "post")[0]
INTEGRATION_SETUP_PAGE_SCOPE = constants.SCOPE_CLIENT_CREDENTIALS_WRITE


@api(INTEGRATION_SETUP_SCOPE, grants=("partner",))
def integration_setup(request, company, company_id):
    """SRD /reference/assessment-partner-integration (SRO Integration_integrationSetup): 1. a
    partner token with the operation's scope (the decorator), 2. the company gave consent
    (403), 3. save the partner's credentials, 4. create credentials for the company, 5. send them
    back: 200 ClientCredentials. 409 when the partner is already integrated for the company; 404
    without a partner configuration. Where the partner's API is comes from that configuration."""
    if request.method != "POST":
        return sr_error(405, "METHOD_NOT_ALLOWED", "POST only.")
    if INTEGRATION_SETUP_PAGE_SCOPE not in request.sr_scopes:  # step 1 of the reference page
        return _missing_scope(INTEGRATION_SETUP_PAGE_SCOPE)
    partner = state.get("partner", state.PARTNER_KEY) or {}
    if not state.partner_configuration(partner):  # the partner never PUT /partner/configuration
        return sr_error(404, "NOT_FOUND", "Partner configuration does not exist.")
    target = state.get("company", company_id)
    if target is None:
        return sr_error(404, "NOT_FOUND", f"Company {company_id} not found.")
    if not target.get("partner_consent"):
        return sr_error(
            403,
            "CONSENT_REQUIRED",
            f"Company {company_id} has not given consent to the integration with this partner.",
        )
    if target.get("company_client_id") and (target.get("partner") or {}).get("client_id"):
        return sr_error(409, "ALREADY_INTEGRATED", "Partner already integrated for company.")
    body = _json(request)
    wrong = simulator_schema.problems("ClientCredentials", body)  # SRO: the partner's credentials
    if wrong or not body.get("clientId") or not body.get("clientSecret"):
        return sr_error(
            400,
            "VALIDATION",
            "Invalid client credentials: " + (" ".join(wrong) or "empty clientId/clientSecret."),
        )
    target["partner"] = {
        "client_id": body["clientId"],
        "client_secret": body["clientSecret"],
        "base_url": partner.get("base_url", ""),
        "urls": state.partner_configuration(partner),  # where SR reaches the partner for this company
        "registered": state.now_iso(),
    }
    target["company_client_id"] = state.new_id("sr-company-")
    target["company_client_secret"] = secrets.token_urlsafe(24)
    state.put("company", company_id, target)
    return JsonResponse(
        {"clientId": target["company_client_id"], "clientSecret": target["company_client_secret"]}
    )
