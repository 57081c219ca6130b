"""The partner API Ashby calls (reference §1.3–1.6), mounted at /partners/ashby/ and at
/partners/ashby/<integration public id>/.

Built to Ashby's partner OpenAPI as a third-party mirror carries it (tests/fixtures/ashby/openapi/
ashby-partner-assessment-openapi.yml, from api-evangelist/ashby-hq openapi/_original/
ashby-openapi.yml @ d26d10dd: "This is not our API", says that repository; Ashby's own
pages agree where they show the same facts, tests/fixtures/ashby/openapi/README.md), which
lists, per operation, the only statuses Ashby expects:

- assessment.list, assessment.customField.list: 200 only. They take no input (`{}`), so the body
  is not read and they always succeed.
- assessment.start: 200 `{success, results: {assessment_id, update_request?}}`, 409 (the
  candidate is already being assessed), 422 `{message}` "shown to the user in Ashby". Every
  input problem, a malformed body included, is therefore a 422 with a sentence a recruiter can act on.
- assessment.cancel: 200 only: `{success: true, results: ...}` or Ashby's error envelope with
  `success: false`.
Error bodies carry Ashby's envelope, `{"success": false, "errors": [code], "errorInfo": {code,
message, requestId, meta?}}` (`message` beside it on a 409/422). Nothing is answered with a status
the operation does not list: every refusal is the operation's own (`partner_errors.refusal`: 422
on assessment.start, a 200 envelope on the others), whoever refuses:
- a missing or wrong partner key (`unauthenticated`). The spec's global `security` is HTTP Basic
  but no operation lists a 401, so the refusal is the operation's, with WWW-Authenticate beside it
  (RFC 9110 §11.6.1 allows it on any status);
- a method other than POST (`method_not_allowed`, with `Allow: POST`; Ashby only POSTs);
- a call past the integration's inbound budget (`rate_limit_exceeded`, "Retry in N seconds" and
  Retry-After; the list operations are not metered, `UnmeteredPartnerApi`);
- the shared inbound guard's refusals before any view runs (bad Content-Length, body too large,
  multipart, JSON too deep, the caller's failed-authentication budget spent):
  `AshbyProvider.partner_refusal` -> `partner_errors.guard_refusal`.
Responses are JSON whatever the caller's Accept header (the spec has only application/json: no
406, no browsable HTML, no OPTIONS metadata).
Auth: `Authorization: Basic base64("<partner key>:")`."""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar

from django.db import InterfaceError, OperationalError
from django.urls import path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView, set_rollback

from assessments.models import RunStatus
from assessments.services.runs import RunAlreadyActive
from integrations.services.partner_auth import partner_auth_failure_charge
from jobcannon.core.clientaddr import client_address
from jobcannon.core.exceptions import ApplicationError

from . import constants, mappers, selectors, services
from .partner_errors import (
    CANCEL,
    CUSTOM_FIELD_LIST,
    LIST,
    START,
    ashby_error,
    flatten_detail,
    recruiter_message,
    refusal,
    server_failure,
)
from .serializers import (
    ApplicationSerializer,
    CandidateSerializer,
    ErrorSerializer,
    JobSerializer,
    JSONStringField,
    MessageSerializer,
    UpdateRequestSerializer,
)

logger = logging.getLogger(__name__)
TAG = ["Ashby partner API"]


class PartnerKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        public_id = request.parser_context["kwargs"].get("public_id")
        result = services.partner_authenticate(
            authorization=request.META.get("HTTP_AUTHORIZATION", ""),
            public_id=str(public_id) if public_id else None,
            source=client_address(request) or "",
        )
        if result.integration is None:
            # Charged to the caller's failed-authentication budget here, not by the guard's
            # "any 401/403" rule: the refusal is a 422/200 (partner_errors.refusal), and the call
            # may name no integration (then partner_authenticate records nothing, so nothing
            # else charges it). Past the budget the guard answers through partner_refusal.
            partner_auth_failure_charge()
            raise exceptions.AuthenticationFailed(result.reason)
        return (None, result.integration)

    def authenticate_header(self, request) -> str:
        return 'Basic realm="JobCannon partner API for Ashby"'


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = PartnerKeyAuthentication
    name = "AshbyPartnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "The JobCannon partner API key as the Basic-auth username, blank password.",
        }


