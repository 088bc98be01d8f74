"""What the year test expects, day by day, computed from the clinic's
settings and the families' dates (``Expected``), and the journal read in
the same terms (``observed``), for ``test_clinic_year.py``."""
from collections import Counter
from datetime import timedelta

from minorconsent.agreements.invitations import INVITATION_SUBJECT
from minorconsent.reminders.sending import REMINDER_SUBJECT
from minorconsent.worklist.notices import SUBJECT as STAFF_SUBJECT

from year_journal import DAY0

#: Audit actions each expected event must leave on its day.
KEY_AUDIT = ('reminders.sent', 'reminders.paused', 'reminders.resumed', 'agreement.signed',
             'agreement.activated', 'agreement.renewal sent', 'agreement.expired',
             'agreement.invited')


def day(n):
    return DAY0 + timedelta(days=n)


def offset(d):
    return (d - DAY0).days


def a_year_after(d):
    """The same date a year later (no 29 February among the starts here)."""
    return d.replace(year=d.year + 1)


class Expected:
    """Day -> Counter of the items ``observed`` reads from the journal."""

    def __init__(self, settings):
        self.s = settings
        self.days = {}

    def add(self, n, *item):
        self.days.setdefault(n, Counter())[item] += 1

    def reminder_days(self, first, paused=None):
        """After ``reminder_after_days``, then every ``reminder_every_days``,
        ``reminder_max`` in all; none on a day the family is paused (the
        first run after a resume sends one that fell due meanwhile)."""
        s, found = self.s, []
        due = first + s['reminder_after_days']
        while len(found) < s['reminder_max']:
            while paused and paused[0] <= due < paused[1]:
                due += 1
            found.append(due)
            due += s['reminder_every_days']
        return found

    def link_expiries(self, issued, waits_until=None):
        """The days a family member's link expires unused with no newer one
        sent by then (each reminder's link replaces the one before): the
        therapist is told on those days, while the agreement waits."""
        life = self.s['invitation_days']
        return [d + life for i, d in enumerate(issued)
                if (i + 1 == len(issued) or issued[i + 1] > d + life)
                and (waits_until is None or d + life < waits_until)]

    def reminders(self, label, client, person, email, therapist_email, first, paused=None,
                  stops=None):
        days = [d for d in self.reminder_days(first, paused) if stops is None or d < stops]
        for n in days:
            self.add(n, 'mail', 'reminder', email)
            self.add(n, 'reminder', label, person)
            self.add(n, 'event', label, 'reminded', 'system')
            self.add(n, 'audit', 'reminders.sent', 'system')
        for n in self.link_expiries([first] + days, waits_until=stops):
            self.add(n, 'notice', 'invitation_expired', client)
            self.add(n, 'mail', 'staff', therapist_email)
        return days

    def renewal(self, label, client, person, email, therapist_email, start):
        """The period from ``start``: the successor on the renewal day, its
        own reminders, and the expiry the day after the period's last day."""
        until = a_year_after(day(start)) - timedelta(days=1)
        renew_on = offset(until - timedelta(days=self.s['renewal_notice_days']))
        assert renew_on > start + (offset(until) - start) / 2
        self.add(renew_on, 'event', label, 'renewal sent', 'system')
        self.add(renew_on, 'audit', 'agreement.renewal sent', 'system')
        successor = label + "'"
        self.add(renew_on, 'state', successor, None, 'sent')
        for kind in ('started', 'sent'):
            self.add(renew_on, 'event', successor, kind, None)
        self.add(renew_on, 'event', successor, 'invited', 'system')
        self.add(renew_on, 'audit', 'agreement.invited', 'system')
        self.add(renew_on, 'mail', 'invitation', email)
        self.reminders(successor, client, person, email, therapist_email, renew_on)
        expire_on = offset(until) + 1
        self.expiry(label, expire_on)
        return renew_on, expire_on

    def expiry(self, label, n):
        self.add(n, 'state', label, 'active', 'expired')
        self.add(n, 'event', label, 'expired', 'system')
        self.add(n, 'audit', 'agreement.expired', 'system')


def observed(journal, labels):
    """The journal's days in ``Expected``'s terms: ``labels`` maps a client
    id to its family's letter and an agreement id to its label (A, or A'
    for the renewal); anything else is named as it is, so it shows."""
    def agreement(cid, aid):
        if aid in labels:
            return labels[aid]
        if cid in labels:
            labels[aid] = labels[cid] + "'"
            return labels[aid]
        return 'other %s/%s' % (cid, aid)
    subjects = {REMINDER_SUBJECT.default: 'reminder', INVITATION_SUBJECT.default: 'invitation',
                STAFF_SUBJECT: 'staff'}
    days = {}
    for n, today in journal.days.items():
        seen = Counter()
        for to, subject in today.get('mail', ()):
            kind = next((k for s, k in subjects.items() if subject.startswith(s)), subject)
            seen['mail', kind, to] += 1
        for cid, aid, old, new in today.get('states', ()):
            seen['state', agreement(cid, aid), old, new] += 1
        for cid, aid, kind, actor, when in today.get('events', ()):
            assert when.date() == day(n), (n, kind, when)
            system = actor if actor == 'system' else None
            seen['event', agreement(cid, aid), kind, system] += 1
        for cid, aid, person, _count in today.get('reminders', ()):
            seen['reminder', agreement(cid, aid), labels.get(person, person)] += 1
        for _uid, kind, cid, when in today.get('notices', ()):
            seen['notice', kind, labels.get(cid, cid)] += 1
        for action, _record, actor, _detail in today.get('audit', ()):
            if action in KEY_AUDIT:
                seen['audit', action, actor if actor == 'system' else None] += 1
        if seen:
            days[n] = seen
    return days


def differences(expected, seen):
    found = []
    for n in sorted(set(expected) | set(seen)):
        want, got = expected.get(n, Counter()), seen.get(n, Counter())
        for item in sorted(set(want) | set(got), key=repr):
            if want[item] != got[item]:
                found.append((n, item, want[item], got[item]))
    return found
