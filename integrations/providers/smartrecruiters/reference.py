"""SmartRecruiters' published Assessment API (2021) definitions that ship with this package
(vendor/), read as package data.

`vendor/assessment_api_2021.openapi.json` is transcribed by hand from SR's own OpenAPI
(konfig-sdks/openapi-examples:smartrecruiters/openapi.yaml, commit 2d2b1f35): the operations'
`security` (the scope each one requires) and the schemas JobCannon's calls must fit
(PartnerConfigurationRequest, PackageResult, AssessmentResult, Score, AssessmentType, ...), the
Customer API's OAuth scopes (securitySchemes.oauth, plus the names SRD's access-scopes page lists),
the `security` of the Customer API operations we call with the customer's OAuth token
(`customer_api`: GET /configuration/company, GET /configuration/candidate-properties, PUT
/candidates/{id}/jobs/{jobId}/properties/{propertyId}) and the Webhooks API's EventName enum.
The built-in sandbox validates our PUT /partner/configuration body and every posted PackageResult
against it, refuses OAuth scopes and subscription event names it does not list, requires the
scopes `customer_api` declares, and the tests hold the wire names and scopes in constants.py
against it, so what we send is measured against what SR publishes, not against itself.

Read through importlib.resources, never through a path under the source tree (an installed
build ships only the packages and their declared package data: pyproject.toml
[tool.setuptools.package-data])."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

PACKAGE = "integrations.providers.smartrecruiters"
ASSESSMENT_API = "assessment_api_2021.openapi.json"


@functools.cache
def assessment_api() -> dict[str, Any]:
    """The vendor file: {"_source", "paths": {path: {method: {"security", ...}}},
    "components": {"schemas", "securitySchemes"}}."""
    vendor = resources.files(PACKAGE).joinpath("vendor")
    return json.loads(vendor.joinpath(ASSESSMENT_API).read_text("utf-8"))


def schema(name: str) -> dict[str, Any]:
    """One of SRO's components.schemas (its `$ref`s point into the same file)."""
    return assessment_api()["components"]["schemas"][name]


def operation_scopes(path: str, method: str) -> tuple[str, ...]:
    """The OAuth scopes SRO's `security` requires for an operation (path as SRO writes it,
    e.g. "/packages/{assessmentPackageId}"); () when the operation declares none."""
    operation = assessment_api()["paths"][path][method.lower()]
    return tuple(
        scope
        for requirement in operation.get("security", [])
        for scopes in requirement.values()
        for scope in scopes
    )


def customer_api_operation(path: str, method: str) -> dict[str, Any]:
    """One Customer API operation JobCannon calls with the customer's OAuth token, as SRO
    publishes it (the vendor file's `customer_api.paths`; path as SRO writes it, e.g.
    "/configuration/company")."""
    return assessment_api()["customer_api"]["paths"][path][method.lower()]


def customer_api_oauth_scopes(path: str, method: str) -> tuple[str, ...]:
    """The scopes an OAuth token needs for a Customer API operation: its `security`'s `oauth`
    alternative (the other, `key`, is SR's API key, which JobCannon does not use). OpenAPI 3.0
    reads every name in that list as required."""
    return tuple(
        scope
        for requirement in customer_api_operation(path, method).get("security", [])
        for scope in requirement.get("oauth", [])
    )


def customer_oauth_scopes() -> frozenset[str]:
    """Every Customer API OAuth scope SR publishes: SRO securitySchemes.oauth (authorization code)
    and the names SRD /docs/authentication-access-scopes lists (one spelling differs, see
    `_srd_access_scopes._note` in the vendor file)."""
    document = assessment_api()
    flow = document["components"]["securitySchemes"]["oauth"]["flows"]["authorizationCode"]
    return frozenset(flow["scopes"]) | frozenset(document["_srd_access_scopes"]["scopes"])


def webhook_event_names() -> frozenset[str]:
    """SRO's EventName enum: every event name POST /subscriptions accepts."""
    return frozenset(schema("EventName")["enum"])