class HasIntegration(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.auth is not None


class JSONOnly(BaseContentNegotiation):
    """The spec's responses are application/json only: the Accept header is not consulted, so
    no 406 and no browsable-API HTML. Request bodies are still parsed by their Content-Type."""

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PartnerApi(APIView):
    operation: ClassVar[str]  # the wire name, the last segment of the URL Ashby calls
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasIntegration]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly
    # Ashby only POSTs: anything else (OPTIONS and HEAD included) is refused by the operation.
    http_method_names = ["post"]

    @property
    def integration(self):
        return self.request.auth

    def input_error(self, code: str, message: str, details: Any = None) -> Response:
        """How this operation refuses a call (a wrong key, input it cannot use, a call past the
        budget): with a status its spec lists (partner_errors.refusal)."""
        status, body = refusal(self.operation, code, message, details)
        return Response(body, status=status)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
            response = self.input_error("unauthenticated", str(exc.detail))
            response["WWW-Authenticate"] = PartnerKeyAuthentication().authenticate_header(self.request)
            return response
        if isinstance(exc, exceptions.MethodNotAllowed):
            return self.input_error(
                "method_not_allowed",
                f"{self.request.method} is not allowed: Ashby calls every partner operation with POST.",
            )
        if isinstance(exc, exceptions.ParseError):
            return self.input_error(
                "invalid_input", "Request payload is malformed: the body is not valid JSON."
            )
        if isinstance(exc, exceptions.UnsupportedMediaType):
            return self.input_error(
                "invalid_input",
                "Request payload is malformed: send a JSON body (Content-Type: application/json).",
            )
        if isinstance(exc, exceptions.ValidationError):
            # DRF's sentences end with a full stop ("This field is required."): one sentence,
            # one full stop, not "required..", in the message Ashby shows the recruiter.
            lines = [line.rstrip(".") for line in flatten_detail(exc.detail)]
            return self.input_error(
                "invalid_input",
                "The request does not match Ashby's partner schema: " + "; ".join(lines[:5]) + ".",
                {"fields": exc.detail},
            )
        if isinstance(exc, ApplicationError) and exc.status < 500:
            return self.input_error(exc.code, exc.message, exc.details)
        if isinstance(exc, exceptions.Throttled):
            # Ashby's own code for a rate limit (rate_limit_exceeded), answered with a status the
            # operation lists (a 429 is in none of them), plus the Retry-After DRF would send.
            wait = max(1, math.ceil(getattr(exc, "wait", None) or 1))  # set by DRF, not in its stubs
            response = self.input_error(
                "rate_limit_exceeded",
                "Rate limit exceeded: JobCannon is receiving more calls for this integration than "
                f"it accepts right now. Retry in {wait} seconds.",
                {"retry_after": wait},
            )
            response["Retry-After"] = str(wait)
            return response
        if isinstance(exc, exceptions.APIException):
            return self.input_error(str(exc.default_code), str(exc.detail))
        if isinstance(exc, ApplicationError):
            return ashby_error(exc.status, exc.code, exc.message, exc.details)
        return self.server_failure(exc)

    def server_failure(self, exc: Exception) -> Response:
        """Anything else is our failure (a bug, the database down): before, it fell through to
        the site-wide handler500, a 500 `{"error": ...}` with no envelope and no request id. Now
        the traceback is logged under this request's id (bound by RequestIdMiddleware; the log
        handlers scrub credentials from messages and tracebacks) and Ashby gets its envelope with
        that id, never the exception's text. Status: partner_errors.server_failure (why a 5xx)."""
        unavailable = isinstance(exc, OperationalError | InterfaceError)
        # The URL's integration id only: `self.integration` would run authentication again.
        public_id = self.kwargs.get("public_id")
        logger.error(
            "ashby.partner_failed",
            exc_info=exc,
            extra={
                "operation": self.operation,
                "integration_public_id": str(public_id) if public_id else "",
                "database_unavailable": unavailable,
            },
        )
        set_rollback()  # as DRF's exception handler does, for ATOMIC_REQUESTS
        status, body = server_failure(self.operation, unavailable=unavailable)
        return Response(body, status=status)

    def input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        data = self.request.data
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class UnmeteredPartnerApi(PartnerApi):
    """assessment.list and assessment.customField.list take no input, write nothing and answer
    from the workspace's catalogue: they are not metered by the inbound budget (a wrong key still
    is, by the failure budget); start and cancel, which do work, are. (A recruiter opening
    Ashby's assessment picker should not be told to retry later.)"""

    throttle_classes: list[type[BaseThrottle]] = []


