"""Erasure at the end of retention.

A closed case whose retention has run out (``closing.retained_until``) is
erased whole: the client record and everything below it (goals, private
notes, guardian links, agreements with their PDFs, summaries,
disclosures), its documents' entries in the workflow indexes, the
invitations that were sent about it, its entry in the clinic's own-id
index of the caseload import (the id is kept in ``caseload_erased`` so an
import does not make the client again), the client's own
account, and guardians' accounts that are left with nothing (no other
child, no staff role).  Staff accounts are never erased.

What stays is one audit entry per erasure: the opaque id of the record,
the rule that erased it, and when.  The trail's earlier entries about it
name only opaque ids and actions, never content (``audit.recorder``), so
nothing left there says who the client was.

Erased objects are unreachable at the next commit, but a FileStorage (and
a RelStorage with history) keeps their old revisions, and blob files,
until the database is packed: ``minorconsent-retention`` packs after
erasing.  Backups taken before hold the records until they expire
(docs/OPERATIONS.md).
"""
from dataclasses import dataclass
from datetime import date

from BTrees.OOBTree import OOTreeSet

from minorconsent.audit.recorder import note

from .closing import retained_until, retention_rule


@dataclass(frozen=True)
class Due:
    """A closed case past retention (what a dry run lists: ids, no names)."""
    client_id: str
    last_service: date
    kept_until: date


def due_for_erasure(clinic, today=None):
    """Closed cases whose records need not be kept any more, oldest first.

    Reads the staff index of closed cases only, never every client."""
    today = today or date.today()
    clients, settings = clinic['clients'], clinic.settings
    closed = getattr(clients.index, 'closed', None) or ()
    found = []
    for cid in {key[2] for key in closed}:
        client = clients.get(cid)
        if client is None:
            continue
        until = retained_until(client, settings)
        if until is not None and until < today:
            found.append(Due(cid, client.closure.last_service, until))
    return sorted(found, key=lambda due: (due.kept_until, due.client_id))


def _forget_invitations(clinic, client):
    invitations = getattr(clinic, 'invitations', None)
    if invitations is None or 'agreements' not in client:
        return
    for agreement in client['agreements'].values():
        for key in invitations.by_agreement.pop(agreement.workflow_key, ()):
            invitations.by_hash.pop(key, None)


def _forget_workflowed(clinic, client):
    """Take the client's workflowed documents out of their workflows'
    indexes (``WorkflowRecord.members`` holds each one)."""
    workflows = clinic['workflows']
    for container in client.values():
        for document in getattr(container, 'values', lambda: ())():
            wid = getattr(document, 'workflow_id', None)
            if wid is not None and wid in workflows:
                workflows[wid].forget(document)


def _forget_own_id(clinic, client):
    """Take the client out of the clinic's own-id index and remember the
    ids a caseload file may name it by as erased.

    Why: ``clinic.caseload_ids`` (the clinic's own id -> the app's id,
    made by the caseload import, ``caseload.store``) would otherwise keep
    pointing at the erased record, and the next import of the clinic's
    file (or of an export made before) would bring the client back as a
    new record.  ``clinic.caseload_erased`` holds the clinic's own id and
    the app's id (the one an export writes for a client added in the app)
    so the import can refuse those rows.  Read by attribute: this room
    sits below ``caseload`` and may not import it.  Only the entry that
    names this client goes (by value, never another client's)."""
    cid = client.__name__
    own = getattr(client, 'external_id', None)
    index = getattr(clinic, 'caseload_ids', None)
    if index is not None and own is not None:
        # Keyed case-folded since issue 18 review finding 11 (an older
        # index as spelt): the entry under either key that names this client.
        for key in {own, own.casefold()}:
            if index.get(key) == cid:
                del index[key]
    erased = getattr(clinic, 'caseload_erased', None)
    if erased is None:
        erased = clinic.caseload_erased = OOTreeSet()
    erased.insert(cid)
    if own is not None:
        erased.insert(own)
        erased.insert(own.casefold())


def erased_ids(clinic):
    """The ids (the clinic's own, and the app's) of erased clients: a
    caseload row naming one must not make the client again."""
    return getattr(clinic, 'caseload_erased', None) or ()


def _left_with_nothing(clinic, user, erased_id):
    if user.is_staff:
        return False
    if clinic['clients'].index.children_of(user.__name__):
        return False
    own = getattr(user, 'client_id', None)
    if own is None:
        own = getattr(user, 'former_client_id', None)
    return own is None or own == erased_id


def erase(clinic, client):
    """Erase ``client`` and what hangs off it (see the module); returns the
    number of accounts erased with it."""
    cid = client.__name__
    people = list(client['guardians'].keys())
    if client.self_account_id:
        people.append(client.self_account_id)
    # Own sign-ins ended earlier keep the client's name and address.
    people.extend(getattr(client, 'former_account_ids', ()))
    _forget_invitations(clinic, client)
    _forget_workflowed(clinic, client)
    _forget_own_id(clinic, client)
    clinic['clients'].remove_client(cid)
    users = clinic['users']
    erased_accounts = 0
    for uid in people:
        user = users.get(uid)
        if user is not None and _left_with_nothing(clinic, user, cid):
            clinic.sessions.end_all_for(uid)
            clinic.setup_links.cancel_for(uid)
            users.remove_user(user)
            erased_accounts += 1
    note(clinic, 'retention.erased', record=cid, target='', actor='system',
         detail='rule: %s; %d account(s) with nothing left erased'
         % (retention_rule(clinic.settings), erased_accounts))
    return erased_accounts
