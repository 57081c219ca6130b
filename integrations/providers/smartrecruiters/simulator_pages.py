"""The SmartRecruiters sandbox's pages: what an SR admin or recruiter clicks.

Seed 001 in order: register the app (Step 1: redirect URI, scopes), the OAuth consent page
(exact redirect URI match, "Invalid OAuth redirect URI" otherwise, a subset of scopes can be
approved), a job's pipeline with "Add Action → Assessment → JobCannon" (Step 4), and Step 5:
create a test candidate, advance to the assessment stage (auto trigger) or trigger it by hand,
then see the result and the scorecard fields JobCannon wrote back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from . import constants, reference
from . import simulator_calls as calls
from . import simulator_companies as companies
from . import simulator_state as state

T = "integrations/providers/smartrecruiters/sim_{}.html"
NS = "integrations:sim-smartrecruiters:"


def known_scopes() -> list[str]:
    """SR's published OAuth scopes, read from the vendor file (reference.customer_oauth_scopes:
    SRO securitySchemes.oauth and SRD /docs/authentication-access-scopes), never from
    constants.SCOPES: the consent page refuses any other scope (invalid_scope), so a scope name we
    invent fails our tests instead of a live consent."""
    return sorted(reference.customer_oauth_scopes())


def _api_base(request: HttpRequest) -> str:
    return request.build_absolute_uri(f"/sim/{constants.KEY}/api")  # one API path, whatever the region label


def _int(value: Any, default: int) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default


def _error(request: HttpRequest, title: str, message: str, status: int = 400, **extra: Any) -> HttpResponse:
    return render(request, T.format("error"), {"title": title, "message": message, **extra}, status=status)


def _company_or_404(request: HttpRequest, company_id: str) -> dict[str, Any] | HttpResponse:
    # The company of one of the signed-in user's sandbox integrations is made on first sight,
    # as the customer's company exists at SR before it meets JobCannon (simulator_companies).
    company = companies.company_for_workspace(getattr(request, "workspace", None), company_id)
    return (
        company if company else _error(request, "Unknown company", f"No sandbox company {company_id!r}.", 404)
    )


def home(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        name, uri = request.POST.get("name", "").strip(), request.POST.get("redirect_uri", "").strip()
        if not name or not uri.startswith(("http://", "https://")):
            error = "Enter a name and an absolute redirect URI."
        else:
            company = state.company_register(
                name=name, redirect_uri=uri, region=request.POST.get("region", "us")
            )
            return redirect(NS + "company", company_id=company["id"])
    return render(
        request,
        T.format("home"),
        {"companies": state.items("company"), "error": error},
        status=400 if error else 200,
    )


def company_view(request: HttpRequest, company_id: str) -> HttpResponse:
    company = _company_or_404(request, company_id)
    if isinstance(company, HttpResponse):
        return company
    error = ""
    if request.method == "POST":  # "Create a test candidate" (seed 001 Step 5.1)
        first, last = request.POST.get("first_name", "").strip(), request.POST.get("last_name", "").strip()
        email, job = request.POST.get("email", "").strip(), state.job_get(request.POST.get("job", ""))
        if not first or "@" not in email or job is None or job["company"] != company_id:
            error = "Enter a first name, an email address and a job."
        else:
            candidate = state.candidate_create(
                company_id=company_id, job_id=job["id"], first_name=first, last_name=last, email=email
            )
            calls.application_event(
                company, candidate, constants.EVENT_APPLICATION_CREATED, _api_base(request)
            )
            return redirect(NS + "candidate", company_id=company_id, candidate_id=candidate["id"])
    jobs = state.jobs(company_id)
    stage_names = {(j["id"], s["id"]): s["name"] for j in jobs for s in j["stages"]}
    candidates = [
        {**c, "stage_name": stage_names.get((c["jobId"], c["stageId"]), c["stageId"])}
        for c in state.candidates(company_id)
    ]
    return render(
        request,
        T.format("company"),
        {
            "company": company,
            "jobs": jobs,
            "candidates": candidates,
            "error": error,
            "subscriptions": state.items("subscription", company=company_id),
            "deliveries": state.deliveries(company_id),
            "api_base": _api_base(request),
        },
        status=400 if error else 200,
    )


def settings_view(request: HttpRequest, company_id: str) -> HttpResponse:
    company = _company_or_404(request, company_id)
    if isinstance(company, HttpResponse):
        return company
    if request.method == "POST":
        company.update(
            redirect_uri=request.POST.get("redirect_uri", company["redirect_uri"]).strip(),
            approve_scopes=[
                s for s in request.POST.getlist("approve_scopes") if s in reference.customer_oauth_scopes()
            ],
            region=request.POST.get("region")
            if request.POST.get("region") in ("us", "eu")
            else company["region"],
            rate_limit=_int(request.POST.get("rate_limit"), constants.RATE_LIMIT_PER_SECOND),
        )
        state.put("company", company_id, company)
        return redirect(NS + "company", company_id=company_id)
    return render(request, T.format("settings"), {"company": company, "scopes": known_scopes()})


def job_view(request: HttpRequest, company_id: str, job_id: str) -> HttpResponse:
    """Pipeline → [Stage] → Add Action → Assessment → JobCannon (seed 001 Step 4)."""
    company, job = state.get("company", company_id), state.job_get(job_id)
    if company is None or job is None or job["company"] != company_id:
        return _error(request, "Unknown job", f"No job {job_id!r} in this company.", 404)
    packages, packages_error = calls.partner_packages(company)
    if request.method == "POST":
        stage = state.stage_get(job, request.POST.get("stage", ""))
        package = request.POST.get("package", "")
        if stage is not None and request.POST.get("remove"):
            stage["action"] = None
        elif stage is not None and package in {p["id"] for p in packages}:
            stage["action"] = {
                "packageId": package,
                "required": request.POST.get("required") == "required",
                "trigger": constants.TRIGGER_MANUAL
                if request.POST.get("trigger") == "manual"
                else constants.TRIGGER_AUTO,
                "dueInDays": _int(request.POST.get("due_days"), constants.DEFAULT_DUE_DAYS),
                "emailTemplate": "branded" if request.POST.get("email_template") == "branded" else "default",
            }
        else:
            return _error(request, "Action not saved", "Choose a stage and a JobCannon test.")
        state.put("job", job_id, {k: v for k, v in job.items() if k != "id"})
        return redirect(NS + "job", company_id=company_id, job_id=job_id)
    return render(
        request,
        T.format("job"),
        {"company": company, "job": job, "packages": packages, "packages_error": packages_error},
    )


def inline_apply(request: HttpRequest, company_id: str, job_id: str) -> HttpResponse:
    """The career site's apply form with an in-line JobCannon assessment: SR orders it
    (POST /packages/inline/orders) and sends the applicant to the URL JobCannon answers; the
    order's completedAssessmentCallbackUrl is the sandbox's "application complete" page."""
    company, job = state.get("company", company_id), state.job_get(job_id)
    if company is None or job is None or job["company"] != company_id or request.method != "POST":
        return _error(request, "Unknown job", f"No job {job_id!r} in this company.", 404)
    first, email = request.POST.get("first_name", "").strip(), request.POST.get("email", "").strip()
    package = request.POST.get("package", "").strip()
    if not first or "@" not in email or not package:
        return _error(request, "Application not sent", "Enter a first name, an email address and a test.")
    order = state.inline_order_create(
        company=company,
        job=job,
        package_id=package,
        first_name=first,
        last_name=request.POST.get("last_name", "").strip(),
        email=email,
    )
    done = request.build_absolute_uri(reverse(NS + "inline-done", args=[company_id, order["id"]]))
    order = calls.inline_order_deliver(company, order, _api_base(request), done)
    if not order.get("inlineUrl"):
        delivery = order.get("delivery") or {}
        return _error(
            request,
            "JobCannon refused the in-line assessment",
            f"HTTP {delivery.get('status')}: {delivery.get('message') or 'no answer'}",
            status=502,
        )
    return redirect(order["inlineUrl"])


def inline_done(request: HttpRequest, company_id: str, order_id: str) -> HttpResponse:
    """completedAssessmentCallbackUrl: where the applicant lands after the in-line assessment."""
    order = state.get("order", order_id)
    if order is None or order["company"] != company_id or not order.get("inline"):
        return _error(request, "Unknown order", f"No in-line order {order_id!r}.", 404)
    return render(
        request, T.format("inline_done"), {"order": order, "company": state.get("company", company_id)}
    )


def candidate_view(request: HttpRequest, company_id: str, candidate_id: str) -> HttpResponse:
    company, candidate = state.get("company", company_id), state.get("candidate", candidate_id)
    if company is None or candidate is None or candidate["company"] != company_id:
        return _error(request, "Unknown candidate", f"No candidate {candidate_id!r} in this company.", 404)
    job = state.job_get(candidate["jobId"]) or {"id": candidate["jobId"], "title": "?", "stages": []}
    if request.method == "POST":
        stage = state.stage_get(job, request.POST.get("stage", candidate["stageId"]))
        if stage is None:
            return _error(request, "Unknown stage", "Choose one of the job's pipeline stages.")
        if request.POST.get("action") == "trigger":  # manual trigger (seed 001 Step 5.3)
            if not stage.get("action"):
                return _error(
                    request, "No assessment here", f"The {stage['name']} stage has no assessment action."
                )
            order_place(company, candidate, job, stage, constants.TRIGGER_MANUAL, _api_base(request))
        elif stage["id"] != candidate["stageId"]:  # advance (Step 5.2); auto trigger on stage entry
            candidate_move(company, candidate, job, stage, _api_base(request))
        return redirect(NS + "candidate", company_id=company_id, candidate_id=candidate_id)
    candidate = state.get("candidate", candidate_id) or candidate
    stage = state.stage_get(job, candidate["stageId"]) or {
        "id": candidate["stageId"],
        "name": "?",
        "action": None,
    }
    fields = {f["id"]: f["label"] for f in company.get("custom_fields", [])}
    return render(
        request,
        T.format("candidate"),
        {
            "company": company,
            "candidate": candidate,
            "job": job,
            "stage": stage,
            "orders": sorted(
                state.orders(company_id, candidate_id), key=lambda o: o["createdOn"], reverse=True
            ),
            "scorecard": [
                {"id": k, "label": fields.get(k, k), "value": v}
                for k, v in candidate.get("properties", {}).items()
            ],
        },
    )


def candidate_move(
    company: dict[str, Any],
    candidate: dict[str, Any],
    job: dict[str, Any],
    stage: dict[str, Any],
    api_base: str,
) -> dict[str, Any] | None:
    """Advance a candidate to a stage (seed 001 Step 5.2). A stage whose JobCannon action
    triggers automatically orders the assessment on entry; returns that order (None otherwise)."""
    candidate["stageId"] = stage["id"]
    candidate["history"] = [*candidate.get("history", []), {"at": state.now_iso(), "stage": stage["id"]}]
    state.put("candidate", candidate["id"], candidate)
    calls.application_event(company, candidate, constants.EVENT_APPLICATION_STATUS_UPDATED, api_base)
    if (stage.get("action") or {}).get("trigger") == constants.TRIGGER_AUTO:
        return order_place(company, candidate, job, stage, constants.TRIGGER_AUTO, api_base)
    return None


def order_place(
    company: dict[str, Any],
    candidate: dict[str, Any],
    job: dict[str, Any],
    stage: dict[str, Any],
    trigger: str,
    api_base: str,
) -> dict[str, Any]:
    """SR places the stage's assessment order with JobCannon; returns the order with its delivery."""
    order = state.order_create(
        company=company, candidate=candidate, job=job, stage=stage, action=stage["action"], trigger=trigger
    )
    return calls.order_deliver(company, order, api_base)


