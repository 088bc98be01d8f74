"""What a simulated clinic day changed, read back from the database, the
mail folder and the audit trail after the day's runs (the year test's
journal, ``test_clinic_year.py``)."""
import email
import os
from collections import Counter
from datetime import date
from email.header import decode_header, make_header

from minorconsent.audit.chain import log_of
from minorconsent.reminders.model import store_of

from support import MAIL_DIR

#: The year test's day 0 (``conftest.year_app`` seeds the demo the day
#: before).  Fixed: the expectations meet a known calendar.
DAY0 = date(2027, 4, 1)


def _agreements(clinic):
    for client in clinic['clients'].values():
        if 'agreements' not in client:
            continue
        for agreement in client['agreements'].values():
            yield client, agreement


class Journal:
    """``journal.day(n)`` after day ``n``'s runs records, per kind, what is
    new since the previous call: ``mail`` (to, subject), ``events``
    (client, agreement, kind, actor), ``states`` (client, agreement, old,
    new), ``reminders`` (client, agreement, person, count) when the count grew, ``audit`` (action,
    record, actor), ``notices`` (user id, kind, client id)."""

    def __init__(self, app, clinic):
        self.app, self.clinic = app, clinic
        self.days = {}
        self.keys = {}       # agreement workflow_key -> (client id, agreement id)
        self._mail = set(os.listdir(MAIL_DIR))
        self._events, self._states, self._counts, self._notices = {}, {}, {}, {}
        self._audit_seq = -1
        self.snapshot()

    # --- reading ------------------------------------------------------------

    def _read_mail(self):
        names = set(os.listdir(MAIL_DIR))
        found = []
        for name in sorted(names - self._mail):
            with open(os.path.join(MAIL_DIR, name), 'rb') as f:
                message = email.message_from_bytes(f.read())
            found.append((message['To'], str(make_header(decode_header(message['Subject'])))))
        self._mail = names
        return sorted(found)

    def _read_clinic(self):
        events, states, reminders, notices = [], [], [], []
        with self.clinic() as c:
            for client, agreement in _agreements(c):
                key = (client.__name__, agreement.__name__)
                self.keys[agreement.workflow_key] = key
                listed = agreement.event_list()
                for event in listed[self._events.get(key, 0):]:
                    events.append(key + (event.kind, event.actor_id, event.time))
                self._events[key] = len(listed)
                if self._states.get(key) != agreement.state:
                    states.append(key + (self._states.get(key), agreement.state))
                    self._states[key] = agreement.state
            store = store_of(c)
            for rkey, record in (store.records.items() if store is not None else ()):
                # A record written for a stop (count 0) is no reminder.
                if record.count > self._counts.get(rkey, 0):
                    reminders.append(self.keys[rkey[0]] + (rkey[1], record.count))
                    self._counts[rkey] = record.count
            worklist = getattr(c, 'worklist_store', None)
            for uid, kept in (worklist.notices.items() if worklist is not None else ()):
                items = list(kept.items)
                for notice in items[self._notices.get(uid, 0):]:
                    notices.append((uid, notice.kind, notice.client_id, notice.when))
                self._notices[uid] = len(items)
        return events, states, reminders, notices

    def _read_audit(self):
        registry = self.app.registry
        registry.audit_recorder.flush()
        conn = registry._zodb_databases['audit'].open()
        try:
            log = log_of(conn.root(), create=False)
            found = []
            if log is not None:
                for seq in log.entries.keys(min=self._audit_seq + 1):
                    entry = log.get(seq)
                    found.append((entry['action'], entry['record'], entry['actor'],
                                  entry.get('detail', '')))
                    self._audit_seq = seq
            return found
        finally:
            conn.close()

    def snapshot(self):
        """Everything so far counts as seen (the day-0 set-up)."""
        self._read_mail()
        self._read_clinic()
        self._read_audit()

    def day(self, n):
        events, states, reminders, notices = self._read_clinic()
        today = {'mail': self._read_mail(), 'events': events, 'states': states,
                 'reminders': reminders, 'audit': self._read_audit(), 'notices': notices}
        self.days[n] = {k: v for k, v in today.items() if v}
        return self.days[n]

    def when(self, kind, match=lambda item: True):
        """The days (with repeats) an item of ``kind`` matching ``match`` happened."""
        return sorted(n for n, today in self.days.items()
                      for item in today.get(kind, ()) if match(item))

    def busy_days(self):
        return sorted(n for n, today in self.days.items() if today)

    def counts(self, n):
        return Counter({k: len(v) for k, v in self.days.get(n, {}).items()})
