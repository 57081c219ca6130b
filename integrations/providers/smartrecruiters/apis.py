"""The partner endpoints SmartRecruiters calls (Assessment API 2021, reference §2.2), mounted at
/partners/smartrecruiters/:

    POST oauth/token                        SR gets a token with the client credentials we issued
    GET  packages, packages/<id>            our instruments as assessment packages
    POST packages/orders                    SR orders a package for a candidate -> run + invitation
    DELETE integrations/companies/<id>      the company removed JobCannon in SmartRecruiters

Bodies and status codes are those of SR's OpenAPI for these operations (SRO, constants.py):
TokenInput / AccessToken / RFC 6749 errors, AssessmentPackage (a JSON array for the list, 204
when empty), AssessmentPackageOrderRequest answered 202 (404 for an unknown package).

Bearer tokens are signed and expire after an hour; they carry the integration and a fingerprint
of the partner secret, so issuing a new secret revokes every token."""

from __future__ import annotations

import base64

from django.core import signing
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.services.runs import instrument_list
from integrations.base import ATSProvider, constant_time_equals
from integrations.models import IntegrationStatus
from integrations.services.integrations import integration_disconnect
from integrations.services.partner_auth import (
    HASH_PREFIX,
    partner_auth_failure_record,
    partner_secret_matches,
)
from jobcannon.core.clientaddr import client_address
from jobcannon.core.exceptions import NotFound, ValidationFailed

from . import constants, mappers, selectors, services

TOKEN_SALT = "integrations.smartrecruiters.partner-token"


def _fingerprint(integration) -> str:
    """16 hex digits of the stored SHA-256 of our partner secret: a new secret revokes the tokens."""
    stored = integration.credential(services.PARTNER_SECRET_HASH, "") or ""
    return stored.removeprefix(HASH_PREFIX)[:16]


def partner_token_issue(integration) -> str:
    return signing.dumps({"i": integration.public_id.hex, "f": _fingerprint(integration)}, salt=TOKEN_SALT)


class PartnerBearerAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise AuthenticationFailed(
                "Missing Bearer token: get one from POST /partners/smartrecruiters/oauth/token."
            )
        try:
            claims = signing.loads(
                header[7:].strip(), salt=TOKEN_SALT, max_age=constants.PARTNER_TOKEN_SECONDS
            )
        except signing.SignatureExpired:
            raise AuthenticationFailed("The access token expired: request a new one.")
        except signing.BadSignature:
            raise AuthenticationFailed("The access token is not valid.")
        integration = selectors.integration_for_partner_client(
            constants.PARTNER_CLIENT_PREFIX + str(claims.get("i", ""))
        )
        fingerprint = _fingerprint(integration) if integration else ""
        if (
            integration is None
            or not fingerprint
            or not constant_time_equals(fingerprint, str(claims.get("f", "")))
        ):
            raise AuthenticationFailed("The access token was revoked: request a new one.")
        if integration.status == IntegrationStatus.DISCONNECTED:
            raise AuthenticationFailed("This JobCannon integration is disconnected.")
        return (None, integration)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="jobcannon"'


class PartnerBearerScheme(OpenApiAuthenticationExtension):
    """Describes PartnerBearerAuthentication in the OpenAPI document."""

    target_class = "integrations.providers.smartrecruiters.apis.PartnerBearerAuthentication"
    name = "smartrecruitersPartnerBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Token from POST oauth/token."}


_ERROR = OpenApiResponse(description='The standard error envelope {"error": {code, message, details}}.')
_ASSESSMENT = inline_serializer(
    "SmartRecruitersAssessment",
    {
        "id": serializers.CharField(),
        "type": serializers.CharField(),
        "name": serializers.CharField(),
        "description": serializers.CharField(),
    },
)
_PACKAGE = inline_serializer(
    "SmartRecruitersPackage",
    {
        "id": serializers.CharField(),
        "name": serializers.CharField(),
        "description": serializers.CharField(),
        "type": serializers.CharField(),
        "assessments": _ASSESSMENT.__class__(many=True),
    },
)


