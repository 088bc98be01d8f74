"""The clinic's one clock: every stored time is timezone-aware UTC.

One function, so that a test (or a future "the clinic's time") changes
the answer in one place, and no room stores a naive datetime by accident.
"""
from datetime import datetime, timezone


def utcnow():
    """Now, as an aware UTC datetime."""
    return datetime.now(timezone.utc)
