"""The simulator's OAuth 2.0 side: the consent page an Ashby admin approves (with "Invalid OAuth
scope" for a scope the workspace plan lacks, as seed 000 describes) and the token endpoint
(authorization_code with PKCE, refresh_token; refresh tokens are not rotated: ~2 years)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from integrations.simulator_plugins.models import SimulatorObject

from . import constants
from . import simulator_state as state

T = "integrations/providers/ashby/simulator/"

# --- OAuth token endpoint ---------------------------------------------------------------------


def _client_auth(request: HttpRequest) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            from urllib.parse import unquote

            return unquote(user), unquote(password)
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _issue_tokens(
    *, account: str, client_id: str, scopes: list[str], refresh_token: str = ""
) -> dict[str, Any]:
    access = "ashby_at_" + secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(hours=1)
    state.put(
        "access_token",
        state.digest(access),
        {"account": account, "client_id": client_id, "scopes": scopes, "expires_at": expires.isoformat()},
    )
    if not refresh_token:
        refresh_token = "ashby_rt_" + secrets.token_urlsafe(40)
        state.put(
            "refresh_token",
            state.digest(refresh_token),
            {
                "account": account,
                "client_id": client_id,
                "scopes": scopes,
                "issued_at": state.now_iso(),
                "revoked": False,
            },
        )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": refresh_token,
        "scope": " ".join(scopes),
    }


@csrf_exempt
def oauth_token(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return _oauth_error("invalid_request", "POST required.", 405)
    client_id, client_secret = _client_auth(request)
    client = state.get("oauth_client", client_id) if client_id else None
    if client is None or not secrets.compare_digest(
        client.data["secret_sha256"], state.digest(client_secret)
    ):
        return _oauth_error("invalid_client", "Unknown client or wrong client secret.", 401)
    grant = request.POST.get("grant_type", "")
    if grant == "authorization_code":
        with transaction.atomic():
            code = (
                SimulatorObject.objects.select_for_update()
                .filter(provider=state.P, kind="auth_code", key=state.digest(request.POST.get("code", "")))
                .first()
            )
            if code is None or code.data.get("used") or code.data["client_id"] != client_id:
                return _oauth_error("invalid_grant", "The authorization code is invalid or was already used.")
            code.data = {**code.data, "used": True}
            code.save(update_fields=["data", "updated_at"])
        expires = parse_datetime(code.data["expires_at"])
        if expires is None or expires < timezone.now():
            return _oauth_error("invalid_grant", "The authorization code expired.")
        if request.POST.get("redirect_uri", "") != code.data["redirect_uri"]:
            return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
        challenge = code.data.get("code_challenge")
        if challenge:
            verifier = request.POST.get("code_verifier", "")
            computed = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if not secrets.compare_digest(computed, challenge):
                return _oauth_error("invalid_grant", "PKCE verification failed.")
        return JsonResponse(
            _issue_tokens(account=code.data["account"], client_id=client_id, scopes=code.data["scopes"])
        )
    if grant == "refresh_token":
        refresh = request.POST.get("refresh_token", "")
        stored = state.get("refresh_token", state.digest(refresh))
        if stored is None or stored.data.get("revoked") or stored.data["client_id"] != client_id:
            return _oauth_error("invalid_grant", "The refresh token is invalid, expired or revoked.")
        # Ashby refresh tokens last about 2 years (seed 000): the same one is returned.
        return JsonResponse(
            _issue_tokens(
                account=stored.data["account"],
                client_id=client_id,
                scopes=stored.data["scopes"],
                refresh_token=refresh,
            )
        )
    return _oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported.")


class ConsentView(View):
    """GET /oauth/authorize: the Ashby admin approves JobCannon's scopes. Errors that must not be
    redirected (unknown client, no redirect_uri) are shown on this page, per RFC 6749 §4.1.2.1."""

    def _client(self, params) -> tuple[SimulatorObject | None, str]:
        client = state.get("oauth_client", params.get("client_id", ""))
        if client is None:
            return (
                None,
                "Unknown client_id: create the app in Ashby (Settings → Integrations → Connected Apps).",
            )
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return None, "redirect_uri is missing."
        if params.get("response_type") != "code":
            return None, "response_type must be code."
        return client, ""

    def get(self, request: HttpRequest) -> HttpResponse:
        client, error = self._client(request.GET)
        if client is None:
            return render(request, T + "consent.html", {"error": error}, status=400)
        account = _account(client.data["account"])
        scopes = request.GET.get("scope", "").split()
        return render(
            request,
            T + "consent.html",
            {"client": client, "account": account, "scopes": scopes, "params": request.GET.items()},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        client, error = self._client(request.POST)
        if client is None:
            return render(request, T + "consent.html", {"error": error}, status=400)
        account = _account(client.data["account"])
        redirect_uri, oauth_state = request.POST["redirect_uri"], request.POST.get("state", "")
        scopes = request.POST.get("scope", "").split()
        if request.POST.get("decision") != "approve":
            return self._back(
                redirect_uri,
                error="access_denied",
                error_description="The admin declined.",
                state=oauth_state,
            )
        missing = [s for s in scopes if s in account.data.get("unavailable_scopes", [])]
        unknown = [s for s in scopes if s not in constants.SCOPES]
        if missing or unknown:
            return self._back(
                redirect_uri,
                state=oauth_state,
                error="invalid_scope",
                error_description=(
                    f"Invalid OAuth scope: {' '.join(missing + unknown)} is not available on your workspace tier "
                    f"({account.data.get('plan', 'Standard')})."
                ),
            )
        code = "ashby_code_" + secrets.token_urlsafe(24)
        state.put(
            "auth_code",
            state.digest(code),
            {
                "account": account.key,
                "client_id": client.key,
                "scopes": scopes,
                "redirect_uri": redirect_uri,
                "code_challenge": request.POST.get("code_challenge", ""),
                "expires_at": (timezone.now() + timedelta(minutes=10)).isoformat(),
            },
        )
        return self._back(redirect_uri, code=code, state=oauth_state)

    @staticmethod
    def _back(redirect_uri: str, **params: str) -> HttpResponse:
        separator = "&" if "?" in redirect_uri else "?"
        return redirect(redirect_uri + separator + urlencode(params))


def _account(account_id: str) -> SimulatorObject:
    account = state.account_get(account_id)
    if account is None:
        raise Http404("No such simulated Ashby account")
    return account
