"""Input the spec forbids, derived from its request schemas (the committed extract of the
third-party mirror, tests/fixtures/ashby/openapi/ashby-partner-assessment-openapi.yml): each
required field left out, each field given the wrong JSON type, each `format: uuid` and `enum`
broken, one at a time, on the partner fixture body. Each is refused by the operation in Ashby's
envelope (422 on assessment.start, a 200 `success: false` on assessment.cancel), nothing
started, unless it is one of the deliberate differences in LENIENT, each of which is checked to
be accepted (so the list cannot go stale) and is documented in the Ashby README ("Partner input
the spec forbids").

schemathesis' negative mode (test_partner_schema.py) runs without `negative_data_rejection`
because of exactly these differences; this is that check, with the differences named."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessments.models import AssessmentRun

from .partner_spec import PARTNER_SPEC
from .test_partner_schema import listed_type_id

FIXTURES = Path(__file__).parents[3] / "fixtures" / "ashby" / "partner"
WRONG_TYPE = {"string": 5, "object": "not an object", "array": "not an array"}

# Accepted on purpose although the spec forbids them: (kind, path) -> why. README, "Partner input
# the spec forbids".
LENIENT: dict[tuple[str, str], str] = {
    ("missing", "job"): "plans created before Ashby sent `job`; nothing of it is needed to start",
    **{
        ("missing", path): "a display field with a fallback: a recruiter is not blocked for it"
        for path in (
            "candidate.first_name",
            "candidate.last_name",
            "candidate.ashby_profile_url",
            "application.status",
            "job.ashby_id",
            "job.name",
            "job.ashby_job_url",
            "job.hiringTeam.0.userId",
            "job.hiringTeam.0.firstName",
            "job.hiringTeam.0.lastName",
            "job.hiringTeam.0.email",
            "job.hiringTeam.0.role",
        )
    },
    ("enum", "application.status"): "kept as text: a status Ashby adds later must not block a start",
    ("format", "job.hiringTeam.0.userId"): "unused: the hiring team is not stored",
}
# The pre-UUID instrument keys assessment.list answered before: runs already started keep them.
LEGACY_TYPE_IDS = ("big5", "disc", "eq")


def flat(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its `allOf`s merged (the extract wraps most fields in one)."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf", []):
        part = flat(part)
        merged.setdefault("properties", {}).update(part.pop("properties", {}))
        merged["required"] = [*merged.get("required", []), *part.pop("required", [])]
        merged.update(part)
    return merged


def request_schema(operation: str) -> dict[str, Any]:
    spec = yaml.safe_load(PARTNER_SPEC.read_text())
    return spec["paths"][f"/{operation}"]["post"]["requestBody"]["content"]["application/json"]["schema"]


def violations(schema: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """(kind, dotted path, value or None for "leave it out") for every rule the schema states."""
    schema = flat(schema)
    for name in schema.get("required", []):
        yield "missing", prefix + name, None
    for name, prop in schema.get("properties", {}).items():
        prop, path = flat(prop), prefix + name
        if prop.get("type") in WRONG_TYPE:
            yield "type", path, WRONG_TYPE[prop["type"]]
        if prop.get("format") == "uuid":
            yield "format", path, "not-a-uuid"
        if "enum" in prop:
            yield "enum", path, "Not one of " + "/".join(prop["enum"])
        if prop.get("type") == "object":
            yield from violations(prop, path + ".")
        if prop.get("type") == "array":
            yield from violations(prop["items"], path + ".0.")


def with_violation(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return body


def fixture(operation: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{operation}.json").read_text())


START_CASES = list(violations(request_schema("assessment.start")))
CANCEL_CASES = list(violations(request_schema("assessment.cancel")))


def test_the_cases_cover_what_the_spec_states():
    """The derivation reaches what matters (a broken walk would pass every test below)."""
    cases = {(kind, path) for kind, path, _ in START_CASES}
    assert {
        ("missing", "candidate.email"),
        ("type", "candidate.email"),
        ("format", "assessment_type_id"),
    } <= cases
    assert ("enum", "application.status") in cases and ("missing", "job.hiringTeam.0.userId") in cases
    assert set(LENIENT) <= cases, "a leniency for a rule the spec no longer states"


def assert_refused(response, status: int) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False and body["errorInfo"]["code"] and body["errorInfo"]["message"]
    assert body["errorInfo"]["requestId"] == response.headers["x-request-id"][0]
    if status == 422:
        assert body["message"] == body["errorInfo"]["message"], "the sentence Ashby shows the recruiter"


@pytest.mark.parametrize(("kind", "path", "value"), START_CASES, ids=[f"{k}:{p}" for k, p, _ in START_CASES])
@pytest.mark.django_db
def test_assessment_start_refuses_what_the_spec_forbids_unless_deliberately_lenient(
    partner, kind, path, value
):
    body = with_violation(
        {**fixture("assessment.start"), "assessment_type_id": listed_type_id(partner)}, path, value
    )
    response = partner.call("/assessment.start", body)  # the answer is checked against the spec
    if (kind, path) in LENIENT:
        assert response.status_code == 200, (LENIENT[(kind, path)], response.content)
        assert AssessmentRun.objects.count() == 1
        return
    assert_refused(response, 422)
    assert not AssessmentRun.objects.exists(), "nothing started"


@pytest.mark.parametrize(
    ("kind", "path", "value"), CANCEL_CASES, ids=[f"{k}:{p}" for k, p, _ in CANCEL_CASES]
)
@pytest.mark.django_db
def test_assessment_cancel_refuses_what_the_spec_forbids(partner, kind, path, value):
    response = partner.call("/assessment.cancel", with_violation(fixture("assessment.cancel"), path, value))
    assert_refused(response, 200)  # cancel lists only 200: the error envelope


@pytest.mark.parametrize("legacy", LEGACY_TYPE_IDS)
@pytest.mark.django_db
def test_a_pre_uuid_instrument_key_is_still_accepted(partner, legacy):
    """Deliberate: `format: uuid` broken by the keys assessment.list answered before the UUIDs."""
    response = partner.call(
        "/assessment.start", {**fixture("assessment.start"), "assessment_type_id": legacy}
    )
    assert response.status_code == 200, response.content
    assert AssessmentRun.objects.get().instrument == legacy
