"""`POST /packages/inline/orders` ("ordersInlineAssessmentPackage"): SmartRecruiters orders an
assessment while the candidate applies. The body is SRO's InlineAssessmentPackageOrderRequest
(resultCallbackURL, candidate, job, assessmentPackageId, companyId,
completedAssessmentCallbackUrl); the legacy InlineAssessmentOrderRequest names are read too
(SRD /docs/in-line-assessment-ordering-process). We answer 200 with the URL where SR redirects
the candidate at once: SRO's InlineAssessmentPackageResponse names it `url` (and requires
`assessmentPackageURL`), the legacy response `inlineAssessmentUrl`, so all three carry it [I:
which one SR reads]. A refusal carries `rejectionReason` (legacy) next to our error envelope;
an unknown package is SRO's 404. When the candidate finishes, the candidate pages send them to
the order's completedAssessmentCallbackUrl."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from assessments.services.runs import RunAlreadyActive, candidate_url
from jobcannon.core.exceptions import ApplicationError

from . import constants, mappers, services
from .apis import _package, _PartnerApi


def _rejected(status: int, code: str, message: str) -> Response:
    return Response({"rejectionReason": message, "error": {"code": code, "message": message}}, status=status)


_REJECTION = OpenApiResponse(description='{"rejectionReason", "error": {code, message}}')


class SmartRecruitersInlineOrderCreateApi(_PartnerApi):
    required_scope = constants.SCOPE_ORDERS_MODIFY  # SRO security of POST /packages/inline/orders

    @extend_schema(
        operation_id="smartrecruiters_inline_order_create",
        request=inline_serializer(
            "SmartRecruitersInlineOrderRequest",
            {
                "assessmentPackageId": serializers.CharField(),
                "resultCallbackURL": serializers.URLField(),
                "completedAssessmentCallbackUrl": serializers.URLField(),
                "companyId": serializers.CharField(required=False),
                "candidate": serializers.DictField(),
                "job": serializers.DictField(required=False),
            },
        ),
        responses={
            200: inline_serializer(
                "SmartRecruitersInlineOrderResponse",
                {
                    "url": serializers.URLField(),
                    "assessmentPackageURL": serializers.URLField(),
                    "inlineAssessmentUrl": serializers.URLField(),
                },
            ),
            400: _REJECTION,
            403: OpenApiResponse(description="insufficient_scope: the token lacks orders_modify"),
            404: _REJECTION,
            409: _REJECTION,
        },
    )
    def post(self, request):
        payload = request.data if isinstance(request.data, dict) else {}
        try:
            order = mappers.inline_order_from(payload)
            _package(request.auth, order.package_id)
            run, _ = services.inline_order_accept(
                integration=request.auth, api_base=self.provider.api_base_url(request.auth), order=order
            )
        except mappers.UnknownPackage as exc:
            return _rejected(404, "not_found", f"There is no package which was ordered: {exc}.")
        except ValueError as exc:
            return _rejected(400, "validation_failed", f"The in-line order is not valid: {exc}")
        except RunAlreadyActive:
            return _rejected(
                409, "order_conflict", "The candidate already has an active assessment of this kind."
            )
        except ApplicationError as exc:
            return _rejected(exc.status, exc.code, exc.message)
        url = candidate_url(run=run)
        return Response({"url": url, "assessmentPackageURL": url, "inlineAssessmentUrl": url}, status=200)
