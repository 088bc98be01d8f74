"""Status messages after a redirect ("Saved.") without a database write.

The browser carries only a short code in a cookie that lives for one
page view; the text comes from this table, so a forged code can only show
one of these harmless sentences.
"""
from pyramid.httpexceptions import HTTPFound
from pyramid.settings import asbool

COOKIE = 'mc_msg'

MESSAGES = {
    'saved': 'Your changes are saved.',
    'signed-out': 'You are signed out.',
    'password-changed': 'Your password is changed. Other devices are signed out.',
    'client-added': 'The client is added.',
    'goal-added': 'The goal is added.',
    'note-added': 'The note is saved.',
    'guardian-linked': 'The guardian is linked.',
    'guardian-unlinked': 'The guardian link is removed.',
    'account-added': 'The account is created.',
    'workflow-published': 'The new version is published.',
    'draft-discarded': 'The draft is discarded.',
    'signed': 'Thank you. Your signature is recorded.',
    'revoked': 'Your consent is withdrawn. The therapist has been told.',
    'declined': 'You declined. The therapist has been told.',
    'agreement-started': 'The agreement is started.',
    'step-done': 'Done.',
    'invitations-sent': 'The invitations are sent.',
    'step-removed': 'The step is removed from the draft.',
    'state-removed': 'The state is removed from the draft.',
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
    return MESSAGES.get(code)