def consent(request: HttpRequest) -> HttpResponse:
    """SR's consent page. The redirect URI must match the registered one exactly: SR shows
    "Invalid OAuth redirect URI" and never redirects to an unregistered address."""
    params = request.POST if request.method == "POST" else request.GET
    company = state.company_for_client(params.get("client_id", ""))
    if company is None:
        return _error(
            request,
            "Invalid client",
            f"No SmartRecruiters app has the client id {params.get('client_id', '')!r}.",
        )
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri != company["redirect_uri"]:
        return _error(
            request,
            constants.REDIRECT_URI_ERROR,
            "The redirect_uri in this request does not match the Redirect URI registered for the app "
            "(the comparison is exact: scheme, host, path and trailing slash).",
            registered=company["redirect_uri"],
            received=redirect_uri,
            company=company,
        )
    requested = [s for s in params.get("scope", "").split() if s]
    state_param = params.get("state", "")
    published = reference.customer_oauth_scopes()
    unknown = [s for s in requested if s not in published]
    if unknown:  # RFC 6749 4.1.2.1, back to the (registered) redirect URI
        query = {
            "error": "invalid_scope",
            "error_description": f"Unknown scope {' '.join(unknown)}",
            "state": state_param,
        }
        return redirect(f"{redirect_uri}?{urlencode(query)}")
    if request.method == "POST":
        if request.POST.get("decision") != "allow":
            query = {
                "error": "access_denied",
                "error_description": "The user denied access.",
                "state": state_param,
            }
            return redirect(f"{redirect_uri}?{urlencode(query)}")
        granted = [s for s in requested if s in request.POST.getlist("granted")]
        code = state.code_issue(company=company, scopes=granted, redirect_uri=redirect_uri)
        # Approving the customer's own OAuth app is not the partner consent: SR records that
        # only in Apps & Integrations → JobCannon → Connect → Authorize and Continue
        # (apps_connect; help.smartrecruiters.com "Assessment Integrations" steps 1-3, SRD
        # /reference/askforconsent), so setUpIntegration stays refused (403) until then.
        return redirect(f"{redirect_uri}?{urlencode({'code': code, 'state': state_param})}")
    return render(
        request,
        T.format("consent"),
        {
            "company": company,
            "params": {
                k: params.get(k, "") for k in ("client_id", "redirect_uri", "scope", "state", "response_type")
            },
            "scopes": [
                {"name": s, "checked": s in company.get("approve_scopes", constants.SCOPES)}
                for s in requested
            ],
        },
    )


