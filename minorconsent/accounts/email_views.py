"""A person's own change of email address: the form on their account page
(``/password``, next to the password change) and the page its link opens
(``/confirm-email/TOKEN``).  The rules are in ``emailchange``."""
from functools import partial

import colander
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED

from minorconsent.security.ratelimit import too_many
from minorconsent.site import Clinic
from minorconsent.site.forms import FormHandler, button
from minorconsent.site.i18n import _, translate
from minorconsent.site.views import clinic_view, home_url

from .emailchange import (LINK_MINUTES, UNAVAILABLE, changes_of, confirm_email_change,
                          link_status, reauthenticate, request_email_change, trail_refusal)
from .linkpage import LinkPage, link_messages
from .schemas import email_change_schema
from .twofactor import is_enrolled

FORM_ID = 'email'

LINK_MESSAGES = dict(
    link_messages(
        used=_('Your email address was already changed. Sign in with the new address.'),
        cancelled=_('A newer change was asked for, or the address of the account has changed '
                    'since. Nothing was changed by this link.'),
        expired=_('Change your email address again from your account page: the link '
                  'works for one hour.')),
    unavailable=(_('This address cannot be used'), UNAVAILABLE, 409))


def email_change_form(request):
    """The form on the account page (None before ``minorconsent-evolve``
    has added the store of pending changes to an old database)."""
    if changes_of(request.clinic) is None:
        return None
    user = request.identity.user
    handler = FormHandler(request, email_change_schema(is_enrolled(user)), formid=FORM_ID,
                          buttons=(button('change email', _('Send me a confirmation link')),))
    # The password form above takes the page's one autofocus.
    for child in handler.form.children:
        child.autofocus = None
    return handler


def handle_email_change(request, form):
    """A POST of that form: a response (the account page again, or 429),
    or None to show the form with its errors (400, nothing changed)."""
    limited = too_many(request, 'email-change')
    if limited is not None:
        return limited
    values = form.validate()
    if values is None:
        return None
    user = request.identity.user
    problem = reauthenticate(request.clinic, request.registry.passwords, user,
                             values['current'], values.get('code'))
    if problem is not None:
        trail_refusal(request, 'auth.reauth_failed', user,
                      'email change: %s' % ('password' if problem[0] == 'current' else 'code'))
        form.fail(*problem)
        return None
    message, _token = request_email_change(request, user, values['new_email'])
    if message is not None:
        form.fail('new_email', message)
        return None
    return HTTPFound(location=request.clinic_url(request.clinic, 'password'))


def pending_change(request):
    """What the account page says about a change waiting for its link."""
    changes = changes_of(request.clinic)
    link = changes.pending_for(request.identity.user) if changes is not None else None
    if link is None:
        return None
    return {'email': link.new_email, 'minutes': LINK_MINUTES}


@clinic_view(context=Clinic, name='confirm-email', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/confirm_email.pt')
class ConfirmEmail(LinkPage):
    """The link mailed to the new address.  Opening it (GET) only shows a
    button: mail scanners and link previews fetch links, and must not
    change anyone's address.  The POST makes the change.  No sign-in is
    needed: holding the link proves the person reads the new mailbox, and
    the password was checked when they asked."""

    door = 'email-link'
    messages = LINK_MESSAGES
    schema = colander.MappingSchema()
    buttons = (button('confirm', _('Use this address')),)

    def find(self, token):
        changes = changes_of(self.request.clinic)
        return changes.find(token) if changes is not None else None

    def status_of(self, link):
        return link_status(self.request.clinic, link)

    def not_valid_page(self, status):
        t = partial(translate, self.request)
        return {'next_url': self.request.clinic_url(self.request.clinic, 'login'),
                'next_label': t('Back to sign-in')}

    def confirm_success(self, values):
        request, user = self.request, self.user
        t = partial(translate, request)
        try:
            confirm_email_change(request, self.link, user)
        except ValueError:
            # Taken by another account since the link was sent; the
            # 409 commits nothing, so the link stays as it was.
            return self.not_valid('unavailable')
        signed_in = request.identity is not None and request.identity.user is user
        return {'title': t('Your email address is changed'),
                'text': t('Sign in with ${email} from now on. Every other device '
                          'signed in to your account is signed out.',
                          {'email': user.email}),
                'form': None,
                'next_url': home_url(request) if signed_in
                else request.clinic_url(request.clinic, 'login'),
                'next_label': t('Continue') if signed_in else t('Sign in')}

    def page(self):
        t = partial(translate, self.request)
        return {'title': t('Confirm your new email address'),
                'text': t('Use ${email} for your account from now on? The old address gets a '
                          'notice, and every other device signed in to your account is '
                          'signed out.', {'email': self.link.new_email}),
                'next_url': None, 'next_label': None}
