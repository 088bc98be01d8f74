"""Who is due a reminder, and the record of the reminders sent.

A guardian (or the adolescent) that a waiting agreement asks to sign is
reminded ``reminder_after_days`` after it was first sent to them, then
every ``reminder_every_days``, at most ``reminder_max`` times (clinic
settings).  Whether a person may be reminded is decided afresh at every
use from the same rules as signing (``agreements.invitations.
people_to_invite``), so a guardian restricted, unlinked or stripped of
authority, or a child come of age, stops the reminders at once, and
the staff page says why in plain words (``STOP_WORDS``).

What is kept (``clinic.reminders``, a ``ReminderStore``):

* ``records``: per ``(agreement workflow_key, person id)`` a ``Reminder``
  -- how many were sent, when the last, when the next is due, why they
  stopped.  Written only when a reminder goes out or a stop is first
  found for a person who was due, so the daily task on a large clinic
  writes little;
* ``pauses``: per client id a ``Pause`` (reason, since, by) for a family
  the therapist asked not to remind (``paused_clients`` reads this index,
  never the clients);
* ``pause_log``: per client id, every pause and resume with its reason
  (the family's reminder history on the client page).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from BTrees.IOBTree import IOBTree
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from minorconsent.agreements.invitations import people_to_invite
from minorconsent.agreements.lifecycle import same_kind
from minorconsent.agreements.model import Agreement
from minorconsent.agreements.renewal import WAITING
from minorconsent.audit.recorder import note
from minorconsent.site.clock import utcnow
from minorconsent.site.dates import local
from minorconsent.site.mail import may_email

#: Why a person is not (or no longer) reminded, in the therapist's words.
STOP_WORDS = {
    'signed': 'signed',
    'declined': 'declined the agreement',
    'revoked': 'withdrew their consent',
    'not waiting': 'the agreement no longer waits for signatures',
    'disabled': 'their account is disabled or removed',
    'unlinked': 'no longer linked to the client',
    'restricted': 'link restricted',
    'no authority': 'no legal authority to consent',
    'of age': 'the client is of age: guardians no longer sign',
    'may not sign': 'may not sign this agreement now',
    'no address': 'no email address',
    'undeliverable': 'address undeliverable',
    'no email': 'does not accept email',
    'paused': 'reminders are paused for this family',
    'all sent': 'every reminder was sent',
}

#: The longest reason a pause keeps (the form says so).
REASON_MAX = 500
HIGH = '\U0010ffff'


@dataclass(frozen=True)
class Pause:
    """A family's reminders paused: why, since when, by whom (user id)."""
    reason: str
    since: datetime
    by: str


@dataclass(frozen=True)
class PauseEvent:
    """One line of a family's reminder history: 'paused' or 'resumed'."""
    time: datetime
    kind: str
    actor_id: str
    reason: str = ''


class Reminder(Persistent):
    """The reminders of one person for one agreement."""

    count = 0
    last_sent = None      # aware UTC datetime of the newest reminder
    next_due = None       # the clinic day the next one is due, or None
    stopped = ''          # a STOP_WORDS code once they stopped, else ''
    stopped_on = None     # the clinic day the stop was found

    def __init__(self, agreement, person_id):
        self.agreement_key = agreement.workflow_key
        self.agreement_id = agreement.__name__
        self.client_id = agreement.workflow_client().__name__
        self.person_id = person_id
        self.sent = ()    # (time, actor id) of each reminder, oldest first

    def add_sent(self, now, actor_id):
        self.count += 1
        self.last_sent = now
        self.sent = self.sent + ((now, actor_id),)
        self.stopped = ''
        self.stopped_on = None

    def stop(self, reason, today):
        """Note why the reminders stopped; True when that is news."""
        if self.stopped == reason:
            return False
        self.stopped, self.stopped_on = reason, today
        return True


class ReminderStore(Persistent):
    """``clinic.reminders``: the records, the pauses and their history."""

    def __init__(self):
        self.records = OOBTree()      # (agreement workflow_key, person id) -> Reminder
        self.pauses = OOBTree()       # client id -> Pause
        self.pause_log = OOBTree()    # client id -> IOBTree of PauseEvent

    def get(self, agreement, person_id):
        return self.records.get((agreement.workflow_key, person_id))

    def record_for(self, agreement, person_id):
        key = (agreement.workflow_key, person_id)
        record = self.records.get(key)
        if record is None:
            record = self.records[key] = Reminder(agreement, person_id)
        return record

    def for_agreement(self, agreement):
        key = agreement.workflow_key
        return list(self.records.values(min=(key, ''), max=(key, HIGH)))

    def log(self, client_id):
        return list(self.pause_log.get(client_id, IOBTree()).values())


