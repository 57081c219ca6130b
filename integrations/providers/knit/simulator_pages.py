"""Pages of the built-in Knit: a Knit dashboard (accounts, webhook URL, fault injection), a page
that plays "Ashby starts / cancels an assessment through Knit", and the result submissions."""

from __future__ import annotations

import json
import secrets

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .simulator import (
    CATEGORIES,
    CATEGORY_ATS,
    SIM_ACCOUNT,
    SIM_ASSESSMENT,
    SIM_DELIVERY,
    SIM_SUBMISSION,
    sim_account_create,
    sim_account_update,
    sim_list,
)
from .simulator_ashby import WorkflowError, ashby_assessment_cancel, ashby_assessment_start

SESSION_SECRET = "knit_sim_ashby_secret"
SIGN_MODES = (
    ("raw", "raw body (reference)"),
    ("json_stringify", "JSON.stringify(body) (Knit's Node sample)"),
)


def dashboard(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            account = sim_account_create(request.POST.get("label", "").strip()[:80])
            messages.success(
                request, f"Sandbox Knit account created: integration id {account['integration_id']}."
            )
        elif action == "update":
            fail_next = [s.strip() for s in request.POST.get("fail_next", "").split(",") if s.strip()]
            if any(not s.isdigit() or not 400 <= int(s) <= 599 for s in fail_next):
                messages.error(
                    request, "Failures to inject: HTTP status codes between 400 and 599, comma separated."
                )
                return redirect("integrations:sim-knit:dashboard")
            sign_mode = request.POST.get("sign_mode", "raw")
            category = request.POST.get("category", CATEGORY_ATS)
            sim_account_update(
                request.POST.get("integration_id", ""),
                webhook_url=request.POST.get("webhook_url", "").strip(),
                sign_mode=sign_mode if sign_mode in dict(SIGN_MODES) else "raw",
                fail_next=fail_next,
                category=category if category in dict(CATEGORIES) else CATEGORY_ATS,
            )
            messages.success(request, "Knit account settings saved.")
        return redirect("integrations:sim-knit:dashboard")
    return render(
        request,
        "integrations/providers/knit/sim_dashboard.html",
        {
            "accounts": sim_list(SIM_ACCOUNT),
            "sign_modes": SIGN_MODES,
            "categories": CATEGORIES,
            "deliveries": sim_list(SIM_DELIVERY)[:20],
        },
    )


def _start_body(post) -> tuple[dict, dict]:
    suffix = secrets.token_hex(4)
    start = {
        "application": {"ashby_id": post.get("application_id") or f"app_{suffix}", "status": "IN_REVIEW"},
        "assessment_type_id": post.get("package_id", "").strip(),
        "candidate": {
            "ashby_id": post.get("candidate_id") or f"cand_{suffix}",
            "email": post.get("email", "").strip(),
            "first_name": post.get("first_name", "").strip(),
            "last_name": post.get("last_name", "").strip(),
        },
        "job": {"ashby_id": post.get("job_id") or f"job_{suffix}", "name": post.get("job_name", "").strip()},
    }
    package = {
        "name": post.get("package_name", "").strip() or None,
        "type": post.get("package_type", "").strip() or None,
        "description": post.get("package_description", "").strip() or None,
        "location": post.get("location", "").strip() or None,
    }
    return start, package


def ashby(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        secret = request.POST.get("secret_key", "").strip() or request.session.get(SESSION_SECRET, "")
        try:
            if request.POST.get("action") == "cancel":
                result = ashby_assessment_cancel(secret, request.POST.get("assessment_id", ""))
                verb = "assessment.cancel → record.deleted"
            else:
                start, package = _start_body(request.POST)
                result = ashby_assessment_start(secret, start, package)
                verb = "assessment.start → record.new"
        except WorkflowError as exc:
            messages.error(request, f"Knit answered Ashby {exc.status}: {exc.message}")
            return redirect("integrations:sim-knit:ashby")
        request.session[SESSION_SECRET] = secret
        delivery = result["delivery"]
        (messages.success if 200 <= delivery["status"] < 300 else messages.error)(
            request,
            f"{verb} for {result['assessment_id']}: JobCannon answered {delivery['status'] or 'nothing'} "
            f"{delivery['response'][:200]}",
        )
        return redirect("integrations:sim-knit:ashby")
    remembered = request.session.get(SESSION_SECRET, "")
    return render(
        request,
        "integrations/providers/knit/sim_ashby.html",
        {
            "assessments": sim_list(SIM_ASSESSMENT),
            "remembered_suffix": remembered[-4:] if remembered else "",
            "deliveries": sim_list(SIM_DELIVERY)[:20],
            "suffix": secrets.token_hex(3),
        },
    )


def submissions(request: HttpRequest) -> HttpResponse:
    rows = [
        {"obj": s, "pretty": json.dumps(s.data.get("body"), indent=2, ensure_ascii=False)}
        for s in sim_list(SIM_SUBMISSION)
    ]
    return render(request, "integrations/providers/knit/sim_submissions.html", {"rows": rows})