class AssessmentListApi(UnmeteredPartnerApi):
    operation = LIST

    class OutputSerializer(serializers.Serializer):
        assessment_type_id = serializers.UUIDField()
        name = serializers.CharField()
        description = serializers.CharField()

        class Meta:
            ref_name = "AshbyAssessmentType"

    @extend_schema(
        tags=TAG,
        summary="assessment.list: the assessments a recruiter can choose in Ashby",
        request=inline_serializer("AshbyAssessmentListInput", {}),
        responses={
            200: inline_serializer(
                "AshbyAssessmentList",
                {"success": serializers.BooleanField(), "results": OutputSerializer(many=True)},
            ),
        },
    )
    def post(self, request, public_id=None):
        # Ashby sends `{}` (request schema: any object); nothing in it is used, so it is not parsed.
        types = selectors.assessment_type_list(workspace=self.integration.workspace)
        results = [
            {"assessment_type_id": t.assessment_type_id, "name": t.name, "description": t.description}
            for t in types
        ]
        return Response({"success": True, "results": self.OutputSerializer(results, many=True).data})


class AssessmentStartApi(PartnerApi):
    operation = START

    class InputSerializer(serializers.Serializer):
        # The spec: `{type: string, format: uuid}`. A string only (5 is malformed, not an unknown
        # type); not checked as a uuid: the pre-UUID instrument keys ("big5") are still accepted.
        assessment_type_id = JSONStringField(max_length=100)
        candidate = CandidateSerializer()
        application = ApplicationSerializer()
        job = JobSerializer(required=False)
        additional_fields = serializers.DictField(required=False, allow_null=True)

        class Meta:
            ref_name = "AshbyAssessmentStartRequest"

    class OutputSerializer(serializers.Serializer):
        assessment_id = serializers.UUIDField()
        update_request = UpdateRequestSerializer()

        class Meta:
            ref_name = "AshbyAssessmentStartResults"

    @extend_schema(
        tags=TAG,
        summary="assessment.start: invite the candidate (idempotent on application + type)",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "AshbyAssessmentStarted",
                {"success": serializers.BooleanField(), "results": OutputSerializer()},
            ),
            409: OpenApiResponse(MessageSerializer, description="The candidate is already being assessed."),
            422: OpenApiResponse(
                MessageSerializer,
                description="Shown to the recruiter in Ashby (any input problem, a wrong partner key).",
            ),
        },
    )
    def post(self, request, public_id=None):
        data = self.input(self.InputSerializer)
        workspace = self.integration.workspace
        instrument = selectors.assessment_type_instrument(
            workspace_id=workspace.pk, type_id=data["assessment_type_id"]
        )
        if instrument is None:
            return recruiter_message(
                422,
                "unknown_assessment_type",
                f"Unknown assessment type {data['assessment_type_id']!r}: choose one of the JobCannon "
                "assessments Ashby lists for this integration (they come from assessment.list).",
            )
        if not (data["candidate"].get("email") or "").strip():
            return recruiter_message(
                422,
                "candidate_email_missing",
                "Candidate email is missing: add an email address to the candidate in "
                "Ashby, then start the JobCannon assessment again.",
            )
        extra = data.get("additional_fields") or {}
        try:
            due_at = services.due_at_from(extra.get(constants.FIELD_DUE_DATE))
        except (ValueError, TypeError, OverflowError, OSError):
            return recruiter_message(
                422,
                "invalid_due_date",
                f"The due date {extra.get(constants.FIELD_DUE_DATE)!r} is not a date (use YYYY-MM-DD).",
            )
        start = mappers.start_request_from(data, instrument=instrument, due_at=due_at)
        try:
            run, _created = services.partner_assessment_start(integration=self.integration, start=start)
        except RunAlreadyActive:
            return recruiter_message(
                409,
                "already_being_assessed",
                "This candidate is already taking this JobCannon assessment for this "
                "application. Cancel it first to send a new one.",
            )
        # A new run is invited. A run Ashby ordered before (its retry, or the recruiter sending the
        # same assessment again) answers the state it is in now: Started, the completed result,
        # or, had it ended while this call ran, its cancellation or expiry. Each is the update the
        # write-back sends for that state (same body, same timestamp), so an Ashby that took the
        # answer's update_request over a later update could not show a completed assessment as
        # Invited again. The spec's start 200 allows every one of them (update_request:
        # assessment_status, assessment_result + assessment_profile_url, metadata, cancelled_reason).
        update = selectors.run_update_request(run=run)
        return Response(
            {
                "success": True,
                "results": {"assessment_id": run.external_assessment_id, "update_request": update},
            }
        )


CANCEL_RESPONSE = PolymorphicProxySerializer(
    component_name="AshbyAssessmentCancelResponse",
    serializers=[
        inline_serializer(
            "AshbyAssessmentCancelled",
            {"success": serializers.BooleanField(), "results": AssessmentStartApi.OutputSerializer()},
        ),
        ErrorSerializer,
    ],
    resource_type_field_name=None,
)


