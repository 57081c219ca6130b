"""How the SmartRecruiters sandbox answers API calls: Bearer token -> company, rate limit (429),
data region (US/EU host), scopes (403 OAuthPermissionsException), SR's error body shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import constants
from . import simulator_state as state


def sr_error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    response = JsonResponse(body, status=status)
    if status == 429:
        response["X-RateLimit-Limit"] = str(extra.get("limit", ""))
        response["X-RateLimit-Remaining"] = "0"
    return response


def api(scope: str | None = None) -> Callable:
    """Bearer token → company, rate limit, region check, scope check (SR's OAuthPermissionsException)."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        def wrapper(request: HttpRequest, region: str, **kwargs: Any) -> HttpResponse:
            header = request.headers.get("Authorization", "")
            token = state.token_lookup(header[7:]) if header.startswith("Bearer ") else None
            company = state.get("company", token["company"]) if token else None
            if token is None or company is None:
                return sr_error(401, "UNAUTHORIZED", "Invalid or expired access token.")
            if state.rate_limited(company):
                return sr_error(
                    429, "TOO_MANY_REQUESTS", "Rate limit exceeded.", limit=company.get("rate_limit")
                )
            if region not in ("us", "eu") or region != company.get("region", "us"):
                return sr_error(
                    400,
                    "WRONG_REGION",
                    f"This company's data is hosted in the "
                    f"{company.get('region', 'us').upper()} region; you called the {region.upper()} API host.",
                )
            if scope and scope not in token["scopes"]:
                return sr_error(
                    403,
                    "FORBIDDEN",
                    f"Access denied: the access token lacks the {scope} scope.",
                    errors=[{"code": "OAuthPermissionsException", "message": f"Missing scope {scope}"}],
                )
            request.sr_region = region  # type: ignore[attr-defined]
            request.sr_scopes = token["scopes"]  # type: ignore[attr-defined]
            return view(request, company, **kwargs)

        return wrapper

    return decorate


def _json(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _api_base(request: HttpRequest) -> str:
    return request.build_absolute_uri(f"/sim/{constants.KEY}/api/{request.sr_region}")  # type: ignore[attr-defined]
