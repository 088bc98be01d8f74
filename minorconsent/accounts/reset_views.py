""""Forgot your password?" and the page its emailed link opens."""
from functools import partial

import colander
import deform
from pyramid.security import NO_PERMISSION_REQUIRED

from minorconsent.audit.recorder import note
from minorconsent.security.ratelimit import too_many
from minorconsent.site import Clinic
from minorconsent.site.forms import FormView, button
from minorconsent.site.i18n import _, translate
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .linkpage import LinkPage, link_messages
from .reset import link_status, request_reset, use_link
from .schemas import choose_password_schema

LINK_MESSAGES = link_messages(
    used=_('Sign in with your new password, or ask for a new link.'),
    cancelled=_('A newer link may have been sent to you.'),
    expired=_('Ask for a new link: it works for one hour.'))


class ForgotSchema(colander.MappingSchema):
    email = colander.SchemaNode(
        colander.String(), title=_('Email address'),
        widget=deform.widget.TextInputWidget(
            attributes={'type': 'email', 'autocomplete': 'username'}),
        validator=colander.All(colander.Length(max=254),
                               colander.Email(msg=_('Enter an email address.'))))


@clinic_view(context=Clinic, name='forgot-password', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/forgot_password.pt')
class ForgotPassword(FormView):
    """The same answer, and the same database work, whether or not the
    address has an account (``reset.request_reset``)."""

    schema = ForgotSchema()
    buttons = (button('send link', _('Send me a link')),)

    def on_submit(self):
        return too_many(self.request, 'reset-request')

    def send_link_success(self, values):
        request = self.request
        user = request_reset(request, values['email'])
        # Unknown addresses are not written down (see the sign-in note).
        note(request.clinic, 'auth.reset_requested',
             actor=user.__name__ if user is not None else 'anonymous',
             detail='link sent' if user is not None else 'no link sent')
        return redirect(request, request.clinic_url(request.clinic, 'login'), 'reset-sent')


@clinic_view(context=Clinic, name='reset-password', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/reset_password.pt')
class ResetPassword(LinkPage):
    """The page the emailed link opens: a new password, once."""

    door = 'reset-link'
    messages = LINK_MESSAGES
    buttons = (button('set password', _('Set my new password')),)

    def find(self, token):
        return self.request.clinic.password_resets.find(token)

    def status_of(self, link):
        return link_status(self.request.clinic, link)

    def make_schema(self):
        return choose_password_schema(_('New password'))

    def bind(self):
        return {'password_email': self.user.email}

    def page(self):
        t = partial(translate, self.request)
        return {'title': t('Choose a new password'),
                'text': t('Choose a new password for ${email}. Every device signed in to '
                          'your account is signed out.', {'email': self.user.email})}

    def set_password_success(self, values):
        clinic, user = self.request.clinic, self.user
        use_link(clinic, self.request.registry.passwords, self.link, user, values['password'])
        note(clinic, 'auth.reset_used', actor=user.__name__,
             detail='password set; every session ended')
        return redirect(self.request, self.request.clinic_url(clinic, 'login'),
                        'password-reset')
