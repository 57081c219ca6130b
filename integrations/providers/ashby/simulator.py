"""The built-in Ashby simulator's pages (mounted at /sim/ashby/ when ATS_SIMULATORS_ENABLED):
OAuth consent, sandbox candidates (seed 000 "Settings → Sandbox Candidates"), "trigger a
JobCannon assessment" from a candidate profile (our partner API over real HTTP, as Ashby calls
it), and what the partner wrote back: status timeline and scorecard. Wire endpoints are in
simulator_api.py, state and partner calls in simulator_state.py, webhooks out (with Ashby's
retries, and the page's "Send due retries now") in simulator_webhooks.py."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views import View

from integrations.simulator_plugins.models import SimulatorObject

from . import constants, simulator_api, simulator_oauth
from . import simulator_state as state
from . import simulator_support as sim_html
from . import simulator_webhooks as outbound
from .simulator_sync_data import candidate_application, candidate_applications

T = "integrations/providers/ashby/simulator/"


def _account(account_id: str) -> SimulatorObject:
    account = state.account_get(account_id)
    if account is None:
        raise Http404("No such simulated Ashby account")
    return account


class HomeView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        accounts = SimulatorObject.objects.filter(provider=state.P, kind="account").order_by("created_at")
        return render(request, T + "home.html", {"accounts": accounts})

    def post(self, request: HttpRequest) -> HttpResponse:
        name = request.POST.get("name", "").strip()[:100] or "Sandbox workspace"
        account_id = "acct-" + secrets.token_hex(5)
        state.account_ensure(account_id, name)
        return redirect("integrations:sim-ashby:account", account_id=account_id)


class AccountView(View):
    def get(self, request: HttpRequest, account_id: str) -> HttpResponse:
        account = _account(account_id)
        outbound.webhook_retries_due(account=account_id)  # Ashby retries in the background
        assessments = {a.data.get("candidate_id") for a in state.list_for("assessment", account_id)}
        applications = candidate_applications(account_id)
        candidates = [
            (c, candidate_application(c, applications.get(c.key)))
            for c in state.list_for("candidate", account_id)
        ]
        return render(
            request,
            T + "account.html",
            {
                "account": account,
                "candidates": candidates,
                "with_assessment": assessments,
                "webhooks": state.list_for("webhook", account_id),
                "retried": outbound.deliveries_for(account_id),
                "max_attempts": outbound.MAX_ATTEMPTS,
                "api_keys": state.list_for("api_key", account_id),
                "oauth_clients": state.list_for("oauth_client", account_id),
                "new_secret": request.session.pop("ashby_sim_new_secret", None),
                "scopes": constants.SCOPES,
                "permissions": state.ALL_PERMISSIONS,
            },
        )

    def post(self, request: HttpRequest, account_id: str) -> HttpResponse:
        account = _account(account_id)
        action = request.POST.get("action", "")
        if action == "candidate":
            first, last = (
                request.POST.get("first_name", "").strip()[:60],
                request.POST.get("last_name", "").strip()[:60],
            )
            if not first:
                messages.error(request, "Enter the candidate's first name.")
                return redirect("integrations:sim-ashby:account", account_id=account_id)
            candidate = state.candidate_create(
                account_id,
                first_name=first,
                last_name=last,
                email=request.POST.get("email", "").strip()[:200],
                job_name=request.POST.get("job", "").strip()[:100] or "Backend Engineer",
            )
            messages.success(request, f"Sandbox candidate {candidate.data['name']} created.")
            return redirect(
                "integrations:sim-ashby:candidate", account_id=account_id, candidate_id=candidate.key
            )
        if action == "partner":
            state.account_update(
                account_id,
                partner={
                    "base_url": request.POST.get("base_url", "").strip()[:500],
                    "api_key": request.POST.get("api_key", "").strip()[:300],
                },
            )
            messages.success(request, "JobCannon assessment integration settings saved.")
        elif action == "settings":
            unavailable = [s for s in request.POST.getlist("unavailable_scopes") if s in constants.SCOPES]
            header = request.POST.get("signature_header")
            state.account_update(
                account_id,
                plan=request.POST.get("plan", "Enterprise")[:40],
                unavailable_scopes=unavailable,
                signature_header=header
                if header in (constants.SIGNATURE_HEADER, constants.SEED_SIGNATURE_HEADER)
                else constants.SIGNATURE_HEADER,
            )
            messages.success(request, "Workspace settings saved.")
        elif action == "api-key":
            chosen = (
                [p for p in request.POST.getlist("permissions") if p in state.ALL_PERMISSIONS]
                if request.POST.get("permissions_chosen")
                else None
            )
            request.session["ashby_sim_new_secret"] = {
                "API key": state.api_key_create(account_id, title="Created in simulator", permissions=chosen)
            }
        elif action == "api-key-permissions":
            edited = state.api_key_permissions_set(
                account_id, request.POST.get("key", ""), request.POST.getlist("permissions")
            )
            if edited is None:
                messages.error(request, "No such API key in this workspace.")
            else:
                messages.success(request, f"Permissions of API key …{edited.data['hint']} saved.")
        elif action == "retry-due":
            sent = outbound.webhook_retries_due(account=account_id)
            messages.success(request, f"{len(sent)} due webhook retr{'y' if len(sent) == 1 else 'ies'} sent.")
        elif action == "oauth-app":
            client_id, client_secret = state.oauth_client_create(account_id)
            request.session["ashby_sim_new_secret"] = {"Client ID": client_id, "Client Secret": client_secret}
        del account
        return redirect("integrations:sim-ashby:account", account_id=account_id)


class CandidateView(View):
    def _candidate(self, account_id: str, candidate_id: str) -> tuple[SimulatorObject, SimulatorObject]:
        account = _account(account_id)
        candidate = state.get("candidate", candidate_id)
        if candidate is None or candidate.data.get("account") != account_id:
            raise Http404("No such candidate")
        return account, candidate

    def get(self, request: HttpRequest, account_id: str, candidate_id: str) -> HttpResponse:
        account, candidate = self._candidate(account_id, candidate_id)
        types: list = []
        fields: list = []
        partner_error = ""
        if (account.data.get("partner") or {}).get("base_url"):
            types, partner_error = sim_html.assessment_types(account)
            status, body = state.partner_call(account, "assessment.customField.list", {})
            if status == 200 and isinstance(body, dict):
                fields = body.get("fields") or []
        assessments = [
            a for a in state.list_for("assessment", account_id) if a.data.get("candidate_id") == candidate.key
        ]
        notes = [n for n in state.list_for("note", account_id) if n.data.get("candidate_id") == candidate.key]
        return render(
            request,
            T + "candidate.html",
            {
                "account": account,
                "candidate": candidate,
                "application": candidate_application(candidate),
                "types": types,
                "fields": fields,
                "partner_error": partner_error,
                "assessments": [sim_html.assessment_view(a) for a in reversed(assessments)],
                "notes": [
                    {
                        "created_at": n.data["created_at"],
                        "html": sim_html.sanitize(n.data["content"]),
                        "stripped": n.data.get("stripped_tags") or [],
                    }
                    for n in notes
                ],
            },
        )

    def post(self, request: HttpRequest, account_id: str, candidate_id: str) -> HttpResponse:
        account, candidate = self._candidate(account_id, candidate_id)
        back = redirect("integrations:sim-ashby:candidate", account_id=account_id, candidate_id=candidate_id)
        if request.POST.get("action") == "cancel":
            aid = request.POST.get("assessment_id", "")
            status, body = state.partner_call(account, "assessment.cancel", {"assessment_id": aid})
            if status == 200 and isinstance(body, dict) and body.get("success"):
                sim_html.apply_partner_update(aid, (body.get("results") or {}).get("update_request"))
                messages.success(request, "Assessment cancelled in JobCannon.")
            else:
                messages.error(
                    request, f"JobCannon could not cancel it ({status}): {sim_html.describe(body)}"
                )
            return back
        type_id = request.POST.get("assessment_type_id", "")
        extra = {
            k: request.POST[f"field_{k}"]
            for k in (constants.FIELD_DUE_DATE, constants.FIELD_EMAIL_TEMPLATE)
            if request.POST.get(f"field_{k}")
        }
        ok, sentence = sim_html.start_from_profile(account, candidate, type_id, extra)
        (messages.success if ok else messages.error)(request, sentence)
        return back


urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("oauth/authorize", simulator_oauth.ConsentView.as_view(), name="oauth-authorize"),
    path("oauth/token", simulator_oauth.oauth_token, name="oauth-token"),
    path("a/<str:account_id>/", AccountView.as_view(), name="account"),
    path("a/<str:account_id>/candidates/<str:candidate_id>/", CandidateView.as_view(), name="candidate"),
    # Ashby's RPC endpoints: /sim/ashby/apiKey.info, /sim/ashby/assessment.update, ...
    path("<str:endpoint>", simulator_api.api, name="api"),
]
