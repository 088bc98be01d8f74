"""Access tokens and used assertion ids (``jti``), kept only while alive.

A token is 256 random bits handed to the client once; the database keeps
only its SHA-256, so a copy of ``Data.fs`` (a backup, an export) holds no
usable token.  A ``jti`` is remembered until its assertion's ``exp``:
after that the assertion is refused as expired anyway, so the store stays
bounded by what five minutes of issuance can add.  Both are pruned, a few
at a time, oldest first by one expiry index (``prune``), by about one
issuance in eight (``maybe_prune``): two token requests at once that both
pruned would both remove the same oldest entries, and one of them would
fail with a ZODB conflict; with one in eight, two overlapping requests
rarely both prune, and each pruning removes up to 50 entries while eight
issuances add 16, so the store stays bounded.

Nothing here checks whether the client is still enabled: a token's grant
is asked through ``clients.ApiClients.grant_for``, which does, so a
disabled or deleted client's tokens stop working at once.
"""
import hashlib
import secrets
from datetime import timedelta

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

#: The longest an access token lives (SMART: five minutes at most).
TOKEN_SECONDS = 300
#: Expired entries removed per pruning: far more than the issuances
#: between two prunings add (two each, one pruning in PRUNE_ONE_IN).
PRUNE_BATCH = 50
#: About one issuance in this many prunes (``maybe_prune``).
PRUNE_ONE_IN = 8


def token_hash(token):
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


class TokenStore(Persistent):
    """Live token hashes and used jtis, with one expiry index for both."""

    def __init__(self):
        #: sha256 hex -> (client id, granted scopes tuple, expires_at)
        self.tokens = OOBTree()
        #: (client id, jti) -> expiry (aware datetime)
        self.jtis = OOBTree()
        #: (expiry, kind, key) for pruning, oldest first
        self.expiry = OOTreeSet()
        self.live = Length()

    def issue(self, client_id, scopes, now, seconds=TOKEN_SECONDS):
        """A new access token (returned once, stored as a hash)."""
        token = secrets.token_urlsafe(32)
        digest = token_hash(token)
        expires = now + timedelta(seconds=seconds)
        self.tokens[digest] = (client_id, tuple(sorted(scopes)), expires)
        self.expiry.add((expires, 'token', digest))
        self.live.change(1)
        return token, expires

    def find(self, token, now):
        """(client id, scopes, expires_at) of a live token, or None."""
        if not token or len(token) > 200:
            return None
        found = self.tokens.get(token_hash(token))
        if found is None or found[2] <= now:
            return None
        return found

    def revoke_client(self, client_id):
        """Forget every live token of ``client_id`` (disable, delete):
        ``grant_for`` already refuses them; this frees the entries."""
        doomed = [(digest, entry[2]) for digest, entry in self.tokens.items()
                  if entry[0] == client_id]
        for digest, expires in doomed:
            del self.tokens[digest]
            self.expiry.discard((expires, 'token', digest))
            self.live.change(-1)
        return len(doomed)

    def use_jti(self, client_id, jti, expires):
        """Record ``jti`` as used until ``expires``; False if it already was."""
        key = (client_id, jti)
        if key in self.jtis:
            return False
        self.jtis[key] = expires
        self.expiry.add((expires, 'jti', key))
        return True

    def maybe_prune(self, now, one_in=PRUNE_ONE_IN):
        """``prune`` on about one call in ``one_in`` (the module's
        docstring says why); the number removed."""
        if secrets.randbelow(one_in):
            return 0
        return self.prune(now)

    def prune(self, now, batch=PRUNE_BATCH):
        """Remove up to ``batch`` entries whose time has passed."""
        removed = 0
        for entry in list(self.expiry.keys(max=(now,), excludemax=False)[:batch]):
            expires, kind, key = entry
            if expires > now:
                break
            if kind == 'token':
                if self.tokens.pop(key, None) is not None:
                    self.live.change(-1)
            else:
                self.jtis.pop(key, None)
            self.expiry.remove(entry)
            removed += 1
        return removed
