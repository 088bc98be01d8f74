"""The page a set-up link opens (``/welcome/<token>``): the person chooses
their first password.

A client (their own sign-in) is signed in and lands on their own page, as
a guardian who accepts an invitation lands on the document.  Staff are
not: they sign in with the new password, which takes them through the
second factor the clinic may require (``signin``), so a mailed link is
never a way round it.
"""
from functools import partial

from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, remember

from minorconsent.audit.recorder import note
from minorconsent.site import Clinic
from minorconsent.site.clock import utcnow
from minorconsent.site.forms import button
from minorconsent.site.i18n import _, translate
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .linkpage import LinkPage, link_messages
from .model import set_password
from .schemas import choose_password_schema

MESSAGES = link_messages(used=_('Sign in with your password.'),
                         cancelled=_('A newer link may have been sent to you.'))


@clinic_view(context=Clinic, name='welcome', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/welcome.pt')
class WelcomePage(LinkPage):
    door = 'invitation'
    messages = MESSAGES
    buttons = (button('create my account', _('Create my account')),)

    def find(self, token):
        return self.request.clinic.setup_links.find(token)

    def status_of(self, link):
        if link is None:
            return 'unknown', None
        return link.setup_status(self.request.clinic['users'])

    def not_valid_page(self, status):
        return {'sign_in': status == 'used'}

    def make_schema(self):
        return choose_password_schema()

    def bind(self):
        return {'password_email': self.user.email}

    def page(self):
        t = partial(translate, self.request)
        return {'title': t('Welcome'),
                'text': t('Choose a password for ${email}.', {'email': self.user.email}),
                'sign_in': False}

    def create_my_account_success(self, values):
        request, user = self.request, self.user
        clinic = request.clinic
        set_password(clinic, request.registry.passwords, user, values['password'])
        self.link.used = utcnow()
        note(clinic, 'auth.setup_used', actor=user.__name__, detail='first password chosen')
        if user.is_staff:
            return redirect(request, request.clinic_url(clinic, 'login'), 'password-chosen')
        # The clinic's root sends each person to where they start (their
        # own page, for a client).
        return HTTPFound(location=request.clinic_url(clinic),
                         headers=remember(request, user.__name__, method='single-use-link'))