class AssessmentCancelApi(PartnerApi):
    operation = CANCEL

    class InputSerializer(serializers.Serializer):
        # The spec: `{type: string, format: uuid}`. A string only (5, true, {} are malformed:
        # invalid_input); any string is looked up, uuid or not: runs from before the UUID ids
        # keep the ids they were given.
        assessment_id = JSONStringField(max_length=255)

        class Meta:
            ref_name = "AshbyAssessmentCancelRequest"

    @extend_schema(
        tags=TAG,
        summary="assessment.cancel: cancel the run and revoke the candidate link",
        description="Always HTTP 200 (Ashby's spec lists no other status): `success: true` with the "
        "cancelled update (for a run that had expired, the expiry update: it stays expired), or "
        "`success: false` with `errorInfo` (unknown assessment, already completed, malformed body, "
        "wrong partner key).",
        request=InputSerializer,
        responses={200: CANCEL_RESPONSE},
    )
    def post(self, request, public_id=None):
        data = self.input(self.InputSerializer)
        run = services.partner_run_get(integration=self.integration, assessment_id=data["assessment_id"])
        if run is None:
            return ashby_error(
                200,
                "assessment_not_found",
                f"No JobCannon assessment {data['assessment_id']!r} for this integration.",
            )
        if run.is_finished:
            return ashby_error(
                200,
                "assessment_completed",
                "The candidate has already completed this assessment; it can no longer be cancelled.",
            )
        if run.status != RunStatus.EXPIRED:
            run = services.partner_assessment_cancel(integration=self.integration, run=run)
        # A run that expired (before this call, or while it ran: the cancel is then a no-op) stays
        # expired. The spec's cancel 200 is `oneOf` success `{results: {assessment_id,
        # update_request}}` or the error envelope; we answer success with the expiry update itself,
        # the one the expiry write-back sends (AshbyProvider._deliver, same reason and timestamp):
        # the assessment is indeed no longer running, and Ashby, which keeps the latest update by
        # `timestamp`, ends with the expiry whether or not that write-back has reached it yet (held
        # for a permission, say). An error code (`assessment_expired`) is no code Ashby documents
        # and would show the recruiter a failed cancel of an assessment that is closed.
        update = selectors.run_update_request(run=run, default_reason="Cancelled in Ashby")
        return Response(
            {
                "success": True,
                "results": {"assessment_id": run.external_assessment_id, "update_request": update},
            }
        )


class CustomFieldListApi(UnmeteredPartnerApi):
    operation = CUSTOM_FIELD_LIST

    @extend_schema(
        tags=TAG,
        summary="assessment.customField.list: due date and invitation email, chosen per start",
        request=inline_serializer("AshbyCustomFieldListInput", {}),
        responses={
            200: inline_serializer(
                "AshbyCustomFields",
                {
                    "success": serializers.BooleanField(),
                    "fields": serializers.ListField(child=serializers.DictField()),
                },
            ),
        },
    )
    def post(self, request, public_id=None):
        from assessments.models import EmailTemplate

        # Like assessment.list: the body (`{}`) carries nothing we use and is not parsed.
        fields = [
            {"id": constants.FIELD_DUE_DATE, "name": "Due date", "type": "Date", "isRequired": False},
            {
                "id": constants.FIELD_EMAIL_TEMPLATE,
                "name": "Invitation email",
                "type": "ValueSelect",
                "isRequired": False,
                "possible_values": [{"key": k, "value": label} for k, label in EmailTemplate.choices],
            },
        ]
        return Response({"success": True, "fields": fields})


def _for_integration(view: type[PartnerApi]) -> type[PartnerApi]:
    """The same operation under /partners/ashby/<public_id>/, with its own OpenAPI operation id."""
    name = view.__name__.replace("Api", "ForIntegrationApi")
    operation = "ashby_" + name.removesuffix("ForIntegrationApi").lower() + "_for_integration"
    return extend_schema_view(post=extend_schema(operation_id=operation))(type(name, (view,), {}))


VIEWS: tuple[tuple[str, type[PartnerApi]], ...] = (
    ("assessment-list", AssessmentListApi),
    ("assessment-start", AssessmentStartApi),
    ("assessment-cancel", AssessmentCancelApi),
    ("custom-field-list", CustomFieldListApi),
)

# The operation's wire name is the URL's last segment (partner_errors.guard_refusal relies on it).
urlpatterns = [
    *(
        path(f"<uuid:public_id>/{view.operation}", _for_integration(view).as_view(), name=name)
        for name, view in VIEWS
    ),
    *(path(view.operation, view.as_view(), name=f"{name}-by-key") for name, view in VIEWS),
]
