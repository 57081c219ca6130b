"""Hypothesis strategies for what an ATS (or anyone on the internet) can send: arbitrary bytes,
malformed and deeply nested JSON, wrong types in the right places (mutated real vendor
fixtures), unicode edge cases, missing and garbage headers."""

from __future__ import annotations

import importlib
import inspect
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from integrations.registry import get_providers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Bounded: the suite stays fast. deadline=None because the first example warms Django up.
# Derandomized (the same examples every run, no example database on disk): CI never flakes on
# a newly drawn example; run with HYPOTHESIS_RANDOM=1 to explore fresh ones locally.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=not os.environ.get("HYPOTHESIS_RANDOM"),
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

UNICODE_EDGES = [
    "",
    "\x00",
    "\u202e",  # right-to-left override
    "\ufeff",  # byte order mark
    "\ud800",  # a lone surrogate: valid in JSON ("\\ud800"), no UTF-8 string can hold it
    "\U0001f600",
    "e\u0301",  # combining accent
    "𝕏" * 50,
    "a" * 5000,
    "null",
    "-1",
    "1e309",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(UNICODE_EDGES),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)

json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


def provider_fixtures(key: str | None = None) -> list[bytes]:
    base = FIXTURES if key is None else FIXTURES / key
    return [p.read_bytes() for p in sorted(base.rglob("*.json"))]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if new is _DELETE and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replace(value[head], rest, new)
        return copy
    copy_list = list(value)
    if new is _DELETE and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replace(value[head], rest, new)
    return copy_list


_DELETE = object()


@st.composite
def mutated_documents(draw, key: str | None = None) -> Any:
    """A real vendor payload with a few parts replaced by wrong types, deleted or garbled."""
    corpus = [json.loads(b) for b in provider_fixtures(key)] or [{}]
    doc = draw(st.sampled_from(corpus))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        # The root stays an object: mappers are typed Mapping[str, Any] and parsers check that.
        paths = [p for p in _paths(doc) if p] or [()]
        path = draw(st.sampled_from(paths))
        new = draw(st.one_of(json_values, st.just(_DELETE))) if path else draw(json_objects)
        doc = _replace(doc, path, new)
    return doc


def deeply_nested(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


bodies = st.one_of(
    st.binary(max_size=512),
    json_values.map(lambda v: json.dumps(v).encode()),
    mutated_documents().map(lambda v: json.dumps(v).encode()),
    st.sampled_from(
        [
            b"",
            b"{",
            b"null",
            b"[]",
            b'"just a string"',
            b"\xff\xfe\x00\x00",
            b'{"a": NaN}',
            b'{"a": 1e999}',
            deeply_nested(50_000),
            b'{"a":' * 5000 + b"1" + b"}" * 5000,
            '{"é": "\u202e\ufeff"}'.encode(),
        ]
    ),
)


def provider_package(provider_key: str) -> str:
    """The package of a registered provider: the one holding the class ATS_PROVIDERS names
    (integrations.providers.<key>, or tests.fakes.ats_provider for the test settings' fake ATS)."""
    return type(get_providers()[provider_key]).__module__.rpartition(".")[0]


def header_names(provider_key: str) -> list[str]:
    """The provider's own header names (signatures, timestamps, ids) from its constants, so
    the fuzzing reaches the verifier's parsing, not only its 'missing header' branch."""
    module = importlib.import_module(f"{provider_package(provider_key)}.constants")
    names = [v for k, v in vars(module).items() if k.endswith("HEADER") and isinstance(v, str)]
    return [*names, "Content-Type", "X-JobCannon-Integration", "User-Agent"]


def headers_for(provider_key: str) -> st.SearchStrategy[dict[str, str]]:
    values = st.one_of(
        st.text(max_size=80).filter(lambda s: "\n" not in s and "\r" not in s),
        # Not the lone surrogate: a server decodes header bytes as latin-1, so no request can
        # carry one in a header (the test client would pass it through as no server could).
        st.sampled_from([e for e in UNICODE_EDGES if e != "\ud800"]),
        st.sampled_from(
            ["sha256=", "sha256=" + "0" * 64, "v1=" + "a" * 64, "t=1,v1=zz", "v1=;v1=", "0" * 64]
        ),
        st.integers().map(str),
    )
    return st.dictionaries(st.sampled_from(header_names(provider_key)), values, max_size=5)


def mapper_functions() -> list[tuple[str, Any]]:
    """Every public mapper that takes untrusted vendor JSON (`Mapping[str, Any]` first) and
    nothing else required: found by introspection, so new mappers are fuzzed as they land."""
    found = []
    for key in sorted(get_providers()):
        try:
            module = importlib.import_module(f"{provider_package(key)}.mappers")
        except ModuleNotFoundError:
            continue
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or func.__module__ != module.__name__:
                continue
            params = list(inspect.signature(func).parameters.values())
            if not params or not str(params[0].annotation).startswith("Mapping"):
                continue
            required = [p for p in params[1:] if p.default is inspect.Parameter.empty]
            if any(p.kind is not inspect.Parameter.KEYWORD_ONLY for p in required):
                continue
            found.append((f"{key}.mappers.{name}", func))
    return found
