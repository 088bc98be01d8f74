"""Clients: the minor, guardian links, goals, private notes, contact
preferences, and the rules that change them.

``model``: the client record and what hangs off it; ``rules``: the changes
that touch more than one object; ``family``: who in a family may see,
consent, sign and be mailed; ``contact``: the one email rule; ``index``;
``own_account``: the client's own sign-in; ``own_contact``: a person's
own contact preferences; ``closing`` and ``retention``: a closed case and
its erasure; ``revision``: optimistic checks
of staff edits; ``hidden``: one road for a
client you may not see and one that does not exist; ``views`` (and
``guardian_views``, ``own_account_views``), ``schemas``;
``evolve``.  This module registers them and names what other rooms import;
``Clients`` stays here because stored databases name its class
``minorconsent.clients.Clients``.
"""
from minorconsent.site.folder import Folder

from .contact import accepts_email
from .index import ClientIndex
from .model import (Client, ContactPreferences, Goal, GuardianLink, Note,
                    GOAL_STATUSES, RELATIONSHIPS, age_on)
from .revision import StaleEdit
from .rules import (CLIENT_FIELDS, assign_therapists, client_details,  # noqa: F401
                    edit_client, edit_guardian_link, link_guardian, unlink_guardian,
                    update_guardian_link)

__all__ = ['Client', 'ContactPreferences', 'Goal', 'GuardianLink', 'Note',
           'Clients', 'StaleEdit', 'edit_client', 'edit_guardian_link', 'GOAL_STATUSES', 'RELATIONSHIPS', 'age_on']


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


def includeme(config):
    config.include('.evolve')
    # Client URLs the person may not see and made-up ones: one road.
    config.include('.hidden')
    # Who in a family may see, consent, sign and be mailed: one module; the
    # rooms above contribute their facts with ``config.add_family_fact``.
    config.include('.family')
    config.add_client_container('goals', Goal)
    config.add_client_container('notes', Note)
    config.add_client_container('guardians', GuardianLink)
    # The one "may we email this person" rule, for every mail the app sends.
    config.set_email_rule(accepts_email)
    # What the rooms above say beside their documents on the client page.
    config.add_directive('add_document_note',
                         'minorconsent.clients.views:add_document_note')
    config.add_directive('add_client_notice', 'minorconsent.clients.views:add_client_notice')
    config.scan('.views')
    config.scan('.guardian_views')
    config.scan('.own_account_views')
    config.scan('.own_contact_views')
    config.scan('.closing_views')
