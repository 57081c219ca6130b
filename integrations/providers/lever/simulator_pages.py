"""The built-in Lever sandbox's pages (what a Lever user clicks) and its OAuth server.

Pages: candidates (seed 004 "Candidates → Add Candidate"), one opportunity (advance to a stage,
which sends `candidateStageChange` to us over HTTP; archive; application status; the feedback
forms and notes we wrote), API credentials. OAuth lives in simulator_oauth.py."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from . import constants, simulator_oauth
from . import simulator_state as state
from . import simulator_webhooks as outbound

TEMPLATE = "integrations/providers/lever/sim_{}.html"
UUID_IN_URL = re.compile(r"/webhooks/lever/([0-9a-f-]{36})/")


def _integration_link(opportunity_id: str) -> str:
    """Lever's "custom step" link into the partner: our deep link for the connected integration."""
    for hook in state.rows("webhook"):
        match = UUID_IN_URL.search(hook["url"])
        if match:
            return (
                settings.JOBCANNON_BASE_URL
                + reverse("integrations:partner-lever:open", args=[match.group(1)])
                + "?"
                + urlencode({"opportunity": opportunity_id})
            )
    return ""


def home(request: HttpRequest) -> HttpResponse:
    state.ensure_seeded()
    outbound.deliveries_retry_due()  # Lever keeps retrying failed deliveries in the background
    error = ""
    if request.method == "POST":
        name, email = request.POST.get("name", "").strip(), request.POST.get("email", "").strip()
        posting = state.get("posting", request.POST.get("posting", ""))
        stage_id = request.POST.get("stage", "")
        stage_id = stage_id if state.get("stage", stage_id) else state.stage_id_by_name("New applicant")
        if not name or "@" not in email or posting is None:
            error = "Enter a name, an email address and a posting."
        else:
            opp = opportunity_create(name=name, email=email, posting_id=posting["id"], stage_id=stage_id)
            return redirect("integrations:sim-lever:opportunity", opportunity_id=opp["id"])
    stages = {s["id"]: s["text"] for s in state.rows("stage")}
    return render(
        request,
        TEMPLATE.format("home"),
        {
            "opportunities": [
                {**o, "stage_name": stages.get(o["stage"], o["stage"])} for o in state.rows("opportunity")
            ],
            "stage_list": state.rows("stage"),
            "postings": state.rows("posting"),
            "webhooks": state.rows("webhook"),
            "deliveries": list(reversed(state.rows("delivery")))[:15],
            "error": error,
            "api_base": request.build_absolute_uri("v1"),
        },
        status=400 if error else 200,
    )


def opportunity_create(
    *, name: str, email: str, posting_id: str, stage_id: str, only_url: str = ""
) -> dict[str, Any]:
    now = state.now_ms()
    opp_id, contact_id, application_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    opp = {
        "id": opp_id,
        "name": name,
        "contact": contact_id,
        "headline": "",
        "emails": [email],
        "phones": [],
        "stage": stage_id,
        "stageChanges": [{"toStageId": stage_id, "updatedAt": now, "userId": None}],
        "tags": [],
        "sources": ["JobCannon sandbox"],
        "origin": "applied",
        "archived": None,
        "applications": [
            {
                "id": application_id,
                "type": "posting",
                "posting": posting_id,
                "opportunityId": opp_id,
                "candidateId": opp_id,
                "status": "active",
                "createdAt": now,
            }
        ],
        "urls": {"list": "", "show": f"{settings.JOBCANNON_BASE_URL}/sim/lever/opportunities/{opp_id}/"},
        "createdAt": now,
        "updatedAt": now,
        "lastAdvancedAt": now,
        "isAnonymized": False,
    }
    state.put("opportunity", opp_id, opp)
    data = {
        "opportunityId": opp_id,
        "candidateId": opp_id,
        "contactId": contact_id,
        "applicationId": application_id,
        "postingId": posting_id,
    }
    outbound.send_event(constants.EVENT_APPLICATION_CREATED, data, opportunity_id=opp_id, only_url=only_url)
    return opp


def opportunity_page(request: HttpRequest, opportunity_id: str) -> HttpResponse:
    opp = state.get("opportunity", opportunity_id)
    if opp is None:
        return render(
            request,
            "error.html",
            {
                "title": "No such opportunity",
                "status": 404,
                "message": "This sandbox opportunity does not exist.",
            },
            status=404,
        )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "advance" and state.get("stage", request.POST.get("stage", "")):
            opportunity_advance(opp, request.POST["stage"])
        elif action == "archive":
            opportunity_archive(opp, archived=not opp.get("archived"))
        elif action == "status" and request.POST.get("status") in ("active", "rejected", "spam"):
            opp["applications"][0]["status"] = request.POST["status"]
            state.put("opportunity", opp["id"], opp)
        return redirect("integrations:sim-lever:opportunity", opportunity_id=opportunity_id)
    templates = {t["id"]: t["text"] for t in state.rows("feedback_template")}
    users = {u["id"]: u["name"] for u in state.rows("user")}
    feedback = [
        {**f, "template_name": templates.get(f["baseTemplateId"], ""), "author": users.get(f["user"], "")}
        for f in state.rows("feedback", opportunity=opportunity_id)
    ]
    return render(
        request,
        TEMPLATE.format("opportunity"),
        {
            "opp": opp,
            "stages": state.rows("stage"),
            "stage_name": (state.get("stage", opp["stage"]) or {}).get("text", ""),
            "feedback": feedback,
            "notes": state.rows("note", opportunity=opportunity_id),
            "deliveries": list(reversed(state.rows("delivery", opportunity=opportunity_id))),
            "send_link": _integration_link(opportunity_id),
            "application": opp["applications"][0],
        },
    )


