"""Password reset by email: single-use links that expire, stored as hashes.

Asking for a reset answers the same whether or not the address has an
account, and does the same database work either way: every request writes
one per-address record (by SHA-256 of the address, with or without an
account), which also caps how many reset mails one address can receive.
Only a real, active account with a password, whose contact preferences
allow email, gets a link; the mail names only the portal.  A person who
told the clinic "no email" may have a reason (a shared or watched inbox):
a reset link sent there would hand the account to whoever reads that
inbox, so they get none, the page answers exactly as for anyone else, and
the page says to call the clinic instead.

Requests and links are kept in shards that merge concurrent requests
(``resetstore``: a burst of requests for one address answered 500s when
they all rewrote one record); the cap on mails and "only the newest link
works" hold under concurrency (see there).

Using a link sets the new password (through the one password policy),
ends every session of the person and voids a half sign-in; it does not
sign them in: they sign in with the new password, and with their second
factor if they have one.
"""
import secrets
from datetime import timedelta

from minorconsent.security.tokens import token_hash
from minorconsent.site.canonical import public_url
from minorconsent.site.clock import utcnow
from minorconsent.site.i18n import _, localizer_for
from minorconsent.site.mail import may_email, send

from .linkstore import REQUEST_WINDOW, AccountLink, LinkStore
from .model import normalize_email, set_password
from .resetstore import ShardedResets
from .throttle import address_key

LINK_MINUTES = 60
MAILS_PER_ADDRESS = 3          # within REQUEST_WINDOW


class ResetLink(AccountLink):
    """A password-reset link (stored under this name: keep it)."""


class Resets(ShardedResets):
    """``clinic.password_resets`` since evolve step 0026: concurrent
    requests merge (``resetstore``)."""

    def __init__(self):
        super().__init__(MAILS_PER_ADDRESS, REQUEST_WINDOW)

    def issue(self, user, now=None):
        """A new link for ``user``; their earlier ones stop working, being
        older (``is_newest``).  The token, shown only in the mail."""
        now = now or utcnow()
        self.prune(now)
        token = secrets.token_urlsafe(32)
        link = ResetLink(user.__name__, user.email, now, now + timedelta(minutes=LINK_MINUTES))
        self.add_link(token_hash(token), link)
        return token

    def find(self, token):
        if not token or len(token) > 100:
            return None
        return self.get(token_hash(token))

    def cancel_for(self, user_id, now=None):
        """Void the person's valid link (an address change, by the admin)."""
        key = self.newest_key(user_id)
        link = self.get(key) if key is not None else None
        if link is not None and link.status(now) == 'valid':
            link.cancelled = now or utcnow()
            return True
        return False


class PasswordResets(LinkStore):
    """The store before evolve step 0026 (concurrent requests conflict),
    kept so an old database works until ``minorconsent-evolve`` runs."""

    def under_cap(self, email, now):
        key = address_key(normalize_email(email))
        return len(self.recent_requests(key, now)) < MAILS_PER_ADDRESS

    def note_request(self, email, now, mailed=False):
        """Record a request for ``email`` (account or not)."""
        self.count_request(address_key(normalize_email(email)), now)

    def is_newest(self, link):
        return True                       # ``issue`` cancels the older link

    def issue(self, user, now=None):
        """A new link for ``user`` (their earlier one stops working); the token."""
        now = now or utcnow()
        self.prune(now)
        self.cancel_for(user.__name__, now)
        token = secrets.token_urlsafe(32)
        link = ResetLink(user.__name__, user.email, now, now + timedelta(minutes=LINK_MINUTES))
        self.add_link(user.__name__, token_hash(token), link)
        return token


def sharded(old):
    """A ``Resets`` holding what ``old`` (a ``PasswordResets``) holds:
    live links (the newest per person valid, as before) and the last
    hour's requests (each counted against the cap as a mail)."""
    new = Resets()
    for key, link in old.by_hash.items():
        new._of(new.links, key).put(key, (link.expires, link))
        link.key = key
    for user_id, key in old.by_user.items():
        link = old.by_hash.get(key)
        if link is not None:
            new._of(new.newest, new._user_key(user_id)).put(user_id, (link.created, key))
    for key, times in old.requests.items():
        entries = tuple((t, n, True) for n, t in enumerate(times))
        if entries:
            new._of(new.requests, key).put(key, entries)
    return new


def link_status(clinic, link, now=None):
    """'valid', 'expired', 'used', 'cancelled' or 'unknown', and the user.

    A link sent to an address the account no longer has, or to an account
    since disabled, counts as cancelled.
    """
    if link is None:
        return 'unknown', None
    status, user = link.account_status(clinic['users'], link.user_id, link.email, now)
    if status == 'valid' and not clinic.password_resets.is_newest(link):
        status = 'cancelled'              # a newer link was sent
    return status, user


RESET_SUBJECT = _('Reset your password')
RESET_TEXT = _('mail-password-reset', default=(
    'Hello,\n\nSomeone asked to reset the password of your account on ${portal}.\n\n'
    'Open this link to choose a new password:\n${url}\n\n'
    'The link works once and expires in ${minutes} minutes. If you did not ask\n'
    'for this, you can ignore this message: your password stays the same.\n'))


def request_reset(request, email, now=None):
    """Handle "forgot your password" for ``email``; return the user mailed,
    or None.  The caller answers the same either way."""
    clinic = request.clinic
    now = now or utcnow()
    resets = clinic.password_resets
    under_cap = resets.under_cap(email, now)
    user = clinic['users'].find_by_email(email)
    mailed = not (user is None or not user.active or user.password_hash is None
                  or not under_cap or not may_email(request, user))
    # Every request writes its record, mail or not (the same work either way).
    resets.note_request(email, now, mailed)
    if not mailed:
        return None
    token = resets.issue(user, now)
    localizer = localizer_for(request, user.language)
    send(request, user, localizer.translate(RESET_SUBJECT),
         localizer.translate(_(RESET_TEXT, mapping={
             'portal': clinic.settings.portal_name, 'minutes': LINK_MINUTES,
             'url': public_url(request, 'reset-password', token)})))
    return user


def use_link(clinic, passwords, link, user, password, now=None):
    """Set the new password: the link is spent, every session ends, and a
    half sign-in started with the old password is void (it records the
    password's change time)."""
    set_password(clinic, passwords, user, password)
    link.used = now or utcnow()
