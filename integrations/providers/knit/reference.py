"""Knit's published reference data that ships with this package (vendor/), read as package data.

`vendor/ats_candidate_assessment.model.json` is Knit's Candidate Assessment model (Model ID
`ats_candidate_assessment`) transcribed by hand from https://developers.getknit.dev/reference/assessments-apis:
its fields, their types and descriptions, and the status values. The built-in simulator checks the
unified update's body against it, and the tests check our body against it, so the client's guess
(constants.UPDATE_BODY_FIELDS) is always measured against what Knit publishes, not against itself.

Read through importlib.resources, never through a path under the source tree (and never under
tests/): an installed build ships only the packages and their declared package data
(pyproject.toml [tool.setuptools.package-data])."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

PACKAGE = "integrations.providers.knit"
CANDIDATE_ASSESSMENT_MODEL = "ats_candidate_assessment.model.json"


@functools.cache
def candidate_assessment_model() -> dict[str, Any]:
    """Knit's Candidate Assessment model: {"_source", "model_id", "fields": {name: {"type",
    "description", ["enum"]}}, "update_request": {...}}."""
    vendor = resources.files(PACKAGE).joinpath("vendor")
    return json.loads(vendor.joinpath(CANDIDATE_ASSESSMENT_MODEL).read_text("utf-8"))