def opportunity_advance(opp: dict[str, Any], stage_id: str, *, only_url: str = "") -> list[dict[str, Any]]:
    from_stage, now = opp["stage"], state.now_ms()
    opp.update(stage=stage_id, lastAdvancedAt=now, updatedAt=now)
    opp["stageChanges"].append({"toStageId": stage_id, "updatedAt": now, "userId": None})
    state.put("opportunity", opp["id"], opp)
    return outbound.send_event(
        constants.EVENT_CANDIDATE_STAGE_CHANGE,
        {
            "opportunityId": opp["id"],
            "candidateId": opp["id"],
            "contactId": opp["contact"],
            "toStageId": stage_id,
            "fromStageId": from_stage,
        },
        opportunity_id=opp["id"],
        only_url=only_url,
    )


def opportunity_archive(opp: dict[str, Any], *, archived: bool) -> None:
    opp["archived"] = {"archivedAt": state.now_ms(), "reason": "sandbox"} if archived else None
    state.put("opportunity", opp["id"], opp)
    outbound.send_event(
        constants.EVENT_CANDIDATE_ARCHIVE_CHANGE,
        {
            "opportunityId": opp["id"],
            "candidateId": opp["id"],
            "contactId": opp["contact"],
            "toArchived": opp["archived"],
            "fromArchived": None,
        },
        opportunity_id=opp["id"],
    )


def credentials_page(request: HttpRequest) -> HttpResponse:
    """Settings → Integrations → API Credentials (seed 004 Step 1)."""
    new_key = ""
    if request.method == "POST":
        scopes = [s for s in request.POST.getlist("scopes") if s in constants.SEED_SCOPES]
        age_days = (
            int(request.POST.get("age_days") or 0) if request.POST.get("age_days", "0").isdigit() else 0
        )
        new_key = state.api_key_register(
            scopes=scopes,
            label=request.POST.get("label") or "JobCannon Assessments",
            created_ms=state.now_ms() - age_days * 86_400_000,
        )
    return render(
        request,
        TEMPLATE.format("credentials"),
        {
            "keys": state.rows("api_key"),
            "scopes": constants.SEED_SCOPES,
            "new_key": new_key,
        },
    )


def webhooks_page(request: HttpRequest) -> HttpResponse:
    """Settings → Integrations and API → Webhooks: the plan (with or without the Webhooks
    Subscription API), the webhook groups a Super Admin switches on, webhooks added by hand, each webhook's own signature token (the one a
    Super Admin copies), the delivery history with "Rerun" (LD "Webhooks delivery history")."""
    state.ensure_seeded()
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "plan":
            outbound.plan_set(webhooks_api=request.POST.get("webhooks_api") == "on")
        elif action == "groups":  # the Super Admin's "toggle-on the webhook group" (LD)
            outbound.webhook_groups_set(request.POST.getlist("groups"))
        elif action == "add":
            url, event = request.POST.get("url", "").strip(), request.POST.get("event", "")
            if (
                not url.startswith(("https://", "http://"))
                or event not in dict(constants.MANUAL_EVENTS).values()
            ):
                error = "Enter an absolute URL and pick an event."
            else:
                outbound.webhook_add(url=url, event=event, by_hand=True)
        elif action == "rerun":
            outbound.delivery_rerun(request.POST.get("delivery", ""))
        elif action == "retry_due":
            outbound.deliveries_retry_due()
        if not error:
            return redirect("integrations:sim-lever:webhooks")
    groups_on = outbound.webhook_groups_on()
    return render(
        request,
        TEMPLATE.format("webhooks"),
        {
            "webhooks_api": outbound.webhooks_api_enabled(),
            "webhooks": [{**w, "sending": outbound.webhook_sending(w)} for w in state.rows("webhook")],
            "groups": [(label, event, event in groups_on) for label, event in state.WEBHOOK_GROUPS],
            "events": constants.MANUAL_EVENTS,
            "deliveries": list(reversed(state.rows("delivery")))[:30],
            "error": error,
        },
        status=400 if error else 200,
    )


urlpatterns = [
    path("settings/webhooks/", webhooks_page, name="webhooks"),
    path("", home, name="home"),
    path("opportunities/<str:opportunity_id>/", opportunity_page, name="opportunity"),
    path("settings/credentials/", credentials_page, name="credentials"),
    path("oauth/authorize", simulator_oauth.oauth_authorize, name="oauth-authorize"),
    path("oauth/token", simulator_oauth.oauth_token, name="oauth-token"),
]
