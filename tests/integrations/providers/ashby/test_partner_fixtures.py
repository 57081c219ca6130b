"""Every partner request body in tests/fixtures/ashby/partner/ is valid against the request
schema of its operation in Ashby's assessment partner OpenAPI (the committed extract,
tests/fixtures/ashby/openapi/ashby-partner-assessment-openapi.yml), format checks on, so a
fixture cannot drift from the spec. Ashby publishes no whole request example for these
operations: the fixtures are assembled from the spec's per-field examples (their README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from .partner_spec import PARTNER_SPEC

FIXTURES = Path(__file__).parents[3] / "fixtures" / "ashby" / "partner"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))


def request_schema(operation: str) -> dict:
    spec = yaml.safe_load(PARTNER_SPEC.read_text())
    return spec["paths"][f"/{operation}"]["post"]["requestBody"]["content"]["application/json"]["schema"]


def validator(operation: str) -> Draft202012Validator:
    # OpenAPI 3.1 schemas are JSON Schema 2020-12; `format` is only asserted with a FormatChecker.
    return Draft202012Validator(request_schema(operation), format_checker=FormatChecker())


def test_there_is_a_fixture_for_every_operation_that_takes_input():
    assert {"assessment.list", "assessment.start", "assessment.cancel"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_partner_fixture_is_valid_against_the_specs_request_schema(name):
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(body)
    ]
    assert not errors, errors


def test_the_format_checks_bite():
    """The check above can fail: a pre-UUID type key and a cancel id that is no uuid are refused
    (`format: uuid`), a start without `job` too (required); the candidate's `ashby_id` is a plain
    string in the spec, so any string passes there."""
    start = json.loads((FIXTURES / "assessment.start.json").read_text())
    assert not validator("assessment.start").is_valid({**start, "assessment_type_id": "big5"})
    assert not validator("assessment.start").is_valid({k: v for k, v in start.items() if k != "job"})
    assert not validator("assessment.cancel").is_valid({"assessment_id": "not-a-uuid"})
    plain_id = {**start, "candidate": {**start["candidate"], "ashby_id": "cand_123"}}
    assert validator("assessment.start").is_valid(plain_id)
