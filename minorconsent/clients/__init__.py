"""Clients: the minor, guardian links, goals, private notes, contact
preferences, and the rules that change them.
"""
from datetime import date

from minorconsent.site.folder import Folder

from .index import ClientIndex
from .model import (Client, ContactPreferences, Goal, GuardianLink, Note,
                    GOAL_STATUSES, RELATIONSHIPS, age_on)

__all__ = ['Client', 'ContactPreferences', 'Goal', 'GuardianLink', 'Note',
           'Clients', 'GOAL_STATUSES', 'RELATIONSHIPS', 'age_on']


class Clients(Folder):
    """Every client of the clinic, reachable only through its indexes."""

    def __init__(self):
        super().__init__()
        self.index = ClientIndex()

    def add_client(self, client):
        cid = self.add(client)
        self.index.index(client)
        return cid

    def reindex(self, client):
        self.index.index(client)

    def remove_client(self, cid):
        self.index.unindex(self[cid])
        return self.remove(cid)

    def page_for_staff(self, therapist_ids, query='', page=1, size=25):
        """``(clients, has_more)`` for a staff list page, sorted by name."""
        start = (max(page, 1) - 1) * size
        ids, more = self.index.for_staff(therapist_ids, query, start, size)
        return [self[cid] for cid in ids], more

    def children_of(self, guardian_id):
        return [self[cid] for cid in self.index.children_of(guardian_id)]


# --- rules that touch more than one object ----------------------------------

def link_guardian(clinic, client, guardian, relationship, legal_authority,
                  restricted=False, restriction_note='', actor_id='system'):
    """Tie ``guardian`` to ``client`` and index the tie.

    Staff and adolescent-client accounts cannot be guardians: a typo must
    not hand a child's page to a colleague or to another young client.
    """
    if guardian.__name__ in client['guardians']:
        raise ValueError('This guardian is already linked to this client.')
    if guardian.is_staff:
        raise ValueError('This address belongs to a staff account.')
    if guardian.has_role('adolescent') or guardian.__name__ == client.self_account_id:
        raise ValueError("This address belongs to a client's own account.")
    link = GuardianLink(guardian.__name__, relationship, legal_authority,
                        restricted, restriction_note)
    client['guardians'].add(link, guardian.__name__)
    if 'guardian' not in guardian.roles:
        clinic['users'].set_roles(guardian, guardian.roles + ('guardian',))
    clinic['clients'].reindex(client)
    client.record_guardianship(guardian.__name__, actor_id, 'linked', '%s%s%s' % (
        link.relationship_title, ', legal authority' if legal_authority else '',
        ', restricted' if restricted else ''))
    return link


def update_guardian_link(clinic, client, link, actor_id='system', **values):
    """Change a link; a narrowed link ends the guardian's sessions at once."""
    before = link.grants_portal_access(client, clinic.settings, date.today())
    changed = []
    for key in ('relationship', 'legal_authority', 'restricted',
                'restriction_note'):
        if key in values and getattr(link, key) != values[key]:
            setattr(link, key, values[key])
            changed.append(key.replace('_', ' '))
    after = link.grants_portal_access(client, clinic.settings, date.today())
    if before and not after:
        clinic.sessions.end_all_for(link.guardian_id)
    if changed:
        kind = 'restricted' if 'restricted' in changed and link.restricted else 'changed'
        client.record_guardianship(link.guardian_id, actor_id, kind, ', '.join(
            c for c in changed if c != 'restriction note') or 'restriction note')


def unlink_guardian(clinic, client, guardian_id, actor_id='system'):
    """End a guardianship (a placement ends, a caseworker changes): access
    ends at once, with the guardian's sessions, and the end is recorded."""
    client['guardians'].remove(guardian_id)
    clinic['clients'].reindex(client)
    clinic.sessions.end_all_for(guardian_id)
    client.record_guardianship(guardian_id, actor_id, 'ended')


def assign_therapists(clinic, client, therapist_ids, supervisor_id=None):
    client.therapist_ids = tuple(therapist_ids)
    client.supervisor_id = supervisor_id
    clinic['clients'].reindex(client)


def includeme(config):
    config.add_evolve_step('0003-clients-folder', _add_clients)
    config.scan('.views')


def _add_clients(root, registry):
    root.add(Clients(), 'clients')
