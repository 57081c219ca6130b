"""Hypothesis on every signature verifier, webhook parser and payload mapper of every provider.

The contracts, from what the generic intake expects (integrations/services/webhooks.py):
- a verifier answers a Verification for anything at all, and never accepts a forgery;
- a parser raises only ValueError / KeyError / TypeError for a malformed body (the intake turns
  those into a stored rejection and a 400);
- a mapper of untrusted vendor JSON returns its typed value or raises one of those three."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.base import InboundRequest, ParsedWebhook, Verification
from integrations.registry import get_provider, get_providers
from jobcannon.core.jsondepth import json_too_deep
from tests.factories import IntegrationFactory
from tests.security.fuzz import (
    FUZZ,
    bodies,
    headers_for,
    json_objects,
    mapper_functions,
    mutated_documents,
)

pytestmark = pytest.mark.django_db

MALFORMED = (ValueError, KeyError, TypeError)
PROVIDERS = sorted(get_providers())
SECRETS = ["whsec_fuzz_secret_one", "whsec_fuzz_secret_two"]


def _integration(key: str):
    return IntegrationFactory(
        provider=key,
        credentials={"api_key": SECRETS[0], "client_id": "cid", "client_secret": "cs"},
        webhook_secrets=[{"secret": s} for s in SECRETS],
    )


@pytest.mark.parametrize("provider_key", PROVIDERS)
def test_signature_verifier_answers_anything_and_never_accepts_a_forgery(provider_key):
    provider = get_provider(provider_key)
    integration = _integration(provider_key)

    @FUZZ
    @given(
        body=bodies,
        headers=headers_for(provider_key),
        query=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
    )
    def check(body, headers, query):
        if json_too_deep(body):
            return  # refused with a 400 by InboundGuardMiddleware (Knit's verifier parses JSON)
        request = InboundRequest(body=body, headers={k.lower(): v for k, v in headers.items()}, query=query)
        verification = provider.verify_webhook(integration, request, list(SECRETS))
        assert isinstance(verification, Verification)
        if verification.ok:
            # Only a subscription handshake (no signature exists yet) may pass unsigned.
            assert "handshake" in verification.scheme.lower(), (verification, headers)
        else:
            assert verification.reason, "a rejection needs a reason the customer can read"

    check()


@pytest.mark.parametrize("provider_key", PROVIDERS)
def test_webhook_parser_raises_only_malformed_input_errors(provider_key):
    provider = get_provider(provider_key)

    @FUZZ
    @given(
        body=st.one_of(
            bodies, mutated_documents(provider_key).map(lambda v: __import__("json").dumps(v).encode())
        ),
        headers=headers_for(provider_key),
    )
    def check(body, headers):
        if json_too_deep(body):
            return  # refused with a 400 by InboundGuardMiddleware before any parser runs
        request = InboundRequest(body=body, headers={k.lower(): v for k, v in headers.items()}, query={})
        try:
            parsed = provider.parse_webhook(request)
        except MALFORMED:
            return
        assert isinstance(parsed, ParsedWebhook)
        assert isinstance(parsed.event_type, str) and isinstance(parsed.external_id, str)

    check()


MAPPERS = mapper_functions()

# A mapper may refuse a malformed payload with any of these; AttributeError is what `.get` on a
# value of the wrong type raises (a string where an object belongs). Its caller records it: a
# webhook handler's failure is kept on the event and retried, then dead-lettered; a partner API
# must still answer 4xx, which test_fuzz_http.py checks over HTTP.
MAPPER_REFUSALS = (ValueError, LookupError, TypeError, AttributeError)


@pytest.mark.parametrize("name,mapper", MAPPERS, ids=[n for n, _ in MAPPERS])
def test_payload_mapper_returns_or_rejects_malformed_input(name, mapper):
    kwargs = {
        p.name: None
        for p in list(inspect.signature(mapper).parameters.values())[1:]
        if p.default is inspect.Parameter.empty
    }

    @FUZZ
    @given(payload=st.one_of(mutated_documents(), json_objects))
    def check(payload):
        try:
            mapper(payload, **kwargs)
        except MAPPER_REFUSALS:
            pass

    check()
