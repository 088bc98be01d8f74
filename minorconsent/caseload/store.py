"""What the import keeps in the clinic: the clinic's own client ids, and
each record's import history.

``clinic.caseload_ids`` maps the clinic's own id of a client (the file's
``client_id``, case-folded: ``key_of``) to the app's opaque client id, so a re-run finds the client
of a row with one BTree lookup, never by walking the clients.  It is made
by the first import that writes (a new attribute, so no evolve step: a
database without it simply has no imported client yet).

A client's ``import_history`` is a tuple of ``ImportMark``: when an import
made or changed the record, which import (the start of its file's
SHA-256) and what (field names only).  Guardian links record theirs in the
client's guardianship log, the staff client page's history, with the
import as the actor.
"""
from dataclasses import dataclass
from datetime import datetime

from BTrees.OOBTree import OOBTree

from minorconsent.site.clock import utcnow


def external_ids(clinic, create=False):
    """The id index, or None when no import wrote one (and not ``create``)."""
    index = getattr(clinic, 'caseload_ids', None)
    if index is None and create:
        index = clinic.caseload_ids = OOBTree()
    return index


def key_of(external_id):
    """How the index keys a clinic's own id: ``K-7`` and ``k-7`` are one
    client (a spreadsheet's autocorrect must not make a second record)."""
    return external_id.casefold()


def find_client(clinic, external_id, by_app_id=True):
    """The client the clinic's own id names, or None.  A client added in
    the app has no id of the clinic's: the export writes the app's own id
    for it, and that finds it here (never a client that has one) when
    ``by_app_id``.  The admin's upload page passes False: the app's ids are
    the operator's business (console, export), never a key the admin may
    try on the page (SECURITY.md threat 17)."""
    index = external_ids(clinic)
    cid = None
    if index is not None:
        # An index written before the ids were case-folded keys them as spelt.
        cid = index.get(key_of(external_id)) or index.get(external_id)
    if cid is not None:
        return clinic['clients'].get(cid)
    if not by_app_id:
        return None
    client = clinic['clients'].get(external_id)
    if client is not None and getattr(client, 'external_id', None) is None:
        return client
    return None


def remember(clinic, client, external_id):
    client.external_id = external_id
    external_ids(clinic, create=True)[key_of(external_id)] = client.__name__


def import_label(sha256):
    """How a record's history names an import: short, and enough to find
    the audit entry that holds the whole SHA-256."""
    return 'caseload import %s' % sha256[:12]


@dataclass(frozen=True)
class ImportMark:
    time: datetime
    import_id: str      # import_label of the file
    kind: str           # 'created' or 'changed'
    detail: str = ''    # field names, never values


def mark(client, label, kind, detail=''):
    client.import_history = tuple(getattr(client, 'import_history', ())) + (
        ImportMark(utcnow(), label, kind, detail),)


def history(client):
    return tuple(getattr(client, 'import_history', ()))
