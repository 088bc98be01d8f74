"""The year test's clinic: the demo families seeded on a fixed day.

The shared seeded clinic (``tests/conftest.py``) was written at the real
time the session started, and ZODB cannot commit before its last
transaction: a clock moved to a day's noon that lies before it would
write transactions older than the seed.  So this clinic is seeded with
the clock stopped on the morning of the day before ``DAY0``, in storages
of its own, and the year runs forward from there.  A fixed ``DAY0`` also
fixes the calendar the expectations meet (the year after it holds
29 February 2028, so a 12-month period there is 366 days).
"""
import os
import tempfile
from datetime import datetime, time, timedelta, timezone

import pytest
import time_machine
from ZODB.MappingStorage import MappingStorage
from ZODB.blob import BlobStorage

from support import MAIL_DIR, multi_database, seed
from year_journal import DAY0


@pytest.fixture
def year_app(base_app):
    """The configured app over a demo clinic seeded at 09:00 the day
    before ``DAY0`` (the demo clinic's clock is UTC); ``app.db`` and
    ``app.demo`` as in ``tests/conftest.py``."""
    wsgi = base_app[0]
    mail_before = set(os.listdir(MAIL_DIR))
    storage = BlobStorage(tempfile.mkdtemp(prefix='minorconsent-year-'), MappingStorage())
    db, databases = multi_database(storage, MappingStorage())
    saved = wsgi.registry._zodb_databases
    wsgi.registry._zodb_databases = databases
    wsgi.registry.audit_recorder.buffer.clear()
    try:
        seeded = datetime.combine(DAY0 - timedelta(days=1), time(9), tzinfo=timezone.utc)
        with time_machine.travel(seeded, tick=False):
            demo = seed(db, wsgi.registry)
        wsgi.db, wsgi.demo = db, demo
        yield wsgi
    finally:
        wsgi.registry.audit_recorder.buffer.clear()
        wsgi.registry._zodb_databases = saved
        # The year's mail is named by the moved clock's time (2027, 2028):
        # left in the shared mail folder, every later test of this process
        # would count it as mail "since" its start.
        for name in set(os.listdir(MAIL_DIR)) - mail_before:
            os.unlink(os.path.join(MAIL_DIR, name))
        for each in databases.values():
            each.close()
