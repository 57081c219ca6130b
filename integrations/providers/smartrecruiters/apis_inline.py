"""`POST /packages/inline/orders` ("ordersInlineAssessmentPackage", assessment-partner-app.json,
reference §2.2): SmartRecruiters orders an assessment while the candidate applies. The body is
SR's InlineAssessmentOrderRequest and the answer its InlineAssessmentOrderResponse (SRD
/docs/in-line-assessment-ordering-process): HTTP 200 with `inlineAssessmentUrl`, where SR
redirects the candidate at once; on failure 4xx/5xx with an optional `rejectionReason` (which SR
reads; our usual error envelope is sent alongside it)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from assessments.services.runs import RunAlreadyActive, candidate_url
from jobcannon.core.exceptions import ApplicationError

from . import mappers, services
from .apis import _PartnerApi


def _rejected(status: int, code: str, message: str) -> Response:
    return Response({"rejectionReason": message, "error": {"code": code, "message": message}}, status=status)


class SmartRecruitersInlineOrderCreateApi(_PartnerApi):
    @extend_schema(
        operation_id="smartrecruiters_inline_order_create",
        request=inline_serializer(
            "SmartRecruitersInlineOrderRequest",
            {
                "applicationOperationId": serializers.CharField(),
                "partnerInlineAssessmentTypeId": serializers.CharField(),
                "offerCatalogId": serializers.CharField(required=False),
                "partnerClientId": serializers.CharField(required=False),
                "assessmentResultUrl": serializers.URLField(),
                "completedAssessmentCallbackUrl": serializers.URLField(required=False),
                "candidate": serializers.DictField(),
                "job": serializers.DictField(required=False),
            },
        ),
        responses={
            200: inline_serializer(
                "SmartRecruitersInlineOrderResponse", {"inlineAssessmentUrl": serializers.URLField()}
            ),
            400: OpenApiResponse(description='{"rejectionReason", "error": {code, message}}'),
            409: OpenApiResponse(description='{"rejectionReason", "error": {code, message}}'),
        },
    )
    def post(self, request):
        payload = request.data if isinstance(request.data, dict) else {}
        try:
            order = mappers.inline_order_from(payload)
        except ValueError as exc:
            return _rejected(400, "validation_failed", f"The in-line order is not valid: {exc}")
        try:
            run, _ = services.inline_order_accept(integration=request.auth, order=order)
        except RunAlreadyActive:
            return _rejected(
                409, "order_conflict", "The candidate already has an active assessment of this kind."
            )
        except ApplicationError as exc:
            return _rejected(400, exc.code, exc.message)
        return Response({"inlineAssessmentUrl": candidate_url(run=run)}, status=200)
