"""A store of single-use links mailed to people: by the hash of their
token (never the token), the newest per person, and each person's recent
requests (for an hourly cap), pruned a little at every new link.

``emailchange.EmailChanges`` is one; so was the password-reset store
before evolve step 0026 (``reset.PasswordResets``, kept for old
databases).  The persistent attribute names are the stored ones.
"""
from datetime import timedelta

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from minorconsent.security.tokens import token_hash
from minorconsent.site.clock import utcnow
from minorconsent.site.links import SingleUseLink


#: Requests older than this no longer count against the cap.
REQUEST_WINDOW = timedelta(hours=1)


class AccountLink(SingleUseLink):
    """A link mailed to an account's address (a password reset, a set-up
    link): whose, where it went, when, until when."""

    def __init__(self, user_id, email, created, expires):
        self.user_id = user_id
        self.email = email
        self.created = created
        self.expires = expires


class LinkStore(Persistent):

    def __init__(self):
        self.by_hash = OOBTree()
        self.by_user = OOBTree()          # user id -> hash of their newest link
        self.requests = OOBTree()         # who asked -> tuple of request times
        self._by_time = OOTreeSet()       # (expires, hash), for pruning

    def recent_requests(self, key, now):
        return tuple(t for t in self.requests.get(key, ()) if now - t < REQUEST_WINDOW)

    def count_request(self, key, now):
        self.requests[key] = self.recent_requests(key, now) + (now,)

    def add_link(self, user_id, key, link):
        self.by_hash[key] = link
        self.by_user[user_id] = key
        self._by_time.add((link.expires, key))

    def find(self, token):
        if not token or len(token) > 100:
            return None
        return self.by_hash.get(token_hash(token))

    def cancel_for(self, user_id, now=None):
        """Void ``user_id``'s pending link (only the newest can be valid:
        a new link cancels the one before)."""
        key = self.by_user.get(user_id)
        link = self.by_hash.get(key) if key is not None else None
        if link is not None and link.status(now) == 'valid':
            link.cancelled = now or utcnow()
            return True
        return False

    def prune(self, now, limit=20):
        """Forget links a day past expiry, and stale request records."""
        for expires, key in list(self._by_time.keys(max=(now - timedelta(days=1), '\uffff')))[:limit]:
            self._by_time.discard((expires, key))
            link = self.by_hash.pop(key, None)
            if link is not None and self.by_user.get(link.user_id) == key:
                del self.by_user[link.user_id]
        for key in list(self.requests.keys())[:limit]:
            if all(now - t >= REQUEST_WINDOW for t in self.requests[key]):
                del self.requests[key]
