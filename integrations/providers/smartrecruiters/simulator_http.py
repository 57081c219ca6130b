"""How the SmartRecruiters sandbox answers API calls: Bearer token -> company, rate limit (429),
credential kind and scopes (403 with the code SRO documents for the endpoint), SR's error body
shape (SRO ErrorResponse)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import constants
from . import simulator_state as state


def sr_error(
    status: int,
    code: str,
    message: str,
    concurrent_limit: int = constants.CONCURRENT_REQUESTS,
    limit: Any = None,
) -> JsonResponse:
    """SRO ErrorResponse: {"message", "errors": [{"code", "message"}]} (`errors` required, each
    with a `code`); the codes are the ones SRO lists for the endpoint where it lists any (e.g.
    NO_PERMISSION_TO_MANAGE_WEBHOOKS, SUBSCRIPTIONS_LIMIT_EXCEEDED), else the sandbox's own [I]."""
    body = {"message": message, "errors": [{"code": code, "message": message}]}
    response = JsonResponse(body, status=status)
    if status == 429:  # SRD /docs/rate-limiting response headers
        response["X-RateLimit-Limit"] = "" if limit is None else str(limit)
        response["X-RateLimit-Remaining"] = "0"
        response["X-RateLimit-Concurrent-Limit"] = str(concurrent_limit)
    return response


def _missing_scope(scope: str) -> JsonResponse:
    """403 for a token without the endpoint's scope. The Webhooks API documents its code: SRO
    POST /subscriptions and POST …/secret-key answer NO_PERMISSION_TO_MANAGE_WEBHOOKS ("when no
    permission to manage webhook subscriptions"); SRO names no code for its other subscription
    operations, which answer the same here [I]. Other endpoints: SRO says "Request missed
    required scopes" without a code; PERMISSION_DENIED is the code SRO uses for the Customer
    API's permission refusals (users, access groups) [I for these endpoints]."""
    if scope == constants.SCOPE_WEBHOOKS_MANAGE:
        return sr_error(
            403,
            constants.NO_PERMISSION_TO_MANAGE_WEBHOOKS,
            f"No permission to manage webhook subscriptions: the access token lacks the {scope} scope.",
        )
    return sr_error(403, "PERMISSION_DENIED", f"Request missed required scopes: {scope}.")


# SRD /docs/rate-limiting: GET /candidates allows 1 concurrent request (per credential).
CANDIDATE_LISTS = ("candidates.list", constants.CONCURRENT_CANDIDATE_LISTS)


def api(
    scope: str | tuple[str, ...] | None = None,
    grants: tuple[str, ...] = ("oauth", "company"),
    concurrency: tuple[str, int] | None = None,
) -> Callable:
    """Bearer token -> company, rate limit (429 with SR's X-RateLimit-* headers), the kind of
    credential the endpoint takes (`grants`: "oauth" = the customer's authorization code token,
    "company" / "partner" = client credentials), the scope, or every one of a tuple of scopes (as an
    SRO `security` list requires them all, e.g. reference.customer_api_oauth_scopes) (403, _missing_scope),
    and the endpoint's own concurrent-request limit where SR documents one (`concurrency`:
    (name, limit), e.g. CANDIDATE_LISTS): 429 while that many of its requests are in flight.

    SR publishes one API host for every company, and the sandbox serves its API at one path
    (/api/): a company's region is a label of its settings, never a route."""

    required = (scope,) if isinstance(scope, str) else tuple(scope or ())

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            header = request.headers.get("Authorization", "")
            token = state.token_lookup(header[7:]) if header.startswith("Bearer ") else None
            company = state.get("company", token["company"]) if token and token.get("company") else None
            grant = (token or {}).get("grant", "oauth")
            if token is None or (company is None and grant != "partner"):
                return sr_error(401, "UNAUTHORIZED", "Invalid or expired access token.")
            if company is not None and state.rate_limited(company):
                return sr_error(
                    429, "TOO_MANY_REQUESTS", "Rate limit exceeded.", limit=company.get("rate_limit")
                )
            if grant not in grants:
                # A token of the wrong kind has none of the endpoint's scopes (SRO: 403).
                if required:
                    return _missing_scope(" ".join(required))
                return sr_error(
                    403, "PERMISSION_DENIED", f"This endpoint does not accept {grant} credentials."
                )
            missing = [s for s in required if s not in token["scopes"]]
            if missing:
                return _missing_scope(" ".join(missing))
            request.sr_region = (company or {}).get("region", "")  # type: ignore[attr-defined]
            request.sr_scopes = token["scopes"]  # type: ignore[attr-defined]
            request.sr_grant = grant  # type: ignore[attr-defined]
            if company is not None and not state.concurrency_enter(company["id"]):
                return sr_error(
                    429,
                    "TOO_MANY_REQUESTS",
                    f"More than {constants.CONCURRENT_REQUESTS} concurrent requests.",
                    limit=company.get("rate_limit"),
                )
            try:
                if company is None or concurrency is None:
                    return view(request, company, **kwargs)
                name, limit = concurrency
                if not state.concurrency_enter(company["id"], name, limit):
                    return sr_error(
                        429,
                        "TOO_MANY_REQUESTS",
                        f"More than {limit} concurrent request(s) to this endpoint.",
                        concurrent_limit=limit,
                        limit=company.get("rate_limit"),
                    )
                try:
                    return view(request, company, **kwargs)
                finally:
                    state.concurrency_exit(company["id"], name)
            finally:
                if company is not None:
                    state.concurrency_exit(company["id"])

        return wrapper

    return decorate


def _json(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _api_base(request: HttpRequest) -> str:
    return request.build_absolute_uri(f"/sim/{constants.KEY}/api")
