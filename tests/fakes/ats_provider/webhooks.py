from integrations.base import InboundRequest, Verification, WebhookContext, verify_hmac_hex
from integrations.services.activity import activity_log

from . import constants, mappers


def verify(request: InboundRequest, secrets: list[str]) -> Verification:
    signature = request.header(constants.SIGNATURE_HEADER)
    if not signature:
        return Verification(ok=False, reason=f"Missing {constants.SIGNATURE_HEADER} header.")
    if not secrets:
        return Verification(ok=False, reason="This integration has no webhook secret configured.")
    if not verify_hmac_hex(body=request.body, signature=signature, secrets=secrets, prefix="sha256="):
        return Verification(
            ok=False,
            scheme="fake-hmac",
            reason="Signature does not match: wrong secret, or the body changed after signing.",
        )
    return Verification(ok=True, scheme="fake-hmac")


def handle_candidate_created(ctx: WebhookContext) -> None:
    candidate = mappers.candidate_from_event(ctx.payload)
    activity_log(
        integration=ctx.integration,
        kind="candidate.created",
        message=f"Candidate {candidate.external_id} created.",
    )


EVENT_HANDLERS = {constants.EVENT_CANDIDATE_CREATED: handle_candidate_created}
IGNORED_EVENTS = frozenset({constants.EVENT_PING})