def apps_connect(request: HttpRequest, company_id: str) -> HttpResponse:
    """Apps & Integrations → JobCannon → Connect → Authorize and Continue: SR records the
    company's consent and opens the partner's consent endpoint, GET <partner>/integration?companyId=
    &redirect= (askForConsent; as a redirect, one of the two ways SRD /docs/customer-experience
    names)."""
    company = _company_or_404(request, company_id)
    if isinstance(company, HttpResponse):
        return company
    consent_url = state.partner_configuration().get("consent", "")
    if request.method != "POST" or not consent_url:
        return _error(
            request,
            "JobCannon is not listed",
            "The JobCannon partner has not saved its partner configuration (PUT /partner/configuration) yet.",
        )
    company["partner_consent"] = True
    state.put("company", company_id, company)
    # REDIRECT display mode: companyId and redirect (SRO PartnerConfiguration.consentUrl).
    back = request.build_absolute_uri(reverse(NS + "company", args=[company_id]))
    query = urlencode({"companyId": company_id, "redirect": back})
    return redirect(consent_url + ("&" if "?" in consent_url else "?") + query)


def apps_remove(request: HttpRequest, company_id: str) -> HttpResponse:
    """Apps & Integrations → JobCannon → Remove: SR tells the partner (DELETE
    <partner>/integrations/companies/{companyId}, SRO/OCM, with a token from the partner's
    credentials), then drops the company credentials it issued and the consent."""
    return _apps_revoke(request, company_id, title="Remove JobCannon", tell_partner=True)


