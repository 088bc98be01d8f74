"""Single-use links that expire: invitations to sign, password resets and
email-address confirmations share one life cycle.

A link is stored under the SHA-256 of its token (never the token itself)
and is ``valid`` until it is used, cancelled (a newer link, a restriction,
a changed address) or past ``expires``; each room keeps its own record of
what the link is for.
"""
from persistent import Persistent

from .clock import utcnow


class SingleUseLink(Persistent):
    used = None
    cancelled = None
    expires = None

    def status(self, now=None):
        """'valid', or why not: 'cancelled', 'used' or 'expired'."""
        now = now or utcnow()
        if self.cancelled:
            return 'cancelled'
        if self.used:
            return 'used'
        if now >= self.expires:
            return 'expired'
        return 'valid'

    def account_status(self, users, user_id, address, now=None):
        """``(status, user)`` for a link sent to ``address`` for account
        ``user_id``: one sent to an address the account no longer has, or
        to an account since disabled or removed, counts as cancelled."""
        status = self.status(now)
        user = users.get(user_id)
        if status == 'valid' and (user is None or not user.active or user.email != address):
            status = 'cancelled'
        return status, user
