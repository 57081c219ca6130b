"""Request/response shapes of the partner API (reference §1.3–1.6). Field names are Ashby's
(camelCase inside hiringTeam). Every string the spec types `type: string` must be a JSON string
(JSONStringField: a number, boolean, object or list is `invalid_input`, where DRF's CharField
turned 5 into "5"). The fields JobCannon cannot work without are required (a missing email is a
422 the recruiter sees). Deliberately lenient, where the spec is stricter (README, "Partner input
the spec forbids"): display fields we have a fallback for may be missing or null (names, URLs,
`application.status`, the whole `job` and its fields, `hiringTeam` members), `application.status`
is not held to the spec's enum, and `hiringTeam[].userId` (unused) is not checked as a uuid."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ErrorInfoSerializer = inline_serializer(
    "AshbyErrorInfo",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "requestId": serializers.CharField(),
        "meta": serializers.DictField(required=False),
    },
)
# Ashby's shared error schema (the spec's `errors` + `errorInfo`, `success: false`).
ErrorSerializer = inline_serializer(
    "AshbyPartnerError",
    {
        "success": serializers.BooleanField(),
        "errors": serializers.ListField(child=serializers.CharField()),
        "errorInfo": ErrorInfoSerializer,
    },
)
MessageSerializer = inline_serializer(
    "AshbyRecruiterMessage",
    {
        "message": serializers.CharField(),
        "success": serializers.BooleanField(),
        "errors": serializers.ListField(child=serializers.CharField()),
        "errorInfo": ErrorInfoSerializer,
    },
)


class JSONStringField(serializers.CharField):
    """A JSON string and nothing else: DRF's CharField also takes a number (5 -> "5"), where
    Ashby's partner spec declares `type: string` (a number there is a malformed request)."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CandidateSerializer(serializers.Serializer):
    ashby_id = JSONStringField(max_length=255)
    first_name = JSONStringField(max_length=120, required=False, allow_blank=True, allow_null=True)
    last_name = JSONStringField(max_length=120, required=False, allow_blank=True, allow_null=True)
    email = JSONStringField(max_length=254, required=False, allow_blank=True, allow_null=True)
    ashby_profile_url = JSONStringField(max_length=2000, required=False, allow_blank=True, allow_null=True)

    class Meta:
        ref_name = "AshbyCandidate"


class ApplicationSerializer(serializers.Serializer):
    ashby_id = JSONStringField(max_length=200)
    status = JSONStringField(max_length=40, required=False, allow_blank=True, allow_null=True)

    class Meta:
        ref_name = "AshbyApplication"


class HiringTeamMemberSerializer(serializers.Serializer):
    userId = JSONStringField(required=False, allow_blank=True)
    firstName = JSONStringField(required=False, allow_blank=True)
    lastName = JSONStringField(required=False, allow_blank=True)
    email = JSONStringField(required=False, allow_blank=True)
    role = JSONStringField(required=False, allow_blank=True)

    class Meta:
        ref_name = "AshbyHiringTeamMember"


class JobSerializer(serializers.Serializer):
    ashby_id = JSONStringField(max_length=255, required=False, allow_blank=True)
    name = JSONStringField(max_length=500, required=False, allow_blank=True, allow_null=True)
    ashby_job_url = JSONStringField(max_length=2000, required=False, allow_blank=True, allow_null=True)
    req_id = JSONStringField(max_length=255, required=False, allow_blank=True, allow_null=True)
    hiringTeam = HiringTeamMemberSerializer(many=True, required=False)

    class Meta:
        ref_name = "AshbyJob"


class UpdateRequestSerializer(serializers.Serializer):
    """The `update_request` start and cancel answer: the run's current state, the same body the
    write-back sends (selectors.run_update_request), so a finished run's carries its result."""

    assessment_id = serializers.UUIDField()
    timestamp = serializers.IntegerField()
    assessment_status = serializers.DictField(required=False)
    assessment_result = serializers.DictField(required=False)
    assessment_profile_url = serializers.DictField(required=False)
    metadata = serializers.ListField(child=serializers.DictField(), required=False)
    cancelled_reason = serializers.DictField(required=False)

    class Meta:
        ref_name = "AshbyUpdateRequest"
