"""Who reads how much of the audit trail.

The clinic admin sees no client record, so the trail must not tell them
who is a client or what was disclosed about whom: a family member's page
views name their child's reference, and a disclosure entry says "abuse to
agency".  The admin's view is therefore of *staff and system actions*
only (entries whose actor is ``system``, ``anonymous`` or an account that
holds staff roles and no family role), and even there the client
reference, the path below it and the detail of any entry about a client
are blank.  So are such an entry's hash and every entry's ``prev`` (the
hash of the entry before, which may be one the admin does not see): an
entry's hash is the SHA-256 of all its fields, so an admin who learnt a
client's reference and a record's path could otherwise recompute it for
each likely detail ("abuse to agency", "harm_self to guardian") and
confirm which it was.  For the same reason the head the admin is shown is
the newest entry they see in full.  The privacy officer reads everything.

The same scope serves the viewer's pages, its counts, its action list and
the CSV export, so no door shows more than another.
"""
from dataclasses import dataclass

from minorconsent.accounts import ADOLESCENT, GUARDIAN, STAFF_ROLES

#: Actors that are no account: the app itself, and signed-out visitors.
NON_PERSONS = ('system', 'anonymous')
FAMILY_ROLES = (GUARDIAN, ADOLESCENT)


def staff_actor_ids(users):
    """Ids of the accounts whose actions the admin may see: staff roles
    only (an account that is also a parent or a client is a family one)."""
    family = set()
    for role in FAMILY_ROLES:
        family.update(users.ids_with_role(role))
    found = set()
    for role in STAFF_ROLES:
        found.update(uid for uid in users.ids_with_role(role) if uid not in family)
    return found


@dataclass
class TrailScope:
    """What one reader may see of the trail.

    ``whole``: the privacy officer (everything, as sealed).  Otherwise the
    admin: ``seqs`` is the BTree set of entries they may see, and every
    entry goes through ``shown`` before it is displayed or exported.
    """
    whole: bool
    seqs: object = None

    def shown(self, entry):
        if self.whole:
            return entry
        if not entry['record']:
            return dict(entry, prev='')
        return dict(entry, record='', target='', detail='', hash='', prev='')

    def head(self, audit_log, look_back=1000):
        """``(entries on the chain, seq, hash)`` of the head the reader may
        be shown: the chain's, or for the admin the newest entry they see in
        full among the last ``look_back`` they see (seq 0, no hash, if none)."""
        if audit_log is None:
            return 0, 0, ''
        if self.whole:
            return audit_log.head_seq, audit_log.head_seq, audit_log.head_hash
        for entry in audit_log.newest(self.seqs, count=look_back)[0]:
            if not entry['record']:
                return audit_log.head_seq, entry['seq'], entry['hash']
        return audit_log.head_seq, 0, ''

    def actions(self, audit_log):
        """The action names the reader's filter may offer: for the admin,
        only actions that occur in entries they can see."""
        if audit_log is None:
            return []
        if self.whole:
            return list(audit_log.by_action.keys())
        from BTrees.LOBTree import intersection
        return [action for action, seqs in audit_log.by_action.items()
                if intersection(seqs, self.seqs)]


def scope_for(request, audit_log):
    """The privacy officer's whole trail, or the admin's staff view."""
    if request.has_permission('read-whole-audit', request.clinic):
        return TrailScope(whole=True)
    if audit_log is None:
        return TrailScope(whole=False)
    actors = staff_actor_ids(request.clinic['users']) | set(NON_PERSONS)
    return TrailScope(whole=False, seqs=audit_log.by_actors(sorted(actors)))
