"""The fake ATS: a minimal, fully specified provider that proves the provider contract
(tests/contract.py) and stands in for an ATS in tests that are not about one vendor.

It lives under tests/ so it never ships: only jobcannon/settings/test.py lists it in
ATS_PROVIDERS (by dotted path, like every provider: integrations/registry.py imports what the
setting names, from any package). Its key is "fake"; its webhook fixtures are in
tests/fixtures/fake/webhooks/ and its contract tests in test_contract.py beside it."""