def apps_withdraw(request: HttpRequest, company_id: str) -> HttpResponse:
    """Sandbox-only: SR drops the company credentials and the consent without telling JobCannon
    (what JobCannon sees when SR's removal call never reached it): its next result is refused."""
    return _apps_revoke(request, company_id, title="Withdraw consent", tell_partner=False)


def _apps_revoke(request: HttpRequest, company_id: str, *, title: str, tell_partner: bool) -> HttpResponse:
    company = _company_or_404(request, company_id)
    if isinstance(company, HttpResponse):
        return company
    if request.method != "POST":
        return _error(request, title, "POST only.", status=405)
    if tell_partner:
        calls.partner_company_remove(company)
    state.company_partner_revoke(company_id)
    return redirect(NS + "company", company_id=company_id)


def page_urls() -> list:
    return [
        path("", home, name="home"),
        path("identity/oauth/allow", consent, name="oauth-allow"),
        path("company/<str:company_id>/", company_view, name="company"),
        path("company/<str:company_id>/settings/", settings_view, name="settings"),
        path("company/<str:company_id>/apps/jobcannon/connect/", apps_connect, name="apps-connect"),
        path("company/<str:company_id>/apps/jobcannon/remove/", apps_remove, name="apps-remove"),
        path("company/<str:company_id>/apps/jobcannon/withdraw/", apps_withdraw, name="apps-withdraw"),
        path("company/<str:company_id>/jobs/<str:job_id>/", job_view, name="job"),
        path("company/<str:company_id>/candidates/<str:candidate_id>/", candidate_view, name="candidate"),
        path("company/<str:company_id>/jobs/<str:job_id>/apply-inline/", inline_apply, name="inline-apply"),
        path("company/<str:company_id>/inline/<str:order_id>/done/", inline_done, name="inline-done"),
    ]
