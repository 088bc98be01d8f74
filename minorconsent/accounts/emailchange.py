"""Changing the email address of an account, by the clinic admin or by
the person themselves.

An account's address is the key to it: "forgot password" mails a link
there.  Whoever changes it could take the account over, so a change is
treated like a password change, and more:

* Whoever makes the change proves it is still them, in the same form:
  their current password, and a code from their app where they have a
  second factor (``reauthenticate``).  A refusal writes nothing (400,
  nothing changed), so guessing through these forms is held back by the
  per-IP limits (``security/ratelimit.py``) and a paused sign-in address
  is refused here too.
* The admin's change applies at once (the admin vouches for the new
  address).  The person's own change waits until they open a single-use,
  expiring link mailed to the *new* address (``EmailChanges``, links
  stored as SHA-256 of their token, like password reset), which proves
  they read it.  At most ``LINKS_PER_USER`` links an hour per person.
* Whatever the path, ``apply_email_change`` does the same: the old address
  is told (a content-free notice naming only the portal), pending password
  reset links and other pending address changes die, every other session
  of the person ends, and the audit trail names the change with both
  addresses masked (``masked``), never in clear.
* Mail honours the person's contact preferences, as everything the app
  mails does (the one rule, ``minorconsent.clients.contact``): a person who told the clinic "no
  email" may have a shared or watched inbox, where a notice would tell its
  reader that the account moved away.  They get no notice, and cannot
  start a change that needs a link by mail: the form says to call the
  clinic, whose admin can change the address (their notice is skipped
  too, and the trail says so).
* An address another account uses is refused with the same sentence as
  any unavailable address; it never says whose.  Refusals go on the audit
  trail through the read buffer (no commit of their own).
"""
import secrets
from datetime import timedelta

from minorconsent.audit.recorder import make_entry, note
from minorconsent.security.tokens import token_hash
from minorconsent.site.canonical import public_url
from minorconsent.site.clock import utcnow
from minorconsent.site.i18n import _, localizer_for
from minorconsent.site.links import SingleUseLink
from minorconsent.site.mail import may_email, send

from .linkstore import LinkStore
from .model import normalize_email
from .throttle import address_key
from .twofactor import factor_of, is_enrolled

LINK_MINUTES = 60
LINKS_PER_USER = 3             # within linkstore.REQUEST_WINDOW

# --- messages next to the fields --------------------------------------------

PASSWORD_MISSING = _('Enter your current password to change the email address.')
PASSWORD_WRONG = _('This is not your current password.')
CODE_MISSING = _('Enter the code your authenticator app shows now.')
CODE_WRONG = _('This code is not right. Enter the code your app shows now.')
CODE_REUSED = _('This code was just used. Wait for the next code in your app.')
PAUSED = _('Too many wrong attempts. Wait a few minutes, then try again.')
UNAVAILABLE = _('This address cannot be used for your account. Choose another one.')
SAME_ADDRESS = _('This is already your email address.')
TOO_MANY = _('You asked for several changes within an hour. Try again later.')
NO_EMAIL = _('You asked the clinic not to email you, so no link can be sent. Call the '
             'clinic at ${phone} to change your address.')


def masked(email):
    """An address as the audit trail shows it: its first letters, and the
    first 16 hex digits of SHA-256 of the normalised address (the key the
    sign-in throttle uses), e.g. ``e***@d***.test #5c1d…``.  Someone
    investigating can check a candidate address by hashing it; the trail
    itself does not list who has which address."""
    email = normalize_email(email)
    local, _sep, domain = email.partition('@')
    host, dot, tld = domain.rpartition('.')
    if not dot:
        host, tld = domain, ''
    return '%s***@%s***%s%s #%s' % (local[:1], host[:1], dot, tld, address_key(email)[:16])


