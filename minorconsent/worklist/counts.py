"""The admin's numbers, read from indexes rather than from every client.

The therapist's list reads a caseload's clients one by one (``model``); the
admin's page counts the whole clinic, where that walk would load every
client and every document (50,000 clients: far too slow for a page).  Here
each section is counted from what already indexes it:

* waiting agreements (``unsigned``, and ``stopped`` from their signers),
  agreements in force (``expiring``), summaries in the teen's review and
  documents waiting for a supervisor: the workflow records' ``by_state``
  index (``WorkflowStore.members_in``), so only documents in those states
  are read;
* ``paused``: the reminders room's pauses (``clients`` never loaded);
* ``majority``: the clients index's dates of birth (``by_birth``, a key
  range) where the index has them; an index without them (a clinic from
  before that index) reads the open clients' dates of birth, the clients
  only, never their documents.

"Open" is what the therapists' lists show: a client in the index's
``by_staff`` keys.  ``model.walked_counts`` gives the same answer the slow
way; a test holds the two together on a seeded clinic.
"""
from datetime import timedelta

from minorconsent.agreements.model import Agreement
from minorconsent.agreements.subscribers import WAITING
from minorconsent.clients.index import _HIGH
from minorconsent.disclosures.model import Disclosure
from minorconsent.reminders.model import paused_clients
from minorconsent.summaries.model import Summary

from .sections import (EXPIRING_DAYS, MAJORITY_DAYS, SECTION_IDS, SECTIONS,
                       SUPERVISED_TYPES, TEEN_REVIEW, Counts, as_day, awaiting_supervisor,
                       heading_of, majority_day, supervisor_states)
from .stopped import stopped_signers

#: Days of slack around the date-of-birth range (29 February, and a
#: majority day counted as 1 March); the exact test follows.
SLACK = 3


def open_clients(clinic):
    """Ids of the open clients, from the clients index's keys."""
    return {cid for _tid, _name, cid in clinic['clients'].index.by_staff.keys()}


def client_id_of(obj):
    client = obj.workflow_client()
    return client.__name__ if client is not None else None


def _agreements(workflows, states, open_ids, keep=None):
    """Agreements in ``states`` of open clients that ``keep`` (a test of
    the agreement alone, asked first: a client is loaded only for the
    agreements that pass it)."""
    for obj in workflows.members_in(states):
        if isinstance(obj, Agreement) and obj.state in states \
                and (keep is None or keep(obj)) and client_id_of(obj) in open_ids:
            yield obj


def _waiting(clinic, registry, open_ids, today, numbers):
    for agreement in _agreements(clinic['workflows'], WAITING, open_ids):
        numbers['unsigned'] += 1
        numbers['stopped'] += len(stopped_signers(clinic, registry, agreement, today))


def _expiring(clinic, open_ids, today):
    last = today + timedelta(days=EXPIRING_DAYS)

    def ending(agreement):
        ends = as_day(getattr(agreement, 'valid_until', None))
        return ends is not None and today <= ends <= last
    return sum(1 for _a in _agreements(clinic['workflows'], ('active',), open_ids, ending))


def _teen_review(clinic, open_ids):
    return sum(1 for s in clinic['workflows'].members_in((TEEN_REVIEW,), ('summary',))
               if isinstance(s, Summary) and s.state == TEEN_REVIEW
               and client_id_of(s) in open_ids)


def _supervisor(clinic, open_ids):
    """Documents waiting for a supervisor: the states some published
    version's definition says wait for one, then each document's own
    version asked (as the list does)."""
    found = 0
    for record in list(clinic['workflows'].values()):
        if record.definition().content_type not in SUPERVISED_TYPES:
            continue
        states = set()
        for version in record.versions.keys():
            states |= supervisor_states(record.definition(version))
        for obj in record.members_in(states):
            if isinstance(obj, Summary) and obj.state == TEEN_REVIEW:
                continue        # the list counts it as the teen's review
            if isinstance(obj, (Summary, Disclosure)) and awaiting_supervisor(obj) \
                    and client_id_of(obj) in open_ids:
                found += 1
    return found


def born_between(clinic, open_ids, first, last):
    """Ids of the open clients born from ``first`` to ``last``: a key range
    of the index's ``by_birth`` ``(date of birth, client id)`` where it
    has one, else each open client's date of birth."""
    births = getattr(clinic['clients'].index, 'by_birth', None)
    if births is not None:
        return [cid for _born, cid in births.keys(min=(first, ''), max=(last, _HIGH))
                if cid in open_ids]
    clients = clinic['clients']
    found = []
    for cid in sorted(open_ids):
        client = clients.get(cid)
        born = getattr(client, 'date_of_birth', None) if client is not None else None
        if born is not None and first <= born <= last:
            found.append(cid)
    return found


def _majority(clinic, open_ids, today):
    age = clinic.settings.age_of_majority
    first = majority_day(today, -age) - timedelta(days=SLACK)
    last = majority_day(today + timedelta(days=MAJORITY_DAYS), -age) + timedelta(days=SLACK)
    clients, found = clinic['clients'], 0
    for cid in born_between(clinic, open_ids, first, last):
        day = majority_day(clients[cid].date_of_birth, age)
        if today < day <= today + timedelta(days=MAJORITY_DAYS):
            found += 1
    return found


def indexed_counts(clinic, today, registry):
    """The admin's ``Counts`` (numbers only), from the indexes."""
    open_ids = open_clients(clinic)
    numbers = dict.fromkeys(SECTION_IDS, 0)
    _waiting(clinic, registry, open_ids, today, numbers)
    numbers['expiring'] = _expiring(clinic, open_ids, today)
    numbers['teen_review'] = _teen_review(clinic, open_ids)
    numbers['supervisor'] = _supervisor(clinic, open_ids)
    numbers['majority'] = _majority(clinic, open_ids, today)
    numbers['paused'] = sum(1 for cid, _pause in paused_clients(clinic) if cid in open_ids)
    return Counts(tuple((sid, heading_of(clinic.settings, heading), numbers[sid])
                        for sid, heading in SECTIONS))
