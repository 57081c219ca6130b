"""JSON endpoints for the candidate page (autosave). Errors use the one JSON error shape."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.catalog import instrument_get
from assessments.selectors import answers_for_run, assessment_run_get_by_key
from assessments.services.candidate import answer_save
from jobcannon.core.exceptions import NotFound


class CandidateAnswerSaveApi(APIView):
    """POST {"item_id": "b5_01", "value": 4} → {"saved": true, "answered": n, "total": N}.

    No session or CSRF: the signed run token in the URL is the credential (like the page)."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema_serializer(component_name="CandidateAnswerSaveInput")
    class InputSerializer(serializers.Serializer):
        item_id = serializers.CharField(max_length=40)
        value = serializers.IntegerField()

    @extend_schema_serializer(component_name="CandidateAnswerSaveOutput")
    class OutputSerializer(serializers.Serializer):
        saved = serializers.BooleanField()
        item_id = serializers.CharField()
        value = serializers.IntegerField()
        answered = serializers.IntegerField()
        total = serializers.IntegerField()

    @extend_schema(
        operation_id="candidate_answer_save",
        request=InputSerializer,
        responses={200: OutputSerializer},
        summary="Save one answer of a candidate's run (the signed link is the credential)",
    )
    def post(self, request, key):
        run = assessment_run_get_by_key(key=key)
        if run is None:
            raise NotFound("This assessment link is not valid.", code="invalid_link")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = answer_save(
            run=run, item_id=serializer.validated_data["item_id"], value=serializer.validated_data["value"]
        )
        instrument = instrument_get(run.instrument, run.instrument_version)
        answered = len(set(answers_for_run(run=run)) & instrument.item_ids())
        data = {
            "saved": True,
            "item_id": answer.item_id,
            "value": answer.value,
            "answered": answered,
            "total": len(instrument.items),
        }
        return Response(self.OutputSerializer(data).data)