def reauthenticate(clinic, passwords, user, current, code, now=None):
    """Check that ``user`` is still at the keyboard: None when the password
    (and the code, where they have a second factor) is right, else
    ``(field, message)`` for the form.

    Reads only, apart from spending a right code (it cannot be used again
    within its window): a refusal is a 400 that commits nothing.  An
    address whose sign-in is paused (failed sign-ins) is refused before
    anything is checked.
    """
    now = now or utcnow()
    throttle = clinic.sign_in_throttle
    if throttle.is_locked(user.email, now):
        return 'current', PAUSED
    if not current:
        return 'current', PASSWORD_MISSING
    if not passwords.verify(user.password_hash, current):
        return 'current', PASSWORD_WRONG
    if is_enrolled(user):
        if not (code or '').strip():
            return 'code', CODE_MISSING
        result = factor_of(user).verify(code, now)
        if result != 'ok':
            return 'code', CODE_REUSED if result == 'reused' else CODE_WRONG
    return None


def address_problem(users, user, email):
    """Why ``user`` cannot move to ``email`` (a message), or None.  One
    sentence for every address in use, whoever uses it."""
    email = normalize_email(email)
    if email == user.email:
        return SAME_ADDRESS
    if users.find_by_email(email) is not None:
        return UNAVAILABLE
    return None


# --- the pending changes -----------------------------------------------------

class EmailChangeLink(SingleUseLink):
    """A person's request to move their account to ``new_email``."""

    def __init__(self, user_id, old_email, new_email, created, expires):
        self.user_id = user_id
        self.old_email = old_email
        self.new_email = new_email
        self.created = created
        self.expires = expires


class EmailChanges(LinkStore):
    """``clinic.email_changes``: links by token hash, the newest per
    person, and each person's recent requests (the hourly cap)."""

    def under_cap(self, user_id, now):
        """True while ``user_id`` may be sent another link this hour."""
        return len(self.recent_requests(user_id, now)) < LINKS_PER_USER

    def issue(self, user, new_email, now=None):
        """A link moving ``user`` to ``new_email`` (their earlier pending
        one stops working); the token, shown only in the mail."""
        now = now or utcnow()
        self.prune(now)
        self.count_request(user.__name__, now)
        self.cancel_for(user.__name__, now)
        token = secrets.token_urlsafe(32)
        link = EmailChangeLink(user.__name__, user.email, normalize_email(new_email), now,
                               now + timedelta(minutes=LINK_MINUTES))
        self.add_link(user.__name__, token_hash(token), link)
        return token

    def pending_for(self, user, now=None):
        """The person's change still waiting for its link, or None."""
        key = self.by_user.get(user.__name__)
        link = self.by_hash.get(key) if key is not None else None
        if link is None or link.status(now) != 'valid' or link.old_email != user.email:
            return None
        return link


def changes_of(clinic):
    """The clinic's pending changes; None in a database not yet evolved
    (``minorconsent-evolve``), where self-service waits."""
    return getattr(clinic, 'email_changes', None)


def link_status(clinic, link, now=None):
    """'valid', 'expired', 'used', 'cancelled' or 'unknown', and the user.

    A link for an account that has since changed its address (another
    link, the admin) or been disabled counts as cancelled.
    """
    if link is None:
        return 'unknown', None
    return link.account_status(clinic['users'], link.user_id, link.old_email, now)


# --- mail ----------------------------------------------------------------------

CONFIRM_SUBJECT = _('Confirm your new email address')
CONFIRM_TEXT = _('mail-email-change-confirm', default=(
    'Hello,\n\nSomeone asked to use this email address for an account on ${portal}.\n\n'
    'Open this link to confirm the change:\n${url}\n\n'
    'The link works once and expires in ${minutes} minutes. If you did not ask\n'
    'for this, you can ignore this message: nothing changes.\n'))
NOTICE_SUBJECT = _('Your email address was changed')
NOTICE_TEXT = _('mail-email-changed-notice', default=(
    'Hello,\n\nThe email address of your ${portal} account was changed. Messages\n'
    'for the account now go to the new address, and this address can no longer\n'
    'be used to sign in.\n\n'
    'If this was not you, contact the clinic.\n'))


def _mail(request, user, to, subject, text, mapping):
    """In the person's saved language, naming only the portal."""
    localizer = localizer_for(request, user.language)
    send(request, user, localizer.translate(subject),
         localizer.translate(_(text, mapping=mapping)), address=to)


# --- the rules -------------------------------------------------------------------

