"""Staff notices: what happened that waits for a staff member, kept so the
to-do page can say "N new since your last visit", and mailed content-free.

``clinic.worklist_store`` (made by ``evolve.py``) holds, by user id, each
person's notices (kind, client id, when, seen, mail pending) and their
choice of mail: ``immediate`` (one mail as it happens) or ``digest`` (one
mail a day, the ``staff-digest`` task).  The mail never names a child, a
document or a therapy: "Something in <portal> needs your attention" and a
link to the to-do list; what it is, the staff member reads signed in.

A notice is recorded once per (kind, what): the subscribers and daily
tasks pass a ``key`` (an agreement's step, an invitation, a failed mail
file), and a key already noticed records nothing, so a replayed day or a
second run adds no second notice and no second mail.
"""
from dataclasses import dataclass
from datetime import datetime

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from persistent.list import PersistentList

from minorconsent.site.canonical import public_url
from minorconsent.site.clock import utcnow
from minorconsent.site.mail import send

IMMEDIATE, DIGEST = 'immediate', 'digest'
CHOICES = ((IMMEDIATE, 'Immediately, one email each time'),
           (DIGEST, 'A daily digest, one email a day at most'))
#: A person's notices kept (the oldest seen ones go first).
KEEP = 200

#: Kinds of notice and how the to-do page says them (staff, English).
KINDS = {
    'signed': 'A family member signed an agreement',
    'declined': 'A family member declined an agreement',
    'revoked': 'A family member withdrew their consent',
    'changes_asked': 'A client asked for changes to a summary',
    'awaiting_supervisor': 'A document awaits your approval',
    'invitation_expired': 'An invitation to sign expired unused',
    'bounced': 'Mail to a family member could not be delivered',
}

#: Staff mail is in English, as the staff pages are (family mail is
#: translated per recipient; this never goes to a family).
SUBJECT = 'Something needs your attention'
TEXT = ('Hello,\n\nSomething in {portal} needs your attention.\n\n'
        'Sign in to see your to-do list:\n{url}\n')
DIGEST_TEXT = ('Hello,\n\nSomething in {portal} needs your attention '
               '({count} new since the last digest).\n\n'
               'Sign in to see your to-do list:\n{url}\n')


@dataclass(frozen=True)
class Notice:
    kind: str
    client_id: str
    when: datetime
    seen: bool = False
    mail_pending: bool = False

    @property
    def title(self):
        return KINDS.get(self.kind, self.kind)


class StaffNotices(Persistent):
    """One person's notices, newest last."""

    last_digest = None       # the clinic day of the last digest mailed

    def __init__(self):
        self.items = PersistentList()

    def add(self, notice):
        self.items.append(notice)
        if len(self.items) > KEEP:
            drop = next((n for n in self.items if n.seen), self.items[0])
            self.items.remove(drop)

    def unseen(self):
        return [n for n in self.items if not n.seen]

    def mark_seen(self):
        if any(not n.seen for n in self.items):
            self.items[:] = [_replace(n, seen=True) for n in self.items]

    def take_pending(self):
        """The notices waiting for the digest, marked as mailed."""
        pending = [n for n in self.items if n.mail_pending]
        if pending:
            self.items[:] = [_replace(n, mail_pending=False) for n in self.items]
        return pending


def _replace(notice, **changes):
    values = dict(kind=notice.kind, client_id=notice.client_id, when=notice.when,
                  seen=notice.seen, mail_pending=notice.mail_pending)
    values.update(changes)
    return Notice(**values)


class WorklistStore(Persistent):
    """``clinic.worklist_store``: the room's persistent part."""

    def __init__(self):
        self.preferences = OOBTree()    # user id -> IMMEDIATE | DIGEST
        self.notices = OOBTree()        # user id -> StaffNotices
        self.done = OOTreeSet()         # keys already noticed (see the module)

    def preference(self, user_id):
        return self.preferences.get(user_id, IMMEDIATE)

    def set_preference(self, user_id, choice):
        if choice not in dict(CHOICES):
            raise ValueError(choice)
        if self.preference(user_id) != choice:
            self.preferences[user_id] = choice

    def of(self, user_id, create=False):
        notices = self.notices.get(user_id)
        if notices is None and create:
            notices = self.notices[user_id] = StaffNotices()
        return notices

    def unseen_count(self, user_id):
        notices = self.of(user_id)
        return len(notices.unseen()) if notices is not None else 0


def store_of(clinic):
    """The room's store (``evolve.py`` makes it; a clinic that has not run
    the step yet gets it at its first notice)."""
    store = getattr(clinic, 'worklist_store', None)
    if store is None:
        store = clinic.worklist_store = WorklistStore()
    return store


def notify_staff(clinic, request, user_ids, kind, client_id, key=None, now=None):
    """Record a ``kind`` notice about ``client_id`` for each active staff
    member in ``user_ids``, and mail those who chose ``immediate`` now
    (when there is a ``request`` to queue the mail in; without one, as in
    the demo seed, the notice is kept and nobody is mailed).  Returns the
    ids told; a ``key`` already noticed tells nobody."""
    store = store_of(clinic)
    if key is not None:
        if key in store.done:
            return []
        store.done.add(key)
    now = now or utcnow()
    users, told = clinic['users'], []
    for uid in sorted(set(user_ids)):
        user = users.get(uid)
        if user is None or not user.active or not user.is_staff:
            continue
        digest = store.preference(uid) == DIGEST
        store.of(uid, create=True).add(Notice(kind, client_id, now,
                                              mail_pending=digest and request is not None))
        if request is not None and not digest:
            mail_notice(request, user)
        told.append(uid)
    return told


def todo_url(request):
    return public_url(request, 'todo')


def mail_notice(request, user, count=None):
    """The content-free mail: no name, no document, no kind of therapy."""
    values = {'portal': request.clinic.settings.portal_name, 'url': todo_url(request)}
    body = TEXT.format(**values) if count is None else DIGEST_TEXT.format(count=count, **values)
    return send(request, user, SUBJECT, body)


def send_digests(run):
    """The ``staff-digest`` daily task: one mail per person with notices
    waiting for the digest, at most once per clinic day."""
    clinic = run.clinic
    store = store_of(clinic)
    users, day, sent = clinic['users'], run.today.isoformat(), 0
    for uid, notices in list(store.notices.items()):
        run.tick()
        if notices.last_digest == day or not any(n.mail_pending for n in notices.items):
            continue
        pending = notices.take_pending()
        notices.last_digest = day
        user = users.get(uid)
        if user is None or not user.active:
            continue
        if mail_notice(run.request, user, count=len(pending)):
            sent += 1
    return {'digests sent': sent}
