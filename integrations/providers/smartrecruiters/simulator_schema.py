"""How the SmartRecruiters sandbox checks a body against SR's published schema
(vendor/assessment_api_2021.openapi.json, reference.py): what SR would answer 400 to.

JSON Schema draft 4 is the dialect nearest OpenAPI 3.0's schema objects (required, enum,
min/maxItems, integer types). Two checks are the sandbox's own, stricter than the schema says,
so that a guessed name or a relative URL shows in our tests instead of at a live tenant [I:
SRO does not say how SR treats them]: properties the schema does not name are refused, and a
`format: uri` property must be an absolute http(s) URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator

from . import reference


def schema_problems(name: str, body: Any) -> list[str]:
    """Where `body` departs from components.schemas[name] as published, and nothing stricter:
    how the sandbox reads what JobCannon answers SR (package list and detail, the in-line order
    answer), where a property SRO does not name is no error (InlineAssessmentPackageResponse
    itself requires `assessmentPackageURL` without naming it among its properties)."""
    document = reference.assessment_api()
    validator = Draft4Validator(
        {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    )
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or name}: {error.message}"
        for error in sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
    ]


def problems(name: str, body: Any) -> list[str]:
    """Why SR would refuse `body` as components.schemas[name] ([] when it fits), one sentence
    each, naming the property; with the sandbox's two stricter checks (module docstring)."""
    found = schema_problems(name, body)
    if not isinstance(body, dict):
        return found
    properties = reference.schema(name).get("properties", {})
    unknown = sorted(set(body) - set(properties))
    if unknown:
        found.append(f"Unrecognized field(s): {', '.join(unknown)} (not in SR's {name}).")
    for prop, spec in properties.items():
        value = body.get(prop)
        if spec.get("format") == "uri" and isinstance(value, str):
            parts = urlsplit(value)
            if parts.scheme not in ("https", "http") or not parts.netloc:
                found.append(f"{prop}: an absolute http(s) URL is required.")
    return found


def score_problems(score: Any) -> list[str]:
    """SRO Score: {raw, min, max} all required, each `integer` (int64), "raw value in a range from
    min to max - including min and max" (its example: {raw:28, min:20, max:80})."""
    found = problems("Score", score)
    if not found and not score["min"] <= score["raw"] <= score["max"]:
        found.append("raw must lie between min and max (both included).")
    return found


def _attachment_types() -> tuple[str, ...]:
    """SRO Attachment.type's enum, from the vendor file (never constants.ATTACHMENT_TYPES)."""
    return tuple(reference.schema("Attachment")["properties"]["type"]["enum"])


def attachment_problems(attachments: Any) -> list[str]:
    """A URL attachment as we send it: a type of SRO Attachment.type's enum and an absolute URL.
    Not checked against the vendor file's whole `Attachment`: that is the merged YAML's one schema of
    the name, the Application API's (its required id and actions are SR's own answer fields) [I]."""
    if not isinstance(attachments, list):
        return ["attachments must be an array."]
    allowed_types = _attachment_types()
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("type") not in allowed_types:
            return [f"attachments[].type must be one of {', '.join(allowed_types)}."]
        parts = urlsplit(str(attachment.get("url", "")))
        if parts.scheme not in ("https", "http") or not parts.netloc:
            return ["attachments[].url must be an absolute URL."]
    return []


def assessment_results_problems(items: Any) -> list[str]:
    """PackageResult.assessmentResults: an array of SRO AssessmentResult (assessmentId required,
    status from its enum, score a Score, no property the schema does not name)."""
    if not isinstance(items, list):
        return ["assessmentResults must be an array of AssessmentResult."]
    for index, item in enumerate(items):
        where = f"assessmentResults[{index}]"
        if not isinstance(item, dict):
            return [f"{where}: must be an object (AssessmentResult)."]
        found = problems("AssessmentResult", {k: v for k, v in item.items() if k != "attachments"})
        if not found and "score" in item:
            found = [f"score: {p}" for p in score_problems(item["score"])]
        if not found and "attachments" in item:
            found = attachment_problems(item["attachments"])
        if found:
            return [f"{where}: {' '.join(found)}"]
    return []


def package_result_problems(body: dict[str, Any]) -> list[str]:
    """Why SR would refuse a PATCH /orders/{orderId}/results body ([] when it fits): SRO
    Result_updatePackageResult takes a PackageResult and "Follows RFC 7396 rules", so a null member
    removes that member and is not itself validated. Every member must be one PackageResult names,
    null or not (the sandbox's stricter rule, module docstring: `passed: null` is refused, not
    ignored); the rest is checked as published (types, status enum, Score), attachments by
    attachment_problems (see there) and each assessmentResults item as an AssessmentResult."""
    unknown = sorted(set(body) - set(reference.schema("PackageResult")["properties"]))
    if unknown:
        return [f"Unrecognized field(s): {', '.join(unknown)} (not in SR's PackageResult)."]
    present = {k: v for k, v in body.items() if v is not None}
    nested = ("attachments", "assessmentResults")
    found = schema_problems("PackageResult", {k: v for k, v in present.items() if k not in nested})
    if not found and "score" in present:
        found = [f"score: {p}" for p in score_problems(present["score"])]
    if "attachments" in present:
        found += attachment_problems(present["attachments"])
    if "assessmentResults" in present:
        found += assessment_results_problems(present["assessmentResults"])
    return found
