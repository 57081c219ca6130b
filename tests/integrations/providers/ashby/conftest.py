"""Fixtures of the partner API tests against Ashby's spec (third-party mirror; partner_spec.py): `wsgi_app`
(our WSGI app for schemathesis) and `partner` (Ashby calling an integration's base URL)."""

from .partner_spec import partner, wsgi_app  # noqa: F401 - fixtures
