"""The built-in Knit simulator's URLs (dev/test plug-in, loaded by the provider only when
ATS_SIMULATORS_ENABLED): the pages (simulator_pages.py), Knit's API (simulator.py) and the Ashby
workflow Knit runs (simulator_ashby.py), which build on simulator.py's helpers. Only calls Knit
documents have a route; any other `v1.0/<operation>` (e.g. `ats.assessment.secrets.revoke`, which
Knit does not document) gets Knit's 404 from api_unknown."""

from __future__ import annotations

from django.urls import path

from . import simulator_pages as pages
from .simulator import (
    api_assessment_update,
    api_passthrough,
    api_secrets_create,
    api_unknown,
)
from .simulator_ashby import workflow

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("ashby/", pages.ashby, name="ashby"),
    path("submissions/", pages.submissions, name="submissions"),
    path("v1.0/ats.assessment.secrets.create", api_secrets_create, name="api-secrets-create"),
    path("v1.0/ats.candidate.assessment.update", api_assessment_update, name="api-assessment-update"),
    path("v1.0/passthrough", api_passthrough, name="api-passthrough"),
    path("v1.0/<path:operation>", api_unknown, name="api-unknown"),
    path("workflows/webhook/ashby/", workflow, {"action": ""}, name="workflow-base"),
    path("workflows/webhook/ashby/<str:action>", workflow, name="workflow"),
]
