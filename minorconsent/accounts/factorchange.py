"""Changing one's own second factor: setting one up, moving to a new
phone, making new recovery codes.

Whoever holds a signed-in browser (a copied cookie, a computer left
unlocked) could otherwise put the factor on their own phone and take the
recovery codes: the owner is locked out, and nobody tells them.  So:

* Each change first asks who it is (``reauthenticate_for_factor``): the
  current password and, where a factor is in force, a code from the app
  *or one of the recovery codes* (the phone may be what was lost; the
  password and a recovery code already sign a person in, so they prove no
  less here; the recovery code is spent).  A paused sign-in address is
  refused, as in every re-authentication (``emailchange.reauthenticate``).
  At the first required sign-in (a ``PendingSignIn`` for 'enrol') the
  password was given moments before, in the same browser: that counts.
* The new secret belongs to the browser that asked
  (``TwoFactor.candidate_for``: SHA-256 of its session or half-sign-in
  token) for 15 minutes: another browser of the same person neither sees
  it nor confirms it.
* Once a new factor or new recovery codes are in force, every *other*
  sign-in of the person ends, and the person gets a notice
  (``tell_person``) in their saved language: the portal's name, what
  changed, and "if this was not you, contact your clinic".  No link, no
  name, nothing about the clinic's work.  It goes where the person's
  contact preferences allow email, like everything the app mails.
"""
from minorconsent.audit.recorder import note
from minorconsent.security.tokens import token_hash
from minorconsent.site.i18n import _, localizer_for
from minorconsent.site.mail import may_email, send

from .emailchange import CODE_WRONG, reauthenticate
from .twofactor import factor_of, reset_factor, start_enrolment

FACTOR_CODE_WRONG = _('This code is not right. Enter the code your app shows now, or one '
                      'of your recovery codes.')

NOTICE_SUBJECT = _('Two-step sign-in was changed')
NOTICES = {
    'first': _('mail-two-factor-on', default=(
        'Hello,\n\nTwo-step sign-in was turned on for your ${portal} account: signing in\n'
        'now also asks for a code from an authenticator app.\n\n'
        'If this was not you, contact your clinic.\n')),
    'replaced': _('mail-two-factor-replaced', default=(
        'Hello,\n\nTwo-step sign-in for your ${portal} account was moved to a new\n'
        'authenticator app. Codes from the previous app and the previous recovery\n'
        'codes no longer work, and every other device signed in to the account\n'
        'was signed out.\n\n'
        'If this was not you, contact your clinic.\n')),
    'recovery codes': _('mail-recovery-codes-renewed', default=(
        'Hello,\n\nNew recovery codes were made for your ${portal} account. The previous\n'
        'recovery codes no longer work, and every other device signed in to the\n'
        'account was signed out.\n\n'
        'If this was not you, contact your clinic.\n')),
    'removed': _('mail-two-factor-removed', default=(
        'Hello,\n\nTwo-step sign-in for your ${portal} account was removed by the\n'
        'clinic. Codes from your authenticator app and your recovery codes no\n'
        'longer work, and every device signed in to the account was signed out.\n\n'
        'If you did not ask the clinic for this, contact your clinic.\n')),
}


def browser_key(token):
    """What a new secret is bound to: the hash of the browser's token."""
    return token_hash(token) if token else None


def reauthenticate_for_factor(clinic, passwords, user, current, code, now=None):
    """Is it still the person?  ``(None, how)`` where ``how`` is
    'password', 'code' or 'recovery code'; else ``((field, message), None)``
    for the form (a refusal writes nothing: it is a 400)."""
    problem = reauthenticate(clinic, passwords, user, current, code, now)
    factor = factor_of(user)
    if problem == ('code', CODE_WRONG):
        if factor.use_recovery_code(code):
            note(user, 'auth.recovery_code_used', record='', target='users/' + user.__name__,
                 actor=user.__name__,
                 detail='%d left' % factor.recovery_left())
            return None, 'recovery code'
        return ('code', FACTOR_CODE_WRONG), None
    if problem is not None:
        return problem, None
    return None, 'code' if factor is not None and factor.enrolled else 'password'


def begin_new_factor(user, token, now=None):
    """A new secret for the browser holding ``token`` (after
    re-authentication); the factor in force, if any, stays until confirmed."""
    return start_enrolment(user, now, bound_to=browser_key(token))


def confirm_new_factor(request, user, code, token, keep_token, now=None):
    """The first code from the new app: the new factor is in force; the
    new recovery codes are returned (shown once).  None if the browser
    holding ``token`` has no live new secret or the code is not from it.

    Every sign-in of the person but ``keep_token`` ends, the person is
    told, the trail says so."""
    factor = factor_of(user)
    if factor is None or factor.candidate_of(browser_key(token), now) is None:
        return None
    replacing = factor.enrolled
    codes = factor.confirm(code, now)
    if codes is None:
        return None
    what = 'replaced' if replacing else 'first'
    _after_change(request, user, 'auth.two_factor_enrolled', what, keep_token)
    return codes


def renew_recovery_codes(request, user, keep_token):
    """New recovery codes (after re-authentication), the old ones void;
    every other sign-in ends and the person is told."""
    codes = factor_of(user).new_recovery_codes()
    _after_change(request, user, 'auth.recovery_codes_regenerated', 'recovery codes',
                  keep_token)
    return codes


def _after_change(request, user, action, what, keep_token):
    ended = request.clinic.sessions.end_all_for(user.__name__, except_token=keep_token)
    told = tell_person(request, user, what)
    detail = '%d other sign-in%s ended; %s' % (
        ended, '' if ended == 1 else 's',
        'person told' if told else 'person not told (no email)')
    note(user, action, record='', target='users/' + user.__name__, actor=user.__name__,
         detail=detail if what == 'recovery codes' else '%s; %s' % (what, detail))


def remove_by_the_clinic(request, user):
    """The admin removes ``user``'s factor (a lost phone; after the
    admin's own re-authentication): every sign-in of the person ends and
    the person is told, since an admin session in the wrong hands would
    otherwise strip a factor unnoticed.  The trail says who and whether
    the person was told."""
    had = reset_factor(request.clinic, user)
    told = had and tell_person(request, user, 'removed')
    note(user, 'admin.two_factor_reset', record='', target='users/' + user.__name__,
         detail='second factor removed; %s' % (
             'person told' if told else 'person not told (no email)')
         if had else 'no second factor to remove')
    return had


def tell_person(request, user, what):
    """The content-free notice of ``what`` changed ('first', 'replaced',
    'recovery codes', 'removed' by the clinic); False (nothing sent) where the person asked for no
    email."""
    clinic = request.clinic
    if not may_email(request, user):
        return False
    localizer = localizer_for(request, user.language)
    send(request, user, localizer.translate(NOTICE_SUBJECT),
         localizer.translate(_(NOTICES[what],
                               mapping={'portal': clinic.settings.portal_name})))
    return True