def request_email_change(request, user, new_email, now=None):
    """The person asked to move their account to ``new_email`` (after
    ``reauthenticate``): ``(None, token)`` once a link is mailed to the new
    address, else ``(message, None)``, nothing mailed and nothing written
    (the refusal goes on the trail through the read buffer)."""
    clinic = request.clinic
    now = now or utcnow()
    changes = changes_of(clinic)
    if not may_email(request, user):
        # Before the address is looked at: no answer about it either.
        trail_refusal(request, 'auth.email_change_refused', user,
                      'no email in contact preferences')
        return _(NO_EMAIL, mapping={'phone': clinic.settings.contact_phone}), None
    problem = address_problem(clinic['users'], user, new_email)
    if problem is None and not changes.under_cap(user.__name__, now):
        problem = TOO_MANY
    if problem is not None:
        trail_refusal(request, 'auth.email_change_refused', user,
                      {SAME_ADDRESS: 'same address', TOO_MANY: 'hourly cap reached'}
                      .get(problem, 'address unavailable'))
        return problem, None
    token = changes.issue(user, new_email, now)
    _mail(request, user, normalize_email(new_email), CONFIRM_SUBJECT, CONFIRM_TEXT, {
        'portal': clinic.settings.portal_name, 'minutes': LINK_MINUTES,
        'url': public_url(request, 'confirm-email', token)})
    note(user, 'auth.email_change_requested', record='', target='users/' + user.__name__,
         actor=user.__name__, detail='link sent to the new address %s' % masked(new_email))
    return None, token


def trail_refusal(request, action, user, detail):
    """A refused change of ``user``'s address on the trail, without a
    commit (as ``too_many`` does): the 400 that refuses it commits nothing.
    The actor is whoever is signed in (the person, or the admin)."""
    identity = request.identity
    actor = identity.user if identity is not None else user
    request.registry.audit_recorder.add(make_entry(
        action, actor=actor.__name__,
        role=' '.join(sorted(actor.roles)), target='users/' + user.__name__,
        detail=detail, ip=request.client_addr or '', outcome='400'))


def apply_email_change(request, user, new_email, action, how, keep_token=None, actor=None,
                       now=None):
    """Move ``user`` to ``new_email`` (the one way any address changes).

    Raises ``ValueError`` if another account has the address (nothing is
    changed then).  The old address gets the notice (unless the person's
    contact preferences say "no email"); the person's reset
    links and pending address changes die; every session of the person
    but ``keep_token`` ends; the trail's ``action`` entry names the change
    (masked addresses) and ``how``.  Returns the number of sessions ended.
    """
    clinic = request.clinic
    now = now or utcnow()
    old = user.email
    clinic['users'].set_email(user, new_email)
    resets = getattr(clinic, 'password_resets', None)
    reset_cancelled = False
    if resets is not None:
        reset_cancelled = _cancel_reset(resets, user, now)
    changes = changes_of(clinic)
    if changes is not None:
        changes.cancel_for(user.__name__, now)
    ended = clinic.sessions.end_all_for(user.__name__, except_token=keep_token)
    told = may_email(request, user)
    if told:
        _mail(request, user, old, NOTICE_SUBJECT, NOTICE_TEXT,
              {'portal': clinic.settings.portal_name})
    note(user, action, record='', target='users/' + user.__name__, actor=actor,
         detail='email changed %s -> %s %s; %s; %d session(s) ended%s' % (
             masked(old), masked(user.email), how,
             'old address told' if told else 'old address not told (no email)', ended,
             '; reset link cancelled' if reset_cancelled else ''))
    return ended


def _cancel_reset(resets, user, now):
    """Void the person's unused reset link (only the newest can be valid).
    ``reset.link_status`` also refuses a link whose address is no longer
    the account's: this makes it explicit."""
    return resets.cancel_for(user.__name__, now)


def confirm_email_change(request, link, user, now=None):
    """The person opened the link sent to the new address: the change
    takes effect (``apply_email_change``) and the link is spent.  The
    browser that opened it stays signed in if it is the person's own.
    Raises ``ValueError`` when the address was taken in the meantime."""
    now = now or utcnow()
    identity = request.identity
    keep = identity.token if identity is not None and identity.user is user else None
    link.used = now
    return apply_email_change(request, user, link.new_email, 'auth.email_changed',
                              'by the person, confirmed from the new address',
                              keep_token=keep, actor=user.__name__, now=now)