def store_of(clinic, create=False):
    """The clinic's ``ReminderStore``; None where none was made yet (the
    evolve step makes it; a write makes it where that step has not run)."""
    store = getattr(clinic, 'reminders', None)
    if store is None and create:
        store = clinic.reminders = ReminderStore()
    return store


# --- pauses ------------------------------------------------------------------

def paused_clients(clinic):
    """``[(client id, Pause), ...]`` of every family whose reminders are
    paused, from the clinic's index (no client is loaded)."""
    store = store_of(clinic)
    return list(store.pauses.items()) if store is not None else []


def pause_of(clinic, client_id):
    store = store_of(clinic)
    return store.pauses.get(client_id) if store is not None else None


class PauseRefused(ValueError):
    """A pause or resume that cannot be done; the message says why."""


def _log(store, client_id, event):
    log = store.pause_log.get(client_id)
    if log is None:
        log = store.pause_log[client_id] = IOBTree()
    log[len(log)] = event


def pause(clinic, client, reason, actor_id, now=None):
    """Pause the family's reminders with ``reason`` (required: it is the
    record of why a family was not reminded)."""
    reason = (reason or '').strip()
    if not reason:
        raise PauseRefused('Say why the reminders are paused.')
    if len(reason) > REASON_MAX:
        raise PauseRefused('At most %d characters.' % REASON_MAX)
    store = store_of(clinic, create=True)
    if client.__name__ in store.pauses:
        raise PauseRefused('Reminders are already paused for this family.')
    now = now or utcnow()
    store.pauses[client.__name__] = Pause(reason, now, actor_id)
    _log(store, client.__name__, PauseEvent(now, 'paused', actor_id, reason))
    # The reason stays on the client's record (it may name people); the
    # trail gets ids only.
    note(client, 'reminders.paused', actor=actor_id)
    return store.pauses[client.__name__]


def resume(clinic, client, actor_id, reason='', now=None):
    store = store_of(clinic)
    if store is None or client.__name__ not in store.pauses:
        raise PauseRefused('Reminders are not paused for this family.')
    reason = (reason or '').strip()
    if len(reason) > REASON_MAX:
        raise PauseRefused('At most %d characters.' % REASON_MAX)
    del store.pauses[client.__name__]
    _log(store, client.__name__, PauseEvent(now or utcnow(), 'resumed', actor_id, reason))
    note(client, 'reminders.resumed', actor=actor_id)


# --- who is due --------------------------------------------------------------

def waiting_agreements(clinic):
    """Every agreement waiting for signatures, from the workflow records'
    ``by_state`` index (not by walking the clients)."""
    for obj in clinic['workflows'].members_in(WAITING):
        if isinstance(obj, Agreement) and obj.state in WAITING:
            yield obj


def waiting_of(client):
    """The client's agreements waiting for signatures, newest first."""
    if 'agreements' not in client:
        return []
    return sorted((a for a in client['agreements'].values() if a.state in WAITING),
                  key=lambda a: a.created, reverse=True)


def signer_ids(agreement):
    """Everyone this agreement asks to sign (signed or not): its guardians
    and, where it asks, the client's own account."""
    client = agreement.workflow_client()
    ids = list(agreement.required_guardians)
    if (agreement.assent_required or agreement.minor_consents) and client.self_account_id:
        ids.append(client.self_account_id)
    return ids


def clinic_day(settings, moment):
    return local(settings, moment).date()


def first_sent_day(clinic, agreement, person_id):
    """The clinic day the agreement was first sent to this person: their
    first invitation, else the agreement's sending, else its start."""
    times = [i.created for i in clinic.invitations.for_agreement(agreement)
             if i.person_id == person_id]
    if not times:
        times = [e.time for e in agreement.event_list() if e.kind in ('sent', 'proposed')]
    return clinic_day(clinic.settings, min(times) if times else agreement.created)


