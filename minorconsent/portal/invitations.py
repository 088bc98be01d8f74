"""The page an invitation link opens.

A valid link lets a new guardian choose a password (and signs them in), or
asks an existing one to sign in; either way it leads to the document.  An
expired, used, cancelled or altered link says so plainly and changes
nothing (a 4xx answer commits nothing).
"""
from functools import partial

import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, remember

from minorconsent.accounts import set_password
from minorconsent.accounts.schemas import _strong, password_hint
from minorconsent.agreements.invitations import people_to_invite
from minorconsent.security.ratelimit import too_many
from minorconsent.site import Clinic
from minorconsent.site.clock import utcnow
from minorconsent.site.forms import FormHandler, button
from minorconsent.site.i18n import _, translate
from minorconsent.site.views import clinic_view

MESSAGES = {
    'unknown': (_('This link is not valid'),
                _('Check that you copied the whole link from the email.'), 404),
    'expired': (_('This link has expired'),
                _('Ask the practice to send you a new one.'), 410),
    'used': (_('This link has already been used'),
             _('Sign in to continue.'), 410),
    'cancelled': (_('This link is no longer valid'),
                  _('A newer link may have been sent to you, or the document was withdrawn.'),
                  410),
}


def _matching(node, value):
    if value['password'] != value['confirm']:
        exc = colander.Invalid(node, '')
        exc['confirm'] = 'The two passwords differ.'
        raise exc


class ChoosePasswordSchema(colander.MappingSchema):
    password = colander.SchemaNode(
        colander.String(), title=_('Choose a password'),
        description=password_hint,
        widget=deform.widget.PasswordWidget(attributes={'autocomplete': 'new-password'}),
        validator=colander.All(colander.Length(max=1024), _strong))
    confirm = colander.SchemaNode(
        colander.String(), title=_('The same password again'),
        widget=deform.widget.PasswordWidget(attributes={'autocomplete': 'new-password'}))


def invitation_status(clinic, invitation):
    """The status, counting a signer who may no longer sign as cancelled."""
    if invitation is None:
        return 'unknown', None
    status = invitation.status()
    agreement = None
    client = clinic['clients'].get(invitation.client_id)
    if client is not None and 'agreements' in client:
        agreement = client['agreements'].get(invitation.agreement_id)
    if status == 'valid':
        person = clinic['users'].get(invitation.person_id)
        if agreement is None or person is None or person.email != invitation.email \
                or invitation.person_id not in {
                    p.__name__ for p in people_to_invite(agreement, clinic['users'])}:
            status = 'cancelled'
    return status, agreement


@clinic_view(context=Clinic, name='invite', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/invite.pt')
def invitation(request):
    t = partial(translate, request)
    clinic = request.clinic
    # Per client IP, in memory: no commit for a page view (security/ratelimit.py).
    limited = too_many(request, 'invitation')
    if limited is not None:
        return limited
    token = request.subpath[0] if len(request.subpath) == 1 else ''
    found = clinic.invitations.find(token)
    status, agreement = invitation_status(clinic, found)
    if status != 'valid':
        title, text, code = MESSAGES[status]
        request.response.status = code
        return {'title': t(title), 'text': t(text), 'form': None, 'sign_in': status == 'used'}
    person = clinic['users'][found.person_id]
    target = request.clinic_url(agreement, 'family')
    if person.password_hash is not None:
        identity = request.identity
        if identity is not None and identity.userid == person.__name__:
            found.used = utcnow()
            return HTTPFound(location=target)
        return {'title': t('You have a document to review'),
                'text': t('Sign in with ${email} to read and sign it.', {'email': person.email}),
                'form': None, 'sign_in': True}
    form = FormHandler(request, ChoosePasswordSchema(validator=_matching),
                       buttons=(button('create my account', _('Create my account')),),
                       password_email=person.email)
    if form.submitted:
        values = form.validate()
        if values is not None:
            set_password(clinic, request.registry.passwords, person, values['password'])
            found.used = utcnow()
            return HTTPFound(location=target, headers=remember(
                request, person.__name__, method='single-use-link'))
    return {'title': t('You have a document to review'),
            'text': t('Choose a password for ${email} to read and sign it.',
                      {'email': person.email}),
            'form': form.render(), 'sign_in': False}
