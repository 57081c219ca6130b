"""The partner API Ashby calls (reference §1.3–1.6), mounted at /partners/ashby/ and at
/partners/ashby/<integration public id>/.

Envelopes: success `{"success": true, "results": ...}`; 422 `{"message": ...}` for what a recruiter
must read in Ashby; 409 when the candidate is already being assessed; any other failure carries
Ashby's error envelope (`success`, `errors`, `errorInfo`) and our own `error` object side by side,
so both Ashby and our tooling can read it. Auth: `Authorization: Basic base64("<partner key>:")`."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.urls import path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.services.runs import RunAlreadyActive, instrument_list
from jobcannon.core.exceptions import ApplicationError, error_body

from . import constants, mappers, services
from .serializers import (
    COMMON_ERRORS,
    ApplicationSerializer,
    CandidateSerializer,
    ErrorSerializer,
    JobSerializer,
    MessageSerializer,
    UpdateRequestSerializer,
)

logger = logging.getLogger(__name__)
TAG = ["Ashby partner API"]


def ashby_error(status: int, code: str, message: str, details: Any = None) -> Response:
    request_id = uuid.uuid4().hex
    body = {
        "success": False,
        "errors": [code],
        "errorInfo": {"code": code, "message": message, "requestId": request_id},
        **error_body(code, message, details),
    }
    return Response(body, status=status, headers={"x-jobcannon-request-id": request_id})


def recruiter_message(status: int, message: str) -> Response:
    """Ashby shows `message` to the recruiter as is (422, and the 409 conflict)."""
    return Response({"message": message}, status=status)


class PartnerKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        public_id = request.parser_context["kwargs"].get("public_id")
        result = services.partner_authenticate(
            authorization=request.META.get("HTTP_AUTHORIZATION", ""),
            public_id=str(public_id) if public_id else None,
        )
        if result.integration is None:
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


class PartnerApi(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasIntegration]
    parser_classes = [JSONParser]

    @property
    def integration(self):
        return self.request.auth

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
            response = ashby_error(401, "unauthenticated", str(exc.detail))
            response["WWW-Authenticate"] = PartnerKeyAuthentication().authenticate_header(self.request)
            return response
        if isinstance(exc, exceptions.ParseError):
            return ashby_error(400, "invalid_input", "The request body is not valid JSON.")
        if isinstance(exc, exceptions.ValidationError):
            return ashby_error(
                400, "invalid_input", "The request body does not match the Ashby partner schema.", exc.detail
            )
        if isinstance(exc, exceptions.APIException):
            return ashby_error(exc.status_code, str(exc.default_code), str(exc.detail))
        if isinstance(exc, ApplicationError):
            return ashby_error(exc.status, exc.code, exc.message, exc.details)
        return super().handle_exception(exc)

    def input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        data = self.request.data
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class AssessmentListApi(PartnerApi):
    class OutputSerializer(serializers.Serializer):
        assessment_type_id = serializers.CharField()
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
            **COMMON_ERRORS,
        },
    )
    def post(self, request, public_id=None):
        items = instrument_list(workspace=self.integration.workspace)
        results = [{"assessment_type_id": i.key, "name": i.name, "description": i.description} for i in items]
        return Response({"success": True, "results": self.OutputSerializer(results, many=True).data})


class AssessmentStartApi(PartnerApi):
    class InputSerializer(serializers.Serializer):
        assessment_type_id = serializers.CharField(max_length=100)
        candidate = CandidateSerializer()
        application = ApplicationSerializer()
        job = JobSerializer(required=False)
        additional_fields = serializers.DictField(required=False, allow_null=True)

        class Meta:
            ref_name = "AshbyAssessmentStartRequest"

    class OutputSerializer(serializers.Serializer):
        assessment_id = serializers.CharField()
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
            422: OpenApiResponse(MessageSerializer, description="Shown to the recruiter in Ashby."),
            **COMMON_ERRORS,
        },
    )
    def post(self, request, public_id=None):
        data = self.input(self.InputSerializer)
        if not (data["candidate"].get("email") or "").strip():
            return recruiter_message(
                422,
                "Candidate email is missing: add an email address to the candidate in "
                "Ashby, then start the JobCannon assessment again.",
            )
        extra = data.get("additional_fields") or {}
        try:
            due_at = services.due_at_from(extra.get(constants.FIELD_DUE_DATE))
        except (ValueError, TypeError, OverflowError, OSError):
            return recruiter_message(
                422, f"The due date {extra.get(constants.FIELD_DUE_DATE)!r} is not a date (use YYYY-MM-DD)."
            )
        start = mappers.start_request_from(data, due_at=due_at)
        try:
            run, _created = services.partner_assessment_start(integration=self.integration, start=start)
        except RunAlreadyActive:
            return recruiter_message(
                409,
                "This candidate is already taking this JobCannon assessment for this "
                "application. Cancel it first to send a new one.",
            )
        except ApplicationError as exc:
            if exc.status >= 500:
                raise
            return recruiter_message(422, exc.message)
        invited, _, _ = mappers.update_timestamps(
            created_at=run.created_at, invited_at=run.invited_at, started_at=None, finished_at=None
        )
        update = mappers.update_invited(assessment_id=run.external_assessment_id, timestamp=invited)
        return Response(
            {
                "success": True,
                "results": {"assessment_id": run.external_assessment_id, "update_request": update},
            }
        )


class AssessmentCancelApi(PartnerApi):
    class InputSerializer(serializers.Serializer):
        assessment_id = serializers.CharField(max_length=255)

        class Meta:
            ref_name = "AshbyAssessmentCancelRequest"

    @extend_schema(
        tags=TAG,
        summary="assessment.cancel: cancel the run and revoke the candidate link",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "AshbyAssessmentCancelled",
                {"success": serializers.BooleanField(), "results": AssessmentStartApi.OutputSerializer()},
            ),
            404: ErrorSerializer,
            409: ErrorSerializer,
            **COMMON_ERRORS,
        },
    )
    def post(self, request, public_id=None):
        data = self.input(self.InputSerializer)
        run = services.partner_run_get(integration=self.integration, assessment_id=data["assessment_id"])
        if run is None:
            return ashby_error(
                404,
                "assessment_not_found",
                f"No JobCannon assessment {data['assessment_id']!r} for this integration.",
            )
        if run.is_finished:
            return ashby_error(
                409,
                "assessment_completed",
                "The candidate has already completed this assessment; it can no longer be cancelled.",
            )
        run = services.partner_assessment_cancel(integration=self.integration, run=run)
        _, _, finished = mappers.update_timestamps(
            created_at=run.created_at,
            invited_at=run.invited_at,
            started_at=run.started_at,
            finished_at=run.cancelled_at,
        )
        update = mappers.update_cancelled(
            assessment_id=run.external_assessment_id,
            timestamp=finished,
            reason=run.cancelled_reason or "Cancelled in Ashby",
        )
        return Response(
            {
                "success": True,
                "results": {"assessment_id": run.external_assessment_id, "update_request": update},
            }
        )


class CustomFieldListApi(PartnerApi):
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
            **COMMON_ERRORS,
        },
    )
    def post(self, request, public_id=None):
        from assessments.models import EmailTemplate

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


VIEWS = (
    ("assessment.list", "assessment-list", AssessmentListApi),
    ("assessment.start", "assessment-start", AssessmentStartApi),
    ("assessment.cancel", "assessment-cancel", AssessmentCancelApi),
    ("assessment.customField.list", "custom-field-list", CustomFieldListApi),
)

urlpatterns = [
    *(
        path(f"<uuid:public_id>/{wire}", _for_integration(view).as_view(), name=name)
        for wire, name, view in VIEWS
    ),
    *(path(wire, view.as_view(), name=f"{name}-by-key") for wire, name, view in VIEWS),
]