def due_day(clinic, agreement, person_id, record):
    """The clinic day the next reminder is due, or None after the last."""
    settings = clinic.settings
    count = record.count if record is not None else 0
    if count >= settings.reminder_max:
        return None
    if record is not None and record.last_sent is not None:
        return clinic_day(settings, record.last_sent) + \
            timedelta(days=settings.reminder_every_days)
    return first_sent_day(clinic, agreement, person_id) + \
        timedelta(days=settings.reminder_after_days)


def _revoked_since(agreement, person_id, since):
    """Did the person withdraw a consent of this kind since this one was
    sent?  Then the new one waits for someone who said no."""
    return any(e.kind == 'revoked' and e.actor_id == person_id and e.time >= since
               for other in same_kind(agreement) for e in other.event_list())


def why_not(request, agreement, person_id, eligible, today, paused=False, record=None):
    """The ``STOP_WORDS`` code of why ``person_id`` may not be reminded of
    ``agreement`` now, or '' when they may.  ``eligible``: the ids of
    ``people_to_invite`` (asked once per agreement)."""
    clinic = request.clinic
    if agreement.state not in WAITING:
        return 'declined' if agreement.state == 'declined' else 'not waiting'
    if person_id in agreement.signatures:
        return 'signed'
    if _revoked_since(agreement, person_id, agreement.created):
        return 'revoked'
    user = clinic['users'].get(person_id)
    if user is None or not user.active:
        return 'disabled'
    if person_id not in eligible:
        return _ineligible(clinic, agreement, person_id, today)
    if not (user.email or '').strip():
        return 'no address'
    if getattr(user, 'mail_undeliverable', None):
        return 'undeliverable'
    if not may_email(request, user):
        return 'no email'
    if paused:
        return 'paused'
    if record is not None and record.count >= clinic.settings.reminder_max:
        return 'all sent'
    return ''


def _ineligible(clinic, agreement, person_id, today):
    """Why a signer ``people_to_invite`` left out may not sign now."""
    client = agreement.workflow_client()
    if person_id in agreement.required_guardians:
        link = client['guardians'].get(person_id)
        if link is None:
            return 'unlinked'
        if link.restricted:
            return 'restricted'
        if not link.legal_authority:
            return 'no authority'
        if not client.is_minor(clinic.settings, today):
            return 'of age'
    elif person_id != client.self_account_id:
        return 'unlinked'
    return 'may not sign'


@dataclass(frozen=True)
class Standing:
    """One person's reminders for one waiting agreement, for staff."""
    agreement_id: str
    person_id: str
    name: str
    count: int
    last_sent: datetime
    next_due: date
    reason: str            # a STOP_WORDS code, '' while they are reminded

    @property
    def why(self):
        return STOP_WORDS.get(self.reason, self.reason)

    @property
    def may_send_now(self):
        return not self.reason


def stop_codes(request, agreement, today=None):
    """``[(person id, record or None, code), ...]`` for every signer of
    ``agreement``: the ``STOP_WORDS`` code of why they are not reminded, or
    '' while they are.  What ``standings`` asks, and the to-do list (which
    needs no due day).  ``request``: anything with the ``clinic`` and the
    ``registry`` whose email rule ``may_email`` asks."""
    clinic = request.clinic
    today = today or date.today()
    users, store = clinic['users'], store_of(clinic)
    eligible = {u.__name__ for u in people_to_invite(agreement, users)}
    paused = pause_of(clinic, agreement.workflow_client().__name__) is not None
    found = []
    for uid in signer_ids(agreement):
        record = store.get(agreement, uid) if store is not None else None
        found.append((uid, record,
                      why_not(request, agreement, uid, eligible, today, paused, record)))
    return found


def standings(request, agreement, today=None):
    """Every signer of ``agreement`` and where their reminders stand."""
    clinic = request.clinic
    users, found = clinic['users'], []
    for uid, record, reason in stop_codes(request, agreement, today):
        user = users.get(uid)
        found.append(Standing(
            agreement.__name__, uid, user.display_name if user is not None else 'former account',
            record.count if record is not None else 0,
            record.last_sent if record is not None else None,
            None if reason else due_day(clinic, agreement, uid, record), reason))
    return found


def client_standings(request, client, today=None):
    """``[(agreement, [Standing, ...]), ...]`` for each of the client's
    waiting agreements: what the panel shows, and what a list of the
    therapist's work asks ("reminders stopped: address undeliverable")."""
    return [(a, standings(request, a, today)) for a in waiting_of(client)]
