"""The therapist's to-do list: what waits for staff across a caseload.

Plain Python over the clinic's indexes, testable without HTTP.  The
caseload comes from the clients index (``by_staff`` keys, no client is
loaded to find it); then only the caseload's clients and their documents
are read.  The states that mean "waiting for the supervisor" are read from
the published workflow definitions, never named here, so a clinic that
adds an approval step to its summaries gets it on the list at once.

What a page gets is frozen (``Worklist``, ``Item``): nothing persistent
leaves this module.  The admin's answer (``clinic_counts``) is numbers
only: no client id, name or link exists in it to leak.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from minorconsent.agreements.model import Agreement
from minorconsent.agreements.subscribers import WAITING
from minorconsent.clients.index import _HIGH
from minorconsent.disclosures.model import Disclosure
from minorconsent.summaries.model import Summary
from minorconsent.workflow.engine import definition_of

try:        # the reminders lane: paused reminders, when that room has them
    from minorconsent.reminders import model as _reminders
except ImportError:     # pragma: no cover -- the room is still empty
    _reminders = None

#: How far ahead the list looks.
EXPIRING_DAYS = 30
MAJORITY_DAYS = 60
#: The parent summary's state in which the teen reads it first.
TEEN_REVIEW = 'minor_review'

#: Section ids, in the order the page shows them, with their headings.
SECTIONS = (
    ('unsigned', 'Agreements waiting for signatures'),
    ('expiring', 'Agreements whose period ends within 30 days'),
    ('teen_review', "Summaries awaiting the client's review"),
    ('supervisor', "Documents awaiting the supervisor's approval"),
    ('majority', 'Clients turning %s within 60 days'),
    ('paused', 'Reminders paused'),
)
SECTION_IDS = tuple(sid for sid, _ in SECTIONS)
#: Sections whose ``days`` count down to a date (the rest count up).
DEADLINES = ('expiring', 'majority')


@dataclass(frozen=True)
class Item:
    """One thing to do: which client (staff may see it), what, and since
    when; ``days`` is the age of a waiting item, or the days left."""
    client_id: str
    client_name: str
    what: str
    days: int = 0
    detail: str = ''


@dataclass(frozen=True)
class Worklist:
    sections: tuple = ()          # ((section id, heading, (Item, ...)), ...)
    total: int = 0

    def items(self, section_id):
        for sid, _heading, items in self.sections:
            if sid == section_id:
                return items
        return ()

    def count(self, section_id):
        return len(self.items(section_id))


@dataclass(frozen=True)
class Counts:
    """The admin's view: per section a number, nothing else."""
    numbers: tuple = field(default=())   # ((section id, heading, n), ...)

    def count(self, section_id):
        return dict((sid, n) for sid, _h, n in self.numbers).get(section_id, 0)


# --- what the workflow definitions say -----------------------------------------

def awaits_supervisor(workflow, state_id):
    """True when only a supervisor can move a document on from this state:
    some step out is the supervisor's, and every other step out is either
    the supervisor's or the system's, or guarded (a fallback the rules open
    in one case only, such as "no supervisor assigned")."""
    steps = workflow.transitions_from(state_id)
    if not any('supervisor' in t.roles for t in steps):
        return False
    for step in steps:
        people = set(step.roles) - {'supervisor', 'system'}
        if people and not step.guards:
            return False
    return True


def supervisor_states(workflow):
    return frozenset(s.id for s in workflow.states if awaits_supervisor(workflow, s.id))


def awaiting_supervisor(obj):
    """Is this summary or disclosure now waiting for its supervisor (by the
    definition of the version it runs under)?"""
    try:
        workflow = definition_of(obj)
    except (KeyError, AttributeError, TypeError):
        return False
    return awaits_supervisor(workflow, obj.state)


# --- dates -----------------------------------------------------------------

