"""Two-factor sign-in: TOTP codes (RFC 6238, pyotp), recovery codes, and
the half-signed-in state between the password and the code.

Rules, all here and testable without HTTP:

* A factor is switched on only after a first code from the new secret
  proves the person's app holds it (``confirm``).  Until then the current
  factor, if any, stays in force.  The new secret belongs to the browser
  that asked for it (``candidate_for``), for ``PENDING_ENROL_MINUTES``:
  asking needs the password (``factorchange``), and another browser of
  the same person neither sees nor confirms it.
* A code is accepted for the current 30-second step and one step either
  side (clock drift), and *only for a step later than the last one
  accepted*: a code seen over a shoulder or replayed from a log is
  refused within its window (``verify``).
* Ten recovery codes, each usable once, are shown once and stored only as
  salted SHA-256 hashes (they carry 50 random bits each, so a fast hash
  is enough; argon2 would make a sign-in with one slow for nothing).
* Between password and code there is *no session*: a ``PendingSignIn``
  (server-side, 5 minutes, 5 tries, bound to the browser by a random token
  in its own cookie, only the token's hash stored) names the user and what
  is still owed ('code', or 'enrol' where the clinic requires a factor and
  the person has none).  Nothing in the security policy reads it, so it
  grants no permission anywhere.
"""
import hashlib
import hmac
import secrets
from datetime import timedelta

import pyotp
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from minorconsent.security.tokens import token_hash
from minorconsent.site.clock import utcnow

from .model import STAFF_ROLES

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
PENDING_CODE_MINUTES = 5
PENDING_ENROL_MINUTES = 15     # time to install an app and scan the code
PENDING_TRIES = 5
ISSUER = 'minorconsent'


def step_of(when):
    """The TOTP time step of a datetime."""
    return int(when.timestamp()) // STEP_SECONDS


def _recovery_hash(salt, code):
    return hashlib.sha256((salt + normalize_recovery(code)).encode('utf-8')).hexdigest()


def normalize_recovery(code):
    return ''.join(ch for ch in (code or '').lower() if ch.isalnum())


def new_recovery_codes():
    """Ten codes like ``k7f3m-q2xwp`` (base32, 50 bits each)."""
    alphabet = 'abcdefghijkmnpqrstuvwxyz23456789'
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = ''.join(secrets.choice(alphabet) for _ in range(10))
        codes.append(raw[:5] + '-' + raw[5:])
    return codes


class TwoFactor(Persistent):
    """One person's second factor (``user.two_factor``)."""

    secret = None          # base32, the factor in force; None: not enrolled
    confirmed = None       # when it was switched on
    last_step = -1         # the last TOTP step accepted (replay guard)
    candidate = None       # a new secret shown for enrolment, not yet proven
    candidate_created = None
    candidate_for = None   # SHA-256 of the token of the browser that asked for it

    def __init__(self):
        self.recovery_salt = secrets.token_hex(16)
        self.recovery_hashes = ()

    @property
    def enrolled(self):
        return self.secret is not None

    def recovery_left(self):
        return len(self.recovery_hashes)

    def _matching_step(self, secret, code, now):
        code = ''.join(ch for ch in (code or '') if ch.isdigit())
        if len(code) != 6:
            return None
        totp = pyotp.TOTP(secret)
        current = step_of(now)
        for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    def verify(self, code, now=None):
        """'ok', 'reused' (right code, step already used) or 'wrong'.

        'ok' records the step, so the same code cannot be used again.
        """
        if not self.enrolled:
            return 'wrong'
        step = self._matching_step(self.secret, code, now or utcnow())
        if step is None:
            return 'wrong'
        if step <= self.last_step:
            return 'reused'
        self.last_step = step
        return 'ok'

    def use_recovery_code(self, code):
        """True (and the code is spent) if ``code`` is an unused recovery code."""
        if not self.enrolled or len(normalize_recovery(code)) != 10:
            return False
        wanted = _recovery_hash(self.recovery_salt, code)
        for stored in self.recovery_hashes:
            if hmac.compare_digest(stored, wanted):
                self.recovery_hashes = tuple(h for h in self.recovery_hashes if h != stored)
                return True
        return False

    def new_recovery_codes(self):
        """Replace every recovery code; return the new ones (shown once)."""
        codes = new_recovery_codes()
        self.recovery_salt = secrets.token_hex(16)
        self.recovery_hashes = tuple(_recovery_hash(self.recovery_salt, c) for c in codes)
        return codes

    def start(self, now=None, bound_to=None):
        """A new candidate secret (replacing an unconfirmed one), for the
        browser whose token hash is ``bound_to``."""
        self.candidate = pyotp.random_base32(32)
        self.candidate_created = now or utcnow()
        self.candidate_for = bound_to
        return self.candidate

    def candidate_of(self, browser, now=None):
        """The candidate secret if ``browser`` (a token hash) asked for it
        less than ``PENDING_ENROL_MINUTES`` ago, else None."""
        if self.candidate is None or not browser or self.candidate_for is None:
            return None
        if not hmac.compare_digest(self.candidate_for, browser):
            return None
        if (now or utcnow()) - self.candidate_created >= timedelta(minutes=PENDING_ENROL_MINUTES):
            return None
        return self.candidate

    def confirm(self, code, now=None):
        """Switch the candidate on if ``code`` comes from it; return the
        recovery codes (shown once), or None if the code is wrong."""
        now = now or utcnow()
        if self.candidate is None:
            return None
        step = self._matching_step(self.candidate, code, now)
        if step is None:
            return None
        self.secret = self.candidate
        self.candidate = self.candidate_created = self.candidate_for = None
        self.confirmed = now
        self.last_step = step
        return self.new_recovery_codes()


