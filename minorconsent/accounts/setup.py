"""Set-up links: how a person the clinic made an account for chooses their
first password.

A new staff member, or a client invited to their own sign-in, gets a
single-use link that expires (``invitation_days`` of the clinic settings),
mailed to the account's address and stored only as the SHA-256 of its
token (``linkstore.LinkStore``, as password resets are).  Only the newest
link of a person works; it stops working once used, once the account has a
password, when the address changes, or when the account is disabled.

The mail names the portal and nothing else: no child, no therapist, no
therapy, for staff and clients alike (a family's shared inbox reads it).
Who may be mailed is the one rule (``site.mail.may_email``): a person whose
records say "no email" gets no link, and ``issue_setup_link`` says so, so
the page that asked can tell staff.
"""
import secrets
from datetime import timedelta

from minorconsent.security.tokens import token_hash
from minorconsent.site.canonical import public_url
from minorconsent.site.clock import utcnow
from minorconsent.site.i18n import _, localizer_for
from minorconsent.site.mail import may_email, send

from .linkstore import AccountLink, LinkStore


class SetupLink(AccountLink):
    """A link for ``user_id`` to choose a first password."""

    def setup_status(self, users, now=None):
        """``(status, user)``; an account that has a password since the
        link was sent counts as 'used' (it signs in instead)."""
        status, user = self.account_status(users, self.user_id, self.email, now)
        if status == 'valid' and user.password_hash is not None:
            status = 'used'
        return status, user


class SetupLinks(LinkStore):
    """``clinic.setup_links`` (evolve step 0028)."""

    def issue(self, user, days, now=None):
        """A new link for ``user``; returns its token.  The one sent before
        stops working."""
        now = now or utcnow()
        self.cancel_for(user.__name__, now)
        token = secrets.token_urlsafe(32)
        self.add_link(user.__name__, token_hash(token),
                      SetupLink(user.__name__, user.email, now, now + timedelta(days=days)))
        self.prune(now)
        return token


SETUP_SUBJECT = _('Your sign-in')
SETUP_TEXT = _('mail-setup', default=(
    'Hello,\n\nAn account on ${portal} was made for you.\n\n'
    'Open this link to choose your password:\n${url}\n\n'
    'The link works once and expires on ${expires}. If you were not expecting\n'
    'this message, you can ignore it.\n'))


def issue_setup_link(request, user, now=None):
    """Mail ``user`` a new set-up link; True if it was sent.

    False when the person may not be emailed (their records say "no
    email"): no link is made, so none waits unused in the database.
    The mail leaves only if the request commits (pyramid_mailer joins the
    transaction)."""
    if not may_email(request, user):
        return False
    clinic = request.clinic
    now = now or utcnow()
    days = clinic.settings.invitation_days
    token = clinic.setup_links.issue(user, days, now)
    localizer = localizer_for(request, user.language)
    return send(request, user, localizer.translate(SETUP_SUBJECT), localizer.translate(
        _(SETUP_TEXT, mapping={
            'portal': clinic.settings.portal_name,
            'expires': (now + timedelta(days=days)).date().isoformat(),
            'url': public_url(request, 'welcome', token)})))


def cancel_setup_link(clinic, user_id, now=None):
    """Void ``user_id``'s pending set-up link (their access was taken back
    before they used it)."""
    return clinic.setup_links.cancel_for(user_id, now)
