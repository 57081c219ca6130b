"""`POST oauth/token` at /partners/smartrecruiters/: SmartRecruiters exchanges the partner client
credentials we issued (PartnerConfigurationRequest.oauthTokenUrl) for a Bearer token to the other
partner endpoints (apis.py, apis_inline.py). RFC 6749 client credentials; the body is SRO's
TokenInput, the answer SRO's AccessToken (access_token, expires_in; we add token_type and scope,
RFC 6749 5.1), errors RFC 6749 5.2's {"error", "error_description"} (SRO TokenErrorResponse).

SRO's TokenInput has no `scope`: SR's request without one gets every scope the partner endpoints
declare (`packages_view`, `orders_modify`); one that names scopes gets those we offer (RFC 6749
3.3), `invalid_scope` when none. The token itself (signed, an hour, revoked by a new partner
secret) is issued and checked in apis.py (partner_token_issue, PartnerBearerAuthentication)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import constants
from .apis import basic_credentials, partner_client_verified, partner_token_issue


def _scopes_granted(requested: str) -> tuple[str, ...] | None:
    """The scopes a token request gets: all we offer when it names none (SRO TokenInput has no
    `scope`), else those of the requested ones we offer (RFC 6749 3.3: the server may issue fewer;
    SRO's scheme spelling `orders_manage` counts as orders_modify); None when it names none we offer."""
    if not requested.strip():
        return constants.PARTNER_API_SCOPES
    names = {constants.PARTNER_API_SCOPE_ALIASES.get(n, n) for n in requested.split()}
    granted = tuple(s for s in constants.PARTNER_API_SCOPES if s in names)
    return granted or None


class SmartRecruitersTokenApi(APIView):
    """RFC 6749 client credentials. Errors use the RFC's {"error", "error_description"} shape
    (not our usual one) because SR's OAuth client parses exactly that."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="smartrecruiters_partner_token",
        request=inline_serializer(
            "SmartRecruitersTokenRequest",
            {
                "grant_type": serializers.ChoiceField(choices=["client_credentials"]),
                "client_id": serializers.CharField(required=False),
                "client_secret": serializers.CharField(required=False),
                "scope": serializers.CharField(required=False),
            },
        ),
        responses={
            200: inline_serializer(
                "SmartRecruitersToken",
                {
                    "access_token": serializers.CharField(),
                    "token_type": serializers.CharField(),
                    "expires_in": serializers.IntegerField(),
                    "scope": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(
                description="RFC 6749 error body (invalid_client for credentials in the body, "
                "invalid_scope when the requested scopes name none we offer)"
            ),
            401: OpenApiResponse(
                description="RFC 6749 error body (invalid_client with Basic authentication)"
            ),
            429: OpenApiResponse(
                description="Too many failed token requests from this address: our JSON error shape "
                "(rate_limited) with Retry-After; the right credentials are still answered 200"
            ),
        },
    )
    def post(self, request):
        client_id, client_secret = _client_credentials(request)
        basic = request.headers.get("Authorization", "").startswith("Basic ")
        if request.data.get("grant_type") != "client_credentials":
            return Response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Only grant_type=client_credentials is supported.",
                },
                status=400,
            )
        # A failure is charged to the caller's failure budget even when the client id is unknown
        # (this 400 is a failed login as much as a 401 is); logged only while that budget holds,
        # and answered 429 by InboundGuardMiddleware once it is spent.
        integration = partner_client_verified(
            request,
            client_id,
            client_secret,
            message="SmartRecruiters asked for a token with a wrong partner client secret.",
        )
        if integration is None:
            # RFC 6749 5.2 (SRO lists 400 TokenErrorResponse): 400, or 401 with WWW-Authenticate
            # when the client authenticated with the Authorization header.
            return Response(
                {"error": "invalid_client", "error_description": "Unknown client or wrong secret."},
                status=401 if basic else 400,
                headers={"WWW-Authenticate": 'Basic realm="jobcannon"'} if basic else None,
            )
        scopes = _scopes_granted(str(request.data.get("scope") or ""))
        if scopes is None:
            return Response(
                {
                    "error": "invalid_scope",
                    "error_description": "JobCannon's partner API offers the scopes "
                    + " ".join(constants.PARTNER_API_SCOPES)
                    + ".",
                },
                status=400,
            )
        return Response(
            {
                "access_token": partner_token_issue(integration, scopes),
                "token_type": "Bearer",
                "expires_in": constants.PARTNER_TOKEN_SECONDS,
                "scope": " ".join(scopes),  # RFC 6749 5.1; SRO AccessToken requires only the two above
            }
        )


def _client_credentials(request) -> tuple[str, str]:
    return basic_credentials(request) or (
        str(request.data.get("client_id", "")),
        str(request.data.get("client_secret", "")),
    )
