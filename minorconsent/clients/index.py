"""BTree indexes over clients, so no request ever walks every client.

``by_staff`` holds ``(therapist_id, sort_name, client_id)`` triples: a
therapist's list is a key range, already sorted by name.  ``by_token``
holds ``(therapist_id, name_token, sort_name, client_id)``: a name search is
a prefix range over one token.  ``by_guardian`` maps a guardian's user id to
the ids of their children.  ``closed`` holds closed cases as ``by_staff``
holds open ones (databases from before case closing get it at the first
closure).  ``by_birth`` holds ``(date_of_birth, client_id)`` of the open
cases (those in ``by_staff``): who comes of age soon is a key range (the
admin's to-do counts); an index from before it has none until the evolve
step ``0037-clients-by-birth`` builds it.  Each client remembers the keys
it was indexed under, so reindexing removes exactly those.
"""
import heapq
import re
import unicodedata
from itertools import islice

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from minorconsent.site import multimap

_HIGH = '\U0010ffff'


def fold(text):
    """Lower-case, accent-free form used for sorting and search."""
    text = unicodedata.normalize('NFKD', text or '')
    text = ''.join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold().strip()


def sort_name(client):
    return '%s\x00%s' % (fold(client.last_name), fold(client.first_name))


def name_tokens(client):
    text = ' '.join((client.first_name, client.last_name,
                     client.preferred_name or ''))
    return set(re.findall(r'\w+', fold(text)))


class ClientIndex(Persistent):

    def __init__(self):
        self.by_staff = OOTreeSet()
        self.by_token = OOTreeSet()
        self.by_guardian = OOBTree()
        self.closed = OOTreeSet()     # (staff id, sort_name, client id) of closed cases
        self.by_birth = OOTreeSet()   # (date of birth, client id) of open cases

    # --- maintenance -------------------------------------------------------

    def index(self, client):
        self.unindex(client)
        cid = client.__name__
        name = sort_name(client)
        staff, tokens, closed = [], [], []
        # Lists are per staff member: the therapists, and a supervisor named
        # on the client itself (supervisors of therapists see their lists).
        staff_ids = list(client.therapist_ids)
        if client.supervisor_id and client.supervisor_id not in staff_ids:
            staff_ids.append(client.supervisor_id)
        if getattr(client, 'closure', None) is not None:
            # A closed case leaves the working lists (``clients.closing``);
            # its staff find it among their closed cases.
            closed = [(tid, name, cid) for tid in staff_ids]
        else:
            for tid in staff_ids:
                staff.append((tid, name, cid))
                for token in name_tokens(client):
                    tokens.append((tid, token, name, cid))
        guardians = [link.guardian_id for link in client['guardians'].values()]
        for key in staff:
            self.by_staff.add(key)
        for key in tokens:
            self.by_token.add(key)
        if closed:
            if getattr(self, 'closed', None) is None:
                self.closed = OOTreeSet()
            for key in closed:
                self.closed.add(key)
        for gid in guardians:
            multimap.add(self.by_guardian, gid, cid)
        births = getattr(self, 'by_birth', None)
        born = ()
        if births is not None and staff and client.date_of_birth is not None:
            born = ((client.date_of_birth, cid),)
            births.add(born[0])
        client._indexed = (tuple(staff), tuple(tokens), tuple(guardians), tuple(closed), born)

    def unindex(self, client):
        indexed = getattr(client, '_indexed', ((), (), ()))
        staff, tokens, guardians = indexed[:3]
        closed = indexed[3] if len(indexed) > 3 else ()
        born = indexed[4] if len(indexed) > 4 else ()
        for key in staff:
            self.by_staff.discard(key)
        for key in tokens:
            self.by_token.discard(key)
        for key in closed:
            self.closed.discard(key)
        for gid in guardians:
            children = self.by_guardian.get(gid)
            if children is not None:
                children.discard(client.__name__)
                if not children:
                    del self.by_guardian[gid]
        births = getattr(self, 'by_birth', None)
        for key in born:
            if births is not None:
                births.discard(key)
        client._indexed = ((), (), (), (), ())

    # --- queries -----------------------------------------------------------

    def children_of(self, guardian_id):
        return tuple(self.by_guardian.get(guardian_id, ()))

    def _staff_keys(self, tid, query):
        """(sort_name, client_id) pairs for one therapist, sorted."""
        tokens = re.findall(r'\w+', fold(query))
        if not tokens:
            for _, name, cid in self.by_staff.keys(min=(tid, ''), max=(tid, _HIGH)):
                yield name, cid
            return
        # Each word must prefix one of the client's name words: intersect
        # the key ranges, reading index keys only, never client objects.
        names, matches = {}, None
        for token in set(tokens):
            found = set()
            for _, _, name, cid in self.by_token.keys(
                    min=(tid, token, '', ''),
                    max=(tid, token + _HIGH, _HIGH, _HIGH)):
                found.add(cid)
                names[cid] = name
            matches = found if matches is None else matches & found
        yield from sorted((names[cid], cid) for cid in matches)

    def closed_for_staff(self, therapist_ids):
        """Client ids of these staff members' closed cases, sorted by name."""
        closed = getattr(self, 'closed', None)
        if closed is None:
            return []
        streams = [((name, cid) for _, name, cid in closed.keys(min=(tid, ''), max=(tid, _HIGH)))
                   for tid in sorted(therapist_ids)]
        seen = set()
        return [cid for _, cid in heapq.merge(*streams) if not (cid in seen or seen.add(cid))]

    def for_staff(self, therapist_ids, query='', start=0, size=25):
        """One page of client ids for these therapists, sorted by name.

        Returns ``(ids, has_more)``.
        """
        streams = [self._staff_keys(tid, query) for tid in sorted(therapist_ids)]
        merged = heapq.merge(*streams)
        seen = set()
        unique = (cid for _, cid in merged
                  if not (cid in seen or seen.add(cid)))
        page = list(islice(unique, start, start + size + 1))
        return page[:size], len(page) > size
