"""The built-in Lever sandbox's OAuth server: auth.lever.co's consent page and token endpoint
(https://hire.lever.co/developer/oauth). `audience` is required on /authorize, the user may untick
scopes, refresh tokens come only with `offline_access` and rotate on every use (LO: "you get a
new refresh_token")."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from . import constants
from . import simulator_state as state

TEMPLATE = "integrations/providers/lever/sim_{}.html"


def _redirect_back(redirect_uri: str, **params: str) -> HttpResponse:
    return redirect(redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(params))


def oauth_authorize(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    client_id, redirect_uri, state_param = (
        params.get("client_id", ""),
        params.get("redirect_uri", ""),
        params.get("state", ""),
    )
    if (
        not client_id
        or not redirect_uri.startswith(("http://", "https://"))
        or params.get("response_type") != "code"
    ):
        return render(
            request,
            "error.html",
            {
                "title": "Invalid authorization request",
                "status": 400,
                "message": "client_id, redirect_uri and response_type=code are required.",
            },
            status=400,
        )
    if params.get("audience") not in (constants.AUDIENCE, constants.SANDBOX_AUDIENCE):
        return _redirect_back(
            redirect_uri,
            state=state_param,
            error="invalid_request",
            error_description=f"audience is required: {constants.AUDIENCE}",
        )
    requested = [s for s in params.get("scope", "").split() if s]
    if request.method == "GET":
        return render(request, TEMPLATE.format("consent"), {"params": params, "scopes": requested})
    if request.POST.get("decision") != "allow":
        return _redirect_back(
            redirect_uri,
            state=state_param,
            error="access_denied",
            error_description="The user denied access to JobCannon.",
        )
    granted = [s for s in request.POST.getlist("granted") if s in requested]
    code = secrets.token_urlsafe(24)
    state.put(
        "oauth_code",
        code,
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scopes": granted,
            "at": state.now_ms(),
            "used": False,
        },
    )
    return _redirect_back(redirect_uri, code=code, state=state_param)


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _issue_tokens(client_id: str, scopes: list[str]) -> dict[str, Any]:
    access = "lvr_at_" + secrets.token_urlsafe(24)
    state.put(
        "access_token",
        state.digest(access),
        {"client_id": client_id, "scopes": scopes, "expiresAt": state.now_ms() + 3600 * 1000},
    )
    out = {"access_token": access, "token_type": "Bearer", "scope": " ".join(scopes), "expires_in": 3600}
    if "offline_access" in scopes:
        refresh = "lvr_rt_" + secrets.token_urlsafe(24)
        state.put(
            "refresh_token", state.digest(refresh), {"client_id": client_id, "scopes": scopes, "active": True}
        )
        out["refresh_token"] = refresh
    return out


@csrf_exempt
def oauth_token(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return _oauth_error("invalid_request", "POST only.", 405)
    form = request.POST
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id or not client_secret:
        return _oauth_error("invalid_client", "client_id and client_secret are required.", 401)
    # The sandbox trusts a client on first use and holds it to that secret afterwards.
    client = state.get("oauth_client", client_id) or state.put(
        "oauth_client", client_id, {"secret_digest": state.digest(client_secret)}
    )
    if client["secret_digest"] != state.digest(client_secret):
        return _oauth_error("invalid_client", "Wrong client secret.", 401)
    if form.get("grant_type") == "authorization_code":
        code = state.get("oauth_code", form.get("code", ""))
        if (
            code is None
            or code["used"]
            or code["client_id"] != client_id
            or code["redirect_uri"] != form.get("redirect_uri")
        ):
            return _oauth_error("invalid_grant", "Invalid, used or foreign authorization code.")
        state.put("oauth_code", form["code"], {**code, "used": True})
        return JsonResponse(_issue_tokens(client_id, code["scopes"]))
    if form.get("grant_type") == "refresh_token":
        key = state.digest(form.get("refresh_token", ""))
        refresh = state.get("refresh_token", key)
        if refresh is None or not refresh["active"] or refresh["client_id"] != client_id:
            return _oauth_error("invalid_grant", "Unknown, rotated or revoked refresh token.")
        state.put(
            "refresh_token", key, {**refresh, "active": False}
        )  # rotation: each refresh token works once
        return JsonResponse(_issue_tokens(client_id, refresh["scopes"]))
    return _oauth_error("unsupported_grant_type", "authorization_code or refresh_token.")
