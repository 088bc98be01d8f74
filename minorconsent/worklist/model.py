"""The therapist's to-do list: what waits for staff across a caseload.

Plain Python over the clinic's indexes, testable without HTTP.  The
caseload comes from the clients index (``by_staff`` keys, no client is
loaded to find it); then only the caseload's clients and their documents
are read.  The states that mean "waiting for the supervisor" are read from
the published workflow definitions, never named here, so a clinic that
adds an approval step to its summaries gets it on the list at once.

Why a waiting agreement's reminders stopped comes from the reminders
room's own rules (``stopped``), so the list and the client page's panel
agree.

What a page gets is frozen (``Worklist``, ``Item``): nothing persistent
leaves this module.  The admin's answer (``clinic_counts``) is numbers
only, counted from the indexes (``counts``): no client id, name or link
exists in it to leak.
"""
from datetime import timedelta

from pyramid.threadlocal import get_current_registry

from minorconsent.agreements.model import Agreement
from minorconsent.agreements.subscribers import WAITING
from minorconsent.clients.index import _HIGH
from minorconsent.disclosures.model import Disclosure
from minorconsent.reminders import model as _reminders
from minorconsent.summaries.model import Summary

from . import counts as _counts
# The sections and their rules live in ``sections`` (the admin's counts
# read them too); the names stay importable from here.
from .sections import (DEADLINES, EXPIRING_DAYS, MAJORITY_DAYS, SECTION_IDS, SECTIONS,
                       TEEN_REVIEW, Counts, Item, Worklist, as_day, awaiting_supervisor,
                       awaits_supervisor, heading_of, majority_day, supervisor_states,
                       waiting_since)
from .stopped import stopped_signers

__all__ = ['SECTIONS', 'SECTION_IDS', 'Counts', 'Item', 'Worklist', 'awaiting_supervisor',
           'awaits_supervisor', 'supervisor_states', 'majority_day', 'at_majority',
           'staff_scope', 'caseload', 'paused_clients', 'client_items', 'worklist',
           'worklist_for', 'clinic_counts', 'walked_counts']


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


def client_items(clinic, client, today, registry=None):
    """``{section id: [Item, ...]}`` for one client.  ``registry`` holds the
    clinic's email rule the reminders' stops ask (the current one if none
    is given)."""
    settings, found = clinic.settings, {sid: [] for sid in SECTION_IDS}
    cid, name = client.__name__, client.full_name
    registry = registry or get_current_registry()
    for agreement in _documents(client, 'agreements'):
        if not isinstance(agreement, Agreement):
            continue
        if agreement.state in WAITING:
            missing = len([g for g in agreement.required_guardians
                           if g not in agreement.signatures])
            age = waiting_since(agreement, today)
            found['unsigned'].append(Item(
                cid, name, agreement.title, age,
                '%d signature%s missing' % (missing, '' if missing == 1 else 's')))
            for person, why in stopped_signers(clinic, registry, agreement, today):
                found['stopped'].append(Item(cid, name, agreement.title, age,
                                             '%s: %s' % (person, why)))
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


def _collect(clinic, client_ids, today, registry=None):
    clients = clinic['clients']
    found = {sid: [] for sid in SECTION_IDS}
    loaded = {}
    for cid in client_ids:
        client = clients.get(cid)
        if client is None:
            continue
        loaded[cid] = client
        for sid, items in client_items(clinic, client, today, registry).items():
            found[sid].extend(items)
    for cid, pause in paused_clients(clinic):
        client = loaded.get(cid)
        if client is not None:
            found['paused'].append(_pause_item(client, pause, today))
    return found


def worklist(clinic, staff_ids, today, registry=None):
    """The to-do list of these staff members' caseloads (frozen)."""
    found = _collect(clinic, caseload(clinic['clients'], staff_ids), today, registry)
    # Waiting items oldest first; deadlines soonest first.
    sections = []
    for sid, heading in SECTIONS:
        if sid in DEADLINES:
            items = sorted(found[sid], key=lambda i: (i.days, i.client_name))
        else:
            items = sorted(found[sid], key=lambda i: (-i.days, i.client_name))
        sections.append((sid, heading_of(clinic.settings, heading), tuple(items)))
    return Worklist(tuple(sections), sum(len(s[2]) for s in sections))


def worklist_for(clinic, user, today, registry=None):
    return worklist(clinic, staff_scope(clinic['users'], user), today, registry)


def clinic_counts(clinic, today, registry=None):
    """The admin's numbers: every open client's items counted, nothing
    named, read from the indexes (``counts.indexed_counts``): the clinic's
    workflow records by state, the reminders' pauses, the clients index.
    ``walked_counts`` is the same answer the slow way."""
    return _counts.indexed_counts(clinic, today, registry or get_current_registry())


def walked_counts(clinic, today, registry=None):
    """The admin's numbers by reading every open client and its documents:
    the reference ``clinic_counts`` is held to (tests), far too slow for a
    page on a large clinic."""
    found = _collect(clinic, _counts.open_clients(clinic), today, registry)
    return Counts(tuple((sid, heading_of(clinic.settings, heading), len(found[sid]))
                        for sid, heading in SECTIONS))
