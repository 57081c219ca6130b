"""The Ashby webhook fixtures are what Ashby sends: each one is accounted for in
tests/fixtures/ashby/webhooks/README.md (PUBLISHED or INVENTED, with its source), and each one
whose action Ashby's spec describes validates against that webhook's schema, format checks on
(tests/fixtures/ashby/openapi/ashby-webhooks-openapi.yml, the spec's `webhooks:` section)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from integrations.providers.ashby import constants

FIXTURES = Path(__file__).parents[3] / "fixtures" / "ashby"
WEBHOOKS = FIXTURES / "webhooks"
SPEC = yaml.safe_load((FIXTURES / "openapi" / "ashby-webhooks-openapi.yml").read_text())
FILES = sorted(p.name for p in WEBHOOKS.glob("*.json"))
# Seed 000's names: delivered by a sender following the setup guide, absent from Ashby's spec.
SEED_ALIASES = {constants.EVENT_CANDIDATE_CREATED, constants.EVENT_ASSESSMENT_COMPLETED}


def readme_rows() -> dict[str, str]:
    """file name -> origin (PUBLISHED / INVENTED), from the README's table."""
    text = (WEBHOOKS / "README.md").read_text()
    return dict(re.findall(r"^\| `([^`]+\.json)` \| (\w+) \|", text, flags=re.MULTILINE))


def schema_errors(body: dict) -> list[str]:
    webhook = SPEC["webhooks"][body["action"]]
    schema = webhook["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(body)]


def test_every_fixture_has_one_readme_row_saying_where_it_came_from():
    rows = readme_rows()
    assert sorted(rows) == FILES, "one README row per fixture, and no row without its file"
    assert set(rows.values()) <= {"PUBLISHED", "INVENTED"}


def test_the_schema_check_can_fail():
    """The values the audit found (an offerStatus outside the enum, a job without `confidential`,
    a requisition id that is not a uuid) are refused."""
    hire = json.loads((WEBHOOKS / "candidateHire.json").read_bytes())
    hire["data"]["offer"]["offerStatus"] = "OfferAccepted"
    assert schema_errors(hire)
    job = json.loads((WEBHOOKS / "jobCreate.json").read_bytes())
    del job["data"]["job"]["confidential"]
    job["data"]["job"]["customRequisitionId"] = "R-42"
    assert len(schema_errors(job)) == 2


@pytest.mark.parametrize("name", FILES)
def test_each_fixture_is_a_body_ashby_publishes_a_schema_for(name):
    body = json.loads((WEBHOOKS / name).read_bytes())
    # https://developers.ashbyhq.com/docs/common-payload-data: every payload has all three.
    assert {"webhookActionId", "action", "data"} <= set(body)
    assert name.split("__")[0].removesuffix(".json") == body["action"], "named after its wire action"
    if body["action"] in SEED_ALIASES:
        assert body["action"] not in SPEC["webhooks"]
        return
    assert body["action"] in SPEC["webhooks"], "an action Ashby sends, carried by extract.py"
    assert schema_errors(body) == []


@pytest.mark.django_db
def test_the_simulators_jobs_have_the_shape_of_the_specs_job():
    """The sandbox's job.list answers jobs as the spec draws a job (webhooks.jobCreate `data.job`:
    required confidential and employmentType, a uuid customRequisitionId), so a sync tested on the
    simulator reads what Ashby sends."""
    from integrations.providers.ashby import simulator_sync, simulator_sync_data
    from integrations.simulator_plugins.models import SimulatorObject

    job = simulator_sync_data.job_create("acct-1", title="Data engineer")
    answered = simulator_sync.job_json(SimulatorObject.objects.get(pk=job.pk), expand=[])
    schema = SPEC["webhooks"]["jobCreate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    job_schema = schema["properties"]["data"]["properties"]["job"]
    errors = [
        e.message
        for e in Draft202012Validator(job_schema, format_checker=FormatChecker()).iter_errors(answered)
    ]
    assert errors == []
