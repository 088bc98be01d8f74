"""The clinic's registry of API clients (``clinic.api_clients``).

An API client is a system (the clinic's EHR) the admin has allowed to read
through the FHIR API: a name for the admin's list, its public keys, the
SMART scopes it may be granted, and whether it is enabled.  It lives in a
BTree keyed by a random id (``site.folder.new_id``): the id is the
client's OAuth ``client_id`` and says nothing about the system.

Disabling or deleting a client takes effect on its very next request:
``grant_for`` asks the client's state for every bearer token, and the
client's live tokens are dropped in the same transaction.  The registry is
not part of the traversable tree (it is an attribute of the clinic, not a
child), so no URL walks into it.

Two people (issue 19 review, finding 1): the admin must never see a
client record, and a client with every scope reads every child's.  So a
client the admin registers on the page is *awaiting approval*: the token
endpoint refuses it (``invalid_client``, as an unknown one) until the
privacy officer approves it on their own page (``approval_views``); the
one who registered a client can never approve it.  Approval is kept apart
from ``enabled``: the admin disables, enables and deletes at once, and
re-enabling a client the privacy officer approved needs no new approval.
A client's scopes and keys cannot be changed after registration (a new key
set or scope is a new registration, approved anew).  The console script
(run by the operator on the server, who holds the database anyway)
registers an approved client directly.

Every change is noted on the audit trail with ids only (the client's name
is the admin's label and stays off the trail).
"""
import unicodedata

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from minorconsent.audit.recorder import note
from minorconsent.site.folder import new_id

from .grant import Grant
from .keys import key_ids, key_set, parse_jwks
from .tokens import TokenStore

#: The SMART v2 scopes a client may be given: read and search of what the
#: API serves (F2's resources).  RelatedPerson: the guardians a Consent
#: names resolve through the API.
SCOPES = (
    'system/Patient.rs',
    'system/RelatedPerson.rs',
    'system/Consent.rs',
    'system/Goal.rs',
    'system/DocumentReference.rs',
)

MAX_NAME = 100

#: A client's approval: the privacy officer's decision on it.
PENDING, APPROVED, REFUSED = 'pending', 'approved', 'refused'


def name_problem(name):
    """Why ``name`` cannot be a client's name, or ''.  Control and format
    characters (Unicode category C*: newlines, bidi overrides, zero-width
    marks, unassigned code points) would make one label look like another
    on the admin's and the privacy officer's pages."""
    if not name or len(name) > MAX_NAME:
        return 'A name of 1 to %d characters.' % MAX_NAME
    if any(unicodedata.category(ch).startswith('C') for ch in name):
        return 'A name without control or invisible formatting characters.'
    return ''


class ApiClient(Persistent):
    """One registered system.  ``jwks`` is checked, canonical JSON text."""

    __name__ = None
    #: A client stored before approvals existed is pending: the two-person
    #: rule holds for it too.
    approval = PENDING
    decided_by = None
    decided_at = None

    def __init__(self, name, jwks, scopes, created, created_by):
        self.name = name
        self.jwks = jwks
        self.scopes = tuple(sorted(scopes))
        self.enabled = True
        self.created = created
        self.created_by = created_by

    @property
    def client_id(self):
        return self.__name__

    @property
    def approved(self):
        return self.approval == APPROVED

    @property
    def usable(self):
        """Enabled by the admin and approved by the privacy officer."""
        return self.enabled and self.approved

    def key_set(self):
        return key_set(self.jwks)

    def key_ids(self):
        return key_ids(self.jwks)


class ApiClients(Persistent):
    """The registry: clients by id, and their live tokens (``tokens``).
    ``__parent__`` is the clinic (set by the evolve step), so audit notes
    find its connection; it is not a child, so no URL reaches it."""

    __name__ = 'api-clients'
    __parent__ = None

    def __init__(self):
        self.clients = OOBTree()
        self.tokens = TokenStore()

    def __len__(self):
        return len(self.clients)

    def get(self, client_id):
        if not isinstance(client_id, str) or len(client_id) > 64:
            return None
        return self.clients.get(client_id)

    def values(self):
        """Every client, newest first (the admin's list)."""
        return sorted(self.clients.values(), key=lambda c: c.created, reverse=True)

    def pending(self):
        """The clients awaiting the privacy officer, oldest first."""
        return sorted((c for c in self.clients.values() if c.approval == PENDING),
                      key=lambda c: c.created)

    def register(self, name, jwks_text, scopes, now, by, approved=False):
        """A new enabled client, awaiting approval unless ``approved``
        (the console script only); its id.  ``jwks_text`` is checked here
        too (``keys.KeySetError``), so the script and the page cannot
        store what the other would refuse."""
        name = (name or '').strip()
        problem = name_problem(name)
        if problem:
            raise ValueError(problem)
        unknown = set(scopes) - set(SCOPES)
        if unknown or not scopes:
            raise ValueError('Scopes: one or more of %s.' % ', '.join(SCOPES))
        client = ApiClient(name, parse_jwks(jwks_text), scopes, now, by)
        client_id = new_id()
        while client_id in self.clients:     # pragma: no cover - 72 random bits
            client_id = new_id()
        client.__name__ = client_id
        client.__parent__ = self
        if approved:
            client.approval, client.decided_by, client.decided_at = APPROVED, by, now
        self.clients[client_id] = client
        note(self, 'api.client_registered', target='api-clients/' + client_id,
             detail='scopes=%s keys=%d %s' % (' '.join(client.scopes), len(client.key_ids()),
                                              client.approval))
        return client_id

    def decide(self, client_id, approve, by, now):
        """The privacy officer's decision on a pending client.  ``ValueError``
        with a sentence: not pending (decided already, or gone), or ``by``
        registered it (two people, always)."""
        client = self.get(client_id)
        if client is None or client.approval != PENDING:
            raise ValueError('This API client is not awaiting approval '
                             '(it may have been decided or deleted already).')
        if by is None or by == client.created_by:
            raise ValueError('The person who registered an API client cannot approve it.')
        client.approval = APPROVED if approve else REFUSED
        client.decided_by, client.decided_at = by, now
        note(self, 'api.client_approved' if approve else 'api.client_refused',
             target='api-clients/' + client_id)
        return client

    def set_enabled(self, client_id, enabled):
        """Enable or disable; disabling drops the client's live tokens."""
        client = self.clients[client_id]
        if client.enabled == enabled:
            return False
        client.enabled = enabled
        revoked = 0 if enabled else self.tokens.revoke_client(client_id)
        note(self, 'api.client_enabled' if enabled else 'api.client_disabled',
             target='api-clients/' + client_id,
             detail='' if enabled else 'tokens revoked=%d' % revoked)
        return True

    def delete(self, client_id):
        client = self.clients.pop(client_id)
        revoked = self.tokens.revoke_client(client_id)
        client.__parent__ = None
        note(self, 'api.client_deleted', target='api-clients/' + client_id,
             detail='tokens revoked=%d' % revoked)
        return client

    def grant_for(self, token, now):
        """The ``Grant`` of a live token of an enabled client, else None."""
        found = self.tokens.find(token, now)
        if found is None:
            return None
        client_id, scopes, expires = found
        client = self.clients.get(client_id)
        if client is None or not client.usable:
            return None
        # A scope the admin has since taken away is not granted either.
        return Grant(api_client_id=client_id,
                     scopes=frozenset(scopes) & frozenset(client.scopes),
                     expires_at=expires)


def api_clients(clinic):
    """The clinic's registry, or None before ``minorconsent-evolve`` ran
    step 0039 (then no client exists and no token works)."""
    return getattr(clinic, 'api_clients', None)
