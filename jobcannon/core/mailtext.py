"""Text people chose (a workspace or brand name, a job title from an ATS) inside the subject of
an email we send: mail clients give the subject the most weight, so there it is only a short,
single-line excerpt inside our own sentence; the body may name it in full."""

from __future__ import annotations

import unicodedata

SUBJECT_NAME_CHARS = 40


def subject_excerpt(text: str, *, limit: int = SUBJECT_NAME_CHARS) -> str:
    """`text` on one line (control, format and separator characters, line breaks and
    bidirectional overrides among them, become single spaces), cut to `limit` characters."""
    flat = " ".join(
        "".join(" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in text).split()
    )
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
