from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FakeCandidate:
    external_id: str
    name: str
    email: str


def candidate_from_event(payload: Mapping[str, Any]) -> FakeCandidate:
    data = payload.get("data") or {}
    return FakeCandidate(
        external_id=str(data["candidate_id"]),
        name=str(data.get("name", "")),
        email=str(data.get("email", "")),
    )


def result_body(run: Any) -> dict[str, Any]:
    return {"order_id": run.external_assessment_id or str(run.pk), "status": run.status}
