"""JSON nesting depth: a bound on what untrusted JSON may cost us.

json.loads recurses per nesting level: a body like `[[[[…` one megabyte deep raises RecursionError
(not ValueError) in every parser and serializer downstream, a 500. Real vendor payloads nest a
dozen levels. Used by the inbound guard (integrations/middleware.py) for partner API calls, by
the webhook intake once a delivery's signature verified (integrations/services/webhook_intake.py),
and by the providers that must read the JSON body to verify it (json_loads_bounded). In core, the
ground layer, so that all of them can import it."""

from __future__ import annotations

import array
import itertools
import json
import re
from typing import Any

# Anything with fewer opening brackets than this cannot go deeper.
MAX_JSON_DEPTH = 200


# Strings (escapes included) cut out in C; what is left is reduced to its brackets, +1 / -1 each.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_too_deep(body: bytes) -> bool:
    """True when `body` is JSON nested deeper than MAX_JSON_DEPTH (cheap for normal bodies: two
    byte counts, and a scan only when there are that many brackets at all). The scan runs at C
    speed (a regex, a translate, running sums): junk with many brackets cost ~60 ms per MiB in a
    Python loop over every byte, a CPU sink anyone could fill (benchmarks section 7). Still ~2 ms
    per 64 KiB of `[]` pairs: callers run it only on bodies worth parsing (a verified signature,
    an authenticated partner call), never on every piece of junk."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    steps = array.array("b", _JSON_STRING.sub(b"", body).translate(_BRACKET_STEPS, _NOT_BRACKETS))
    depth = 0
    for start in range(0, len(steps), 65536):  # chunks: a deep body is caught early
        chunk = steps[start : start + 65536]
        if max(itertools.accumulate(chunk, initial=depth)) > MAX_JSON_DEPTH:
            return True
        depth += sum(chunk)
    return False


def json_loads_bounded(body: bytes) -> Any:
    """json.loads for a body not verified yet (a provider that reads its signature from the JSON,
    or verifies a re-serialised copy): ValueError, never RecursionError, for a body nested deeper
    than MAX_JSON_DEPTH. Parsed first, depth-checked after: junk that is not JSON fails the parse
    at its first bad byte, so only a body that parsed pays for the depth scan."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
    if json_too_deep(body):
        raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    return value
