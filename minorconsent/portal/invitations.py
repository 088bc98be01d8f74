"""The page an invitation link opens.

A valid link lets a new guardian choose a password (and signs them in), or
asks an existing one to sign in; either way it leads to the document.  An
expired, used, cancelled or altered link says so plainly and changes
nothing (a 4xx answer commits nothing).
"""
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, remember

from minorconsent.accounts import set_password
from minorconsent.accounts.schemas import choose_password_schema
from minorconsent.accounts.linkpage import LinkPage, link_messages
from minorconsent.agreements.invitations import people_to_invite
from minorconsent.site import Clinic
from minorconsent.site.clock import utcnow
from minorconsent.site.forms import button
from minorconsent.site.i18n import _, translate
from minorconsent.site.views import clinic_view


MESSAGES = link_messages(
    used=_('Sign in to continue.'),
    cancelled=_('A newer link may have been sent to you, or the document was withdrawn.'))


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
class InvitationPage(LinkPage):
    """An invitation link: a new guardian chooses a password here (and is
    signed in); an existing one is asked to sign in, or goes straight to
    the document when signed in already; a link that is not valid says why
    (``LinkPage``)."""
    door = 'invitation'
    messages = MESSAGES
    buttons = (button('create my account', _('Create my account')),)

    def t(self, text, mapping=None):
        return translate(self.request, text, mapping)

    def find(self, token):
        return self.request.clinic.invitations.find(token)

    def status_of(self, link):
        clinic = self.request.clinic
        status, self.agreement = invitation_status(clinic, link)
        person = clinic['users'][link.person_id] if status == 'valid' else None
        return status, person

    def not_valid_page(self, status):
        return {'sign_in': status == 'used'}

    def before(self):
        answer = super().before()
        if answer is not None:
            return answer
        person = self.user
        self.target = self.request.clinic_url(self.agreement, 'family')
        if person.password_hash is not None:
            identity = self.request.identity
            if identity is not None and identity.userid == person.__name__:
                self.link.used = utcnow()
                return HTTPFound(location=self.target)
            return {'title': self.t('You have a document to review'),
                    'text': self.t('Sign in with ${email} to read and sign it.',
                                   {'email': person.email}),
                    'form': None, 'sign_in': True}
        return None

    def make_schema(self):
        return choose_password_schema()

    def bind(self):
        return {'password_email': self.user.email}

    def page(self):
        return {'title': self.t('You have a document to review'),
                'text': self.t('Choose a password for ${email} to read and sign it.',
                               {'email': self.user.email}),
                'sign_in': False}

    def create_my_account_success(self, values):
        request, person = self.request, self.user
        set_password(request.clinic, request.registry.passwords, person, values['password'])
        self.link.used = utcnow()
        return HTTPFound(location=self.target, headers=remember(
            request, person.__name__, method='single-use-link'))