class _PartnerApi(APIView):
    authentication_classes = [PartnerBearerAuthentication]
    permission_classes = [AllowAny]
    # The SmartRecruitersProvider, set by provider.py when it builds the partner API's URLs
    # (`as_view(provider=self)`): this module sits below provider.py and never looks it up.
    provider: ATSProvider = None  # type: ignore[assignment]


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
            },
        ),
        responses={
            200: inline_serializer(
                "SmartRecruitersToken",
                {
                    "access_token": serializers.CharField(),
                    "token_type": serializers.CharField(),
                    "expires_in": serializers.IntegerField(),
                },
            ),
            400: OpenApiResponse(
                description="RFC 6749 error body (invalid_client for credentials in the body)"
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
        integration = selectors.integration_for_partner_client(client_id)
        stored = integration.credential(services.PARTNER_SECRET_HASH, "") if integration else ""
        if integration is None or not partner_secret_matches(client_secret, stored):
            # Charged to the caller's failure budget even when the client id is unknown (this 400
            # is a failed login as much as a 401 is); logged only while that budget holds, and
            # answered 429 by InboundGuardMiddleware once it is spent.
            partner_auth_failure_record(
                integration=integration,
                reason="wrong_secret",
                message="SmartRecruiters asked for a token with a wrong partner client secret.",
                source=client_address(request) or "",
            )
            # RFC 6749 5.2 (SRO lists 400 TokenErrorResponse): 400, or 401 with WWW-Authenticate
            # when the client authenticated with the Authorization header.
            return Response(
                {"error": "invalid_client", "error_description": "Unknown client or wrong secret."},
                status=401 if basic else 400,
                headers={"WWW-Authenticate": 'Basic realm="jobcannon"'} if basic else None,
            )
        return Response(
            {
                "access_token": partner_token_issue(integration),
                "token_type": "Bearer",
                "expires_in": constants.PARTNER_TOKEN_SECONDS,
            }
        )


def _client_credentials(request) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return user, password
        except (ValueError, UnicodeDecodeError):
            return "", ""
    return str(request.data.get("client_id", "")), str(request.data.get("client_secret", ""))


class SmartRecruitersPackageListApi(_PartnerApi):
    @extend_schema(
        operation_id="smartrecruiters_packages_list",
        responses={
            200: _PACKAGE.__class__(many=True),
            204: OpenApiResponse(description="No packages to present"),
            401: _ERROR,
        },
    )
    def get(self, request):
        packages = [mappers.package_body(i) for i in instrument_list(workspace=request.auth.workspace)]
        return Response(packages) if packages else Response(status=204)


class SmartRecruitersPackageDetailApi(_PartnerApi):
    @extend_schema(
        operation_id="smartrecruiters_package_detail", responses={200: _PACKAGE, 401: _ERROR, 404: _ERROR}
    )
    def get(self, request, package_id: str):
        return Response(mappers.package_body(_package(request.auth, package_id)))


def _package(integration, package_id: str):
    """The instrument a package id names, or SRO's 404 ("No assessment package with given id")."""
    for info in instrument_list(workspace=integration.workspace):
        if mappers.package_id_for(info.key) == package_id:
            return info
    raise NotFound(f"No JobCannon assessment package {package_id!r}.")


class SmartRecruitersOrderCreateApi(_PartnerApi):
    @extend_schema_serializer(component_name="SmartRecruitersOrderInput")
    class InputSerializer(serializers.Serializer):
        """The fields of SRO's AssessmentPackageOrderRequest JobCannon needs."""

        class CandidateSerializer(serializers.Serializer):
            id = serializers.CharField(max_length=255)
            email = serializers.EmailField()
            firstName = serializers.CharField(max_length=120, required=False, allow_blank=True)  # noqa: N815
            lastName = serializers.CharField(max_length=120, required=False, allow_blank=True)  # noqa: N815

        assessmentPackageId = serializers.CharField(max_length=200)  # noqa: N815
        resultCallbackURL = serializers.CharField(max_length=2000)  # noqa: N815 - checked by mappers.order_from
        companyId = serializers.CharField(max_length=200, required=False)  # noqa: N815
        candidate = CandidateSerializer()

    @extend_schema_serializer(component_name="SmartRecruitersOrderOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField()
        status = serializers.CharField()
        message = serializers.CharField()

    @extend_schema(
        operation_id="smartrecruiters_order_create",
        request=InputSerializer,
        responses={202: OutputSerializer, 400: _ERROR, 401: _ERROR, 404: _ERROR, 409: _ERROR},
    )
    def post(self, request):
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        _package(request.auth, str(request.data.get("assessmentPackageId")))
        try:
            order = mappers.order_from(request.data)
        except ValueError as exc:
            raise ValidationFailed(f"The order is not valid: {exc}")
        _, created = services.order_accept(
            integration=request.auth,
            api_base=self.provider.api_base_url(request.auth),
            order=order,
            via="partner API",
        )
        body = {
            "id": order.id,
            "status": "ACCEPTED",
            "message": "Invitation emailed to the candidate." if created else "Order already accepted.",
        }
        # SRO: 202 "Order acceptance", for a new order and for SR's retry of the same one.
        return Response(self.OutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class SmartRecruitersIntegrationDeleteApi(_PartnerApi):
    @extend_schema(
        operation_id="smartrecruiters_integration_delete",
        request=None,
        responses={204: OpenApiResponse(description="Disconnected"), 401: _ERROR, 404: _ERROR},
    )
    def delete(self, request, company_id: str):
        integration = request.auth
        if (integration.provider_settings or {}).get("company_id") != company_id:
            raise NotFound("This token does not belong to that company.")
        # SR dropped the company credentials with the integration: forget ours before
        # disconnecting, so a later reconnect runs setUpIntegration again (setup.partner_register).
        services.company_removed(integration=integration, company_id=company_id)
        integration_disconnect(integration=integration)
        return Response(status=204)
