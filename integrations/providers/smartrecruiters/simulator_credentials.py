"""The sandbox's Settings → Apps & Integrations → Credentials page (SR's Credential Manager): where a
company administrator makes the self-serve client credentials JobCannon's consent page asks for.

As SmartRecruiters documents it: "In SmartRecruiters Credential Manager, click the button New
Credential and choose the option OAuth client ID"; the credential needs a System role and is used at
POST https://api.smartrecruiters.com/identity/oauth/token with grant_type=client_credentials (SRD
/docs/authentication-oauth-client-credential [F]; reference/lever-smartrecruiters-knit.md §2.1).
The path to it and the form (Settings → Administration: Apps & Integrations → Credentials tab → New
Credential → OAuth client ID → Next → Credential name, Description, scopes → Generate; the Client
ID and Client secret "will only be visible while the pop-up is open") are 1Password's and
learningbank's SmartRecruiters guides (docs and pages corpora) [2nd]. The smartrecruiters README,
"Who owns the OAuth client", says which of SR's credentials this is. The sandbox asks for no System
role or Access Group (it checks neither) and offers no API key (its API takes no X-SmartToken)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from . import constants
from . import simulator_pages as pages
from . import simulator_state as state


def credentials_view(request: HttpRequest, company_id: str) -> HttpResponse:
    """The company's credentials (Client IDs, never a secret) and New Credential → OAuth client
    ID, whose Client secret this page shows once, in the answer to the POST that made it."""
    company = pages._company_or_404(request, company_id)
    if isinstance(company, HttpResponse):
        return company
    error, new, name, description = "", None, "JobCannon", ""
    checked = list(constants.CUSTOMER_CREDENTIAL_SCOPES)
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        description = request.POST.get("description", "").strip()
        checked = [s for s in request.POST.getlist("scopes") if s in pages.known_scopes()]
        if not name or not checked:
            error = "Enter a credential name and tick at least one scope."
        else:
            new = state.customer_credential_create(
                company_id, scopes=checked, name=name, description=description
            )
    return render(
        request,
        pages.T.format("credentials"),
        {
            "company": company,
            "credentials": state.items("credential", company=company_id),
            "scopes": [{"name": s, "checked": s in checked} for s in pages.known_scopes()],
            "needed": constants.CUSTOMER_CREDENTIAL_SCOPES,
            "new": new,
            "name": name,
            "description": description,
            "error": error,
        },
        status=400 if error else 200,
    )


def page_urls() -> list:
    return [path("company/<str:company_id>/settings/credentials/", credentials_view, name="credentials")]