def factor_of(user):
    return getattr(user, 'two_factor', None)


def is_enrolled(user):
    factor = factor_of(user)
    return factor is not None and factor.enrolled


def must_enrol(clinic, user):
    """Staff of a clinic that requires a second factor, without one."""
    return (clinic.settings.staff_two_factor
            and any(role in STAFF_ROLES for role in user.roles)
            and not is_enrolled(user))


def next_step(clinic, user):
    """What sign-in still needs after the password: 'code', 'enrol' or None."""
    if is_enrolled(user):
        return 'code'
    if must_enrol(clinic, user):
        return 'enrol'
    return None


def start_enrolment(user, now=None, bound_to=None):
    """Give ``user`` a candidate secret (their factor object made on
    first use) for the browser whose token hash is ``bound_to``."""
    factor = factor_of(user)
    if factor is None:
        factor = user.two_factor = TwoFactor()
    return factor.start(now, bound_to)


def provisioning_uri(clinic, user, secret):
    """The ``otpauth://`` URI an authenticator app reads from the QR code.
    The label is the portal's display name: it says nothing about therapy."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=clinic.settings.portal_name or ISSUER)


def qr_svg(uri, title):
    """The QR code as inline SVG, drawn here (no outside service, no script)."""
    import segno
    svg = segno.make(uri, error='m').svg_inline(scale=4, title=title, svgclass='qr')
    return svg.replace('<svg ', '<svg role="img" aria-label="%s" ' % _attr(title), 1)


def _attr(text):
    return (text.replace('&', '&amp;').replace('"', '&quot;')
            .replace('<', '&lt;').replace('>', '&gt;'))


def reset_factor(clinic, user):
    """An admin's reset (a lost phone): the factor is gone, every session
    of the person ends.  Where the clinic requires a factor, the person
    enrols again at their next sign-in."""
    had = is_enrolled(user)
    user.two_factor = None
    clinic.sessions.end_all_for(user.__name__)
    return had


def sign_out_unenrolled_staff(clinic, keep_token=None):
    """When the clinic starts requiring a factor: end the sessions of staff
    who have none, so each of them enrols at their next sign-in."""
    users = clinic['users']
    ended = 0
    for role in STAFF_ROLES:
        for uid in list(users.ids_with_role(role)):
            if not is_enrolled(users[uid]):
                ended += clinic.sessions.end_all_for(uid, except_token=keep_token)
    return ended


# --- the half-signed-in state ---------------------------------------------------

class PendingSignIn(Persistent):
    """A password was right; ``purpose`` ('code' or 'enrol') is still owed."""

    def __init__(self, user_id, purpose, created, expires, password_changed):
        self.user_id = user_id
        self.purpose = purpose
        self.created = created
        self.expires = expires
        self.failures = 0
        # A password change or reset in the meantime voids the half sign-in.
        self.password_changed = password_changed


class PendingSignIns(Persistent):
    """``clinic.pending_sign_ins``: by token hash, pruned as new ones start."""

    def __init__(self):
        self._by_key = OOBTree()
        self._by_time = OOTreeSet()      # (expires, key)

    def __len__(self):
        return len(self._by_key)

    def start(self, user, purpose, now=None):
        """Begin a half sign-in; return the token for the browser's cookie."""
        now = now or utcnow()
        self.prune(now)
        minutes = PENDING_ENROL_MINUTES if purpose == 'enrol' else PENDING_CODE_MINUTES
        token = secrets.token_urlsafe(32)
        key = token_hash(token)
        pending = PendingSignIn(user.__name__, purpose, now, now + timedelta(minutes=minutes),
                                user.password_changed)
        self._by_key[key] = pending
        self._by_time.add((pending.expires, key))
        return token

    def find(self, token, users, now=None):
        """``(pending, user)`` for a live half sign-in, else ``(None, None)``.

        Reads only (a page view): expired records are left to ``prune``.
        """
        if not token or len(token) > 100:
            return None, None
        pending = self._by_key.get(token_hash(token))
        if pending is None or (now or utcnow()) >= pending.expires \
                or pending.failures >= PENDING_TRIES:
            return None, None
        user = users.get(pending.user_id)
        if user is None or not user.active or user.password_changed != pending.password_changed:
            return None, None
        return pending, user

    def fail(self, token):
        """Count a wrong code; return the tries left."""
        pending = self._by_key.get(token_hash(token))
        if pending is None:
            return 0
        pending.failures += 1
        left = PENDING_TRIES - pending.failures
        if left <= 0:
            self.end(token)
        return max(left, 0)

    def end(self, token):
        key = token_hash(token or '')
        pending = self._by_key.pop(key, None)
        if pending is not None:
            self._by_time.discard((pending.expires, key))

    def prune(self, now, limit=20):
        for expires, key in list(self._by_time.keys(max=(now, '\uffff')))[:limit]:
            self._by_time.discard((expires, key))
            self._by_key.pop(key, None)


def check_second_factor(clinic, user, code, now=None):
    """The second step of sign-in: 'ok', 'recovery' (a recovery code was
    spent), 'reused', 'wrong' or 'paused'.

    Failures count on the same per-address throttle as wrong passwords
    (and the password step no longer clears it for enrolled people), so
    guessing codes pauses sign-in exactly as guessing passwords does.
    """
    now = now or utcnow()
    throttle = clinic.sign_in_throttle
    if throttle.is_locked(user.email, now):
        return 'paused'
    factor = factor_of(user)
    result = factor.verify(code, now) if factor is not None else 'wrong'
    if result == 'wrong' and factor is not None and factor.use_recovery_code(code):
        result = 'recovery'
    if result in ('ok', 'recovery'):
        throttle.record_success(user.email)
    else:
        throttle.record_failure(user.email, now)
    return result