def majority_day(born, age):
    """The day a client born on ``born`` turns ``age`` (29 February:
    1 March in a common year, as ``clients.model.age_on`` counts)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return date(born.year + age, 3, 1)


def as_day(value):
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def waiting_since(obj, today):
    """Days since the document entered its state (its last step)."""
    latest = obj.history.latest() if getattr(obj, 'history', None) is not None else None
    if latest is None:
        return 0
    return max((today - latest.time.date()).days, 0)


def at_majority(client, settings, day):
    """What happens at majority, in plain words (staff page, English)."""
    name = client.preferred_name or client.first_name
    return ('On %s %s turns %d: from then on %s consents for themselves, and the '
            'guardians lose access to the portal unless %s releases information to them.'
            % (day.isoformat(), name, settings.age_of_majority, name, name))


# --- the caseload ------------------------------------------------------------

def staff_scope(users, user):
    """The staff ids whose caseloads ``user`` sees: their own, and for a
    supervisor the therapists they supervise (``User.supervisor_id``)."""
    ids = {user.__name__}
    if user.has_role('supervisor'):
        ids.update(users.supervised_by(user.__name__))
    return ids


def caseload(clients, staff_ids):
    """Ids of the open clients of these staff members, from the index keys."""
    index, seen = clients.index, set()
    for tid in sorted(staff_ids):
        for _tid, _name, cid in index.by_staff.keys(min=(tid, ''), max=(tid, _HIGH)):
            seen.add(cid)
    return seen


def paused_clients(clinic):
    """``[(client_id, pause), ...]`` from the reminders room, or nothing
    while that room has no ``paused_clients`` yet."""
    find = getattr(_reminders, 'paused_clients', None)
    if find is None:
        return []
    try:
        return list(find(clinic))
    except (AttributeError, KeyError, TypeError):
        return []


def _documents(client, name):
    folder = client.get(name) if hasattr(client, 'get') else None
    return list(folder.values()) if folder is not None else []


def client_items(clinic, client, today):
    """``{section id: [Item, ...]}`` for one client."""
    settings, found = clinic.settings, {sid: [] for sid in SECTION_IDS}
    cid, name = client.__name__, client.full_name
    for agreement in _documents(client, 'agreements'):
        if not isinstance(agreement, Agreement):
            continue
        if agreement.state in WAITING:
            missing = len([g for g in agreement.required_guardians
                           if g not in agreement.signatures])
            found['unsigned'].append(Item(
                cid, name, agreement.title, waiting_since(agreement, today),
                '%d signature%s missing' % (missing, '' if missing == 1 else 's')))
        elif agreement.state == 'active':
            ends = as_day(getattr(agreement, 'valid_until', None))
            if ends is not None and today <= ends <= today + timedelta(days=EXPIRING_DAYS):
                found['expiring'].append(Item(cid, name, agreement.title,
                                              (ends - today).days, 'ends ' + ends.isoformat()))
    for summary in _documents(client, 'summaries'):
        if not isinstance(summary, Summary):
            continue
        if summary.state == TEEN_REVIEW:
            found['teen_review'].append(Item(cid, name, 'Summary: ' + summary.period,
                                             waiting_since(summary, today)))
        elif awaiting_supervisor(summary):
            found['supervisor'].append(Item(cid, name, 'Summary: ' + summary.period,
                                            waiting_since(summary, today)))
    for disclosure in _documents(client, 'disclosures'):
        if isinstance(disclosure, Disclosure) and awaiting_supervisor(disclosure):
            found['supervisor'].append(Item(cid, name, disclosure.reason_title,
                                            waiting_since(disclosure, today)))
    day = majority_day(client.date_of_birth, settings.age_of_majority)
    if today < day <= today + timedelta(days=MAJORITY_DAYS):
        found['majority'].append(Item(cid, name, 'Turns %d' % settings.age_of_majority,
                                      (day - today).days, at_majority(client, settings, day)))
    return found


def _pause_item(client, pause, today):
    since = as_day(getattr(pause, 'since', None))
    detail = 'reason: %s' % (getattr(pause, 'reason', '') or 'none given')
    return Item(client.__name__, client.full_name, 'Reminders paused',
                (today - since).days if since else 0, detail)


def _collect(clinic, client_ids, today):
    clients = clinic['clients']
    found = {sid: [] for sid in SECTION_IDS}
    loaded = {}
    for cid in client_ids:
        client = clients.get(cid)
        if client is None:
            continue
        loaded[cid] = client
        for sid, items in client_items(clinic, client, today).items():
            found[sid].extend(items)
    for cid, pause in paused_clients(clinic):
        client = loaded.get(cid)
        if client is not None:
            found['paused'].append(_pause_item(client, pause, today))
    return found


def worklist(clinic, staff_ids, today):
    """The to-do list of these staff members' caseloads (frozen)."""
    found = _collect(clinic, caseload(clinic['clients'], staff_ids), today)
    # Waiting items oldest first; deadlines soonest first.
    sections = []
    for sid, heading in SECTIONS:
        if sid in DEADLINES:
            items = sorted(found[sid], key=lambda i: (i.days, i.client_name))
        else:
            items = sorted(found[sid], key=lambda i: (-i.days, i.client_name))
        sections.append((sid, _heading(clinic, heading), tuple(items)))
    return Worklist(tuple(sections), sum(len(s[2]) for s in sections))


def worklist_for(clinic, user, today):
    return worklist(clinic, staff_scope(clinic['users'], user), today)


def clinic_counts(clinic, today):
    """The admin's numbers: every open client's items counted, nothing
    named.  (Reads every open client: an admin page, not a request path
    families or therapists take.)"""
    everyone = set()
    for _tid, _name, cid in clinic['clients'].index.by_staff.keys():
        everyone.add(cid)
    found = _collect(clinic, everyone, today)
    return Counts(tuple((sid, _heading(clinic, heading), len(found[sid]))
                        for sid, heading in SECTIONS))


def _heading(clinic, heading):
    return heading % clinic.settings.age_of_majority if '%s' in heading else heading
