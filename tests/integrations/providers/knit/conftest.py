import pytest


@pytest.fixture(autouse=True)
def no_shared_rate_limiter(monkeypatch):
    """The shared SQLite limiter (integrations/services/ratelimit.py) refuses a call now and then
    when its file lock is busy (pyrate-limiter's non-blocking acquire fails on lock contention,
    not only on a full bucket), and integration ids repeat across tests. Knit's tests are about
    Knit, not the limiter: take it out of the way here."""
    from integrations.services import ratelimit

    monkeypatch.setattr(ratelimit, "rate_limit_acquire", lambda **kwargs: None)
