"""Status messages after a redirect ("Saved.") without a database write.

The browser carries only a short code in a cookie that lives for one
page view; the text comes from this table, so a forged code can only show
one of these harmless sentences.
"""
from pyramid.httpexceptions import HTTPFound
from pyramid.settings import asbool

from .i18n import _, translate

COOKIE = 'mc_msg'

MESSAGES = {
    'saved': _('Your changes are saved.'),
    'signed-out': _('You are signed out.'),
    'password-changed': _('Your password is changed. Other devices are signed out.'),
    'client-added': _('The client is added.'),
    'goal-added': _('The goal is added.'),
    'note-added': _('The note is saved.'),
    'guardian-linked': _('The guardian is linked.'),
    'guardian-unlinked': _('The guardian link is removed.'),
    'account-added': _('The account is created.'),
    'account-added-link': _('The account is created. A link to choose a password is sent '
                            'to its address.'),
    'workflow-published': _('The new version is published.'),
    'draft-discarded': _('The draft is discarded.'),
    'signed': _('Thank you. Your signature is recorded.'),
    'revoked': _('Your consent is withdrawn. The therapist has been told.'),
    'declined': _('You declined. The therapist has been told.'),
    'agreement-started': _('The agreement is started.'),
    'step-done': _('Done.'),
    'review-agreed': _('Thank you. Your therapist may now share it with your guardians.'),
    'changes-asked': _('Thank you. Your therapist will see what you asked to change.'),
    'invitations-sent': _('The invitations are sent.'),
    'step-removed': _('The step is removed from the draft.'),
    'state-removed': _('The state is removed from the draft.'),
    'sign-in-again': _('Too many wrong codes. Sign in again.'),
    'two-factor-reset': _('The second factor is removed. The person sets up a new one '
                          'at their next sign-in.'),
    'reset-sent': _('If an account uses this address, we have sent it a link to '
                    'choose a new password. Check your email.'),
    'password-reset': _('Your password is changed. Sign in with it now.'),
    'password-chosen': _('Your password is set. Sign in with it now.'),
    'own-account-invited': _('The invitation is sent.'),
    'own-account-linked': _('The account is linked. The client signs in with their '
                            'password.'),
    'own-account-ended': _("The client's own sign-in is ended. They are signed out."),
    'setup-sent': _('A set-up link is sent.'),
    'case-closed': _('The case is closed.'),
    'case-reopened': _('The case is open again.'),
    'setup-not-sent': _('No link was sent: the account has a password, is disabled, or '
                        'its contact preferences say no email.'),
}


def redirect(request, location, message=None):
    response = HTTPFound(location=location)
    if message in MESSAGES:
        response.set_cookie(COOKIE, message, httponly=True, samesite='Lax',
                            path='/', secure=asbool(request.registry.settings.get(
                                'minorconsent.secure_cookies', False)))
    return response


def pop_message(request):
    """The pending message text, if any; clears it from the browser."""
    code = request.cookies.get(COOKIE)
    if not code:
        return None

    def clear(request, response):
        response.delete_cookie(COOKIE, path='/')
    request.add_response_callback(clear)
    text = MESSAGES.get(code)
    if text is None:
        return None
    return translate(request, text)
