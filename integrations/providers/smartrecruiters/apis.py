"""The partner endpoints SmartRecruiters calls with our Bearer token (Assessment API 2021,
reference §2.2), mounted at /partners/smartrecruiters/, and that token's issue and check:

    GET  packages, packages/<id>            our instruments as assessment packages
    POST packages/orders                    SR orders a package for a candidate -> run + invitation
    DELETE integrations/companies/<id>      the company removed JobCannon in SmartRecruiters
                                            (Bearer, or HTTP Basic with the partner credentials)

SR gets the token at `POST oauth/token` (apis_token.py); in-line orders are apis_inline.py, the
consent page apis_consent.py. Bodies and status codes are those of SR's OpenAPI for these
operations (SRO, constants.py): AssessmentPackage (a JSON array for the list, 204 when empty),
AssessmentPackageOrderRequest answered 202 (404 for an unknown package).

Bearer tokens are signed and expire after an hour; they carry the integration, a fingerprint
of the partner secret (issuing a new secret revokes every token) and their scopes: SRO's
`security` for these operations (vendor/assessment_api_2021.openapi.json) is oauth2 `packages_view`
on GET packages and packages/{id}, `orders_modify` on POST packages/orders and
packages/inline/orders; a token without the endpoint's scope is answered 403 `insufficient_scope`
(RFC 6750 3.1, with its WWW-Authenticate)."""

from __future__ import annotations

import base64
from typing import Any

from django.core import signing
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.services.runs import instrument_list
from integrations.base import ATSProvider, constant_time_equals
from integrations.models import Integration, IntegrationStatus
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


def partner_token_issue(integration, scopes: tuple[str, ...] = constants.PARTNER_API_SCOPES) -> str:
    return signing.dumps(
        {"i": integration.public_id.hex, "f": _fingerprint(integration), "s": list(scopes)}, salt=TOKEN_SALT
    )


class InsufficientScope(PermissionDenied):
    """RFC 6750 3.1: 403 `insufficient_scope`, naming the scope in WWW-Authenticate (DRF's handler
    sends `auth_header`)."""

    default_code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"The access token lacks the {scope} scope this endpoint requires (SmartRecruiters' "
            f"Assessment API declares it): request a new token from POST /partners/smartrecruiters/oauth/token.",
            code="insufficient_scope",
        )
        self.auth_header = f'Bearer realm="jobcannon", error="insufficient_scope", scope="{scope}"'


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
        # A token signed before tokens carried scopes (no "s") had every permission, and lives at
        # most PARTNER_TOKEN_SECONDS: it keeps them until it expires.
        scopes = claims.get("s", list(constants.PARTNER_API_SCOPES))
        request.partner_scopes = frozenset(map(str, scopes)) if isinstance(scopes, list) else frozenset()
        return (None, integration)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="jobcannon"'


def basic_credentials(request: Any) -> tuple[str, str] | None:
    """(client id, secret) from an HTTP Basic Authorization header (RFC 7617); None without one,
    ("", "") when it does not decode."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    return client_id, secret


def partner_client_verified(request: Any, client_id: str, secret: str, *, message: str) -> Integration | None:
    """The integration whose partner client (the credentials we issued SR at consent) this is,
    when the secret matches its stored hash; else None, with the failure recorded and charged to
    the caller's failure budget (partner_auth_failure_record), an unknown client id included."""
    integration = selectors.integration_for_partner_client(client_id)
    stored = integration.credential(services.PARTNER_SECRET_HASH, "") if integration else ""
    if integration is not None and partner_secret_matches(secret, stored):
        return integration
    partner_auth_failure_record(
        integration=integration, reason="wrong_secret", message=message, source=client_address(request) or ""
    )
    return None


class PartnerBasicOrBearerAuthentication(PartnerBearerAuthentication):
    """The company-removal call: SRO declares no `security` for removeIntegrationOnPartnerSide,
    and the OCM reference client (SmartRecruitersAssessmentPartnerAppDeleteIntegration.php) sends
    it with AUTH_MODE "either", so SR may authenticate it with our Bearer token or with HTTP Basic
    and the partner client id/secret we issued (as our oauth/token endpoint accepts them). Never
    unauthenticated: anyone could then disconnect a company."""

    def authenticate(self, request):
        basic = basic_credentials(request)
        if basic is None:
            return super().authenticate(request)
        integration = partner_client_verified(
            request,
            *basic,
            message="SmartRecruiters' company removal came with a wrong partner client secret.",
        )
        if integration is None:
            raise AuthenticationFailed("Unknown partner client or wrong secret.")
        if integration.status == IntegrationStatus.DISCONNECTED:
            raise AuthenticationFailed("This JobCannon integration is disconnected.")
        request.partner_scopes = frozenset()  # Basic carries no scopes; the removal needs none
        return (None, integration)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="jobcannon", Basic realm="jobcannon"'


class PartnerBearerScheme(OpenApiAuthenticationExtension):
    """Describes PartnerBearerAuthentication in the OpenAPI document."""

    target_class = "integrations.providers.smartrecruiters.apis.PartnerBearerAuthentication"
    name = "smartrecruitersPartnerBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Token from POST oauth/token."}


class PartnerBasicOrBearerScheme(OpenApiAuthenticationExtension):
    """Describes PartnerBasicOrBearerAuthentication: either scheme (OR)."""

    target_class = "integrations.providers.smartrecruiters.apis.PartnerBasicOrBearerAuthentication"
    name = ["smartrecruitersRemovalBearer", "smartrecruitersRemovalBasic"]

    def get_security_requirement(self, auto_schema):
        return [{"smartrecruitersRemovalBearer": []}, {"smartrecruitersRemovalBasic": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "Token from POST oauth/token."},
            {"type": "http", "scheme": "basic", "description": "The partner client id and secret."},
        ]


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
    # The scope SRO's `security` declares for the operation ("" where it declares none).
    required_scope = ""

    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        if self.required_scope and self.required_scope not in getattr(request, "partner_scopes", ()):
            raise InsufficientScope(self.required_scope)


class SmartRecruitersPackageListApi(_PartnerApi):
    required_scope = constants.SCOPE_PACKAGES_VIEW  # SRO Packages_getList

    @extend_schema(
        operation_id="smartrecruiters_packages_list",
        responses={
            200: _PACKAGE.__class__(many=True),
            204: OpenApiResponse(description="No packages to present"),
            401: _ERROR,
            403: _ERROR,
        },
    )
    def get(self, request):
        packages = [mappers.package_body(i) for i in instrument_list(workspace=request.auth.workspace)]
        return Response(packages) if packages else Response(status=204)


class SmartRecruitersPackageDetailApi(_PartnerApi):
    required_scope = constants.SCOPE_PACKAGES_VIEW  # SRO Packages_getById

    @extend_schema(
        operation_id="smartrecruiters_package_detail",
        responses={200: _PACKAGE, 401: _ERROR, 403: _ERROR, 404: _ERROR},
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
    required_scope = constants.SCOPE_ORDERS_MODIFY  # SRO Orders_assessPackageForCandidate

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
        responses={202: OutputSerializer, 400: _ERROR, 401: _ERROR, 403: _ERROR, 404: _ERROR, 409: _ERROR},
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
    # SRO Integration_removeIntegrationOnPartnerSide declares no security: any valid token of
    # ours, or HTTP Basic with the partner credentials (PartnerBasicOrBearerAuthentication).
    authentication_classes = [PartnerBasicOrBearerAuthentication]

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
        integration_disconnect(integration=integration, reason=integration.provider_settings["partner_error"])
        return Response(status=204)
