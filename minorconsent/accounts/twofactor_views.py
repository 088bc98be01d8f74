"""Two-step sign-in pages: the code step, enrolment, recovery codes, and
the admin's reset of someone's second factor.

The half-signed-in state (``twofactor.PendingSignIn``) travels in a cookie
of its own, never in the session cookie: nothing here creates a session
until the second step is done.
"""
import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, remember
from pyramid.settings import asbool

from minorconsent.audit.recorder import note
from minorconsent.security.ratelimit import too_many
from minorconsent.site import Clinic
from minorconsent.site.forms import FormHandler, FormView, button
from minorconsent.site.i18n import _, translate
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view, home_url

from .emailchange import reauthenticate, trail_refusal
from .factorchange import (begin_new_factor, confirm_new_factor, reauthenticate_for_factor,
                           remove_by_the_clinic, renew_recovery_codes)
from .model import User
from .schemas import CodeSchema, confirm_code_schema, reauth_schema
from .twofactor import (check_second_factor, factor_of, is_enrolled, must_enrol,
                        provisioning_uri, qr_svg, start_enrolment, token_hash)

PENDING_COOKIE = 'mc_pending'

CODE_MESSAGES = {
    'wrong': _('This code is not right. Check that the time on your phone is '
               'correct, or use a recovery code.'),
    'reused': _('This code was just used. Wait for the next code in your app.'),
    'paused': _('Sign-in is paused after several failed attempts. Try again in a '
                'few minutes.'),
}


# --- the half-signed-in cookie ---------------------------------------------------

def _secure(request):
    return asbool(request.registry.settings.get('minorconsent.secure_cookies', False))


def pending_cookie_name(request):
    return ('__Host-' if _secure(request) else '') + PENDING_COOKIE


def pending_token(request):
    return request.cookies.get(pending_cookie_name(request))


def set_pending_cookie(request, response, token):
    """HttpOnly, SameSite, no Max-Age (the record itself expires in minutes)."""
    response.set_cookie(pending_cookie_name(request), token or '', httponly=True,
                        samesite='Lax', path='/', secure=_secure(request),
                        max_age=0 if token is None else None)


def current_pending(request):
    """``(pending, user)`` of this browser's half sign-in, or ``(None, None)``."""
    clinic = request.clinic
    return clinic.pending_sign_ins.find(pending_token(request), clinic['users'])


def begin_second_step(request, user, step):
    """After a right password: start the half sign-in and send the browser
    to the code step or (required, none yet) to enrolment."""
    clinic = request.clinic
    token = clinic.pending_sign_ins.start(user, step)
    if step == 'enrol':
        # The password was just given in this browser: its new secret.
        start_enrolment(user, bound_to=token_hash(token))
    note(clinic, 'auth.password_ok', actor=user.__name__,
         role=' '.join(sorted(user.roles)),
         detail='second factor asked' if step == 'code' else 'enrolment required')
    response = HTTPFound(location=request.clinic_url(
        clinic, 'login-code' if step == 'code' else 'two-factor'))
    set_pending_cookie(request, response, token)
    return response


def finish_sign_in(request, user, response, detail):
    """The second step is done: a real session, the half sign-in gone."""
    request.clinic.pending_sign_ins.end(pending_token(request))
    note(request.clinic, 'auth.sign_in', actor=user.__name__,
         role=' '.join(sorted(user.roles)), detail=detail)
    response.headerlist.extend(remember(request, user.__name__,
                                        method='password+second-factor'))
    set_pending_cookie(request, response, None)
    return response


def commit_anyway(request):
    """A 400 normally commits nothing (pyramid_tm's veto); a wrong code
    must still count against the throttle.  ``X-Tm: commit`` tells
    pyramid_tm so; the header is removed before the response leaves."""
    request.response.headers['X-Tm'] = 'commit'

    def strip(request, response):
        response.headers.pop('X-Tm', None)
    request.add_response_callback(strip)


# --- the code step ---------------------------------------------------------------

@clinic_view(context=Clinic, name='login-code', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/login_code.pt')
class LoginCode(FormView):
    """The second step of a sign-in: a code from the app, or a recovery code."""

    schema = CodeSchema()
    buttons = (button('verify', _('Continue')),)

    def before(self):
        request = self.request
        clinic = request.clinic
        self.pending, self.user = current_pending(request)
        if self.pending is not None and self.pending.purpose == 'enrol':
            return HTTPFound(location=request.clinic_url(clinic, 'two-factor'))
        if self.pending is None:
            response = redirect(request, request.clinic_url(clinic, 'login'))
            if pending_token(request):
                set_pending_cookie(request, response, None)
            return response
        return None

    def on_submit(self):
        return too_many(self.request, 'second-factor')

    def verify_success(self, values):
        request, user = self.request, self.user
        clinic = request.clinic
        result = check_second_factor(clinic, user, values['code'])
        if result in ('ok', 'recovery'):
            if result == 'recovery':
                note(clinic, 'auth.recovery_code_used', actor=user.__name__,
                     detail='%d left' % factor_of(user).recovery_left())
            return finish_sign_in(request, user, HTTPFound(location=home_url(request)),
                                  'with a recovery code' if result == 'recovery'
                                  else 'with a code')
        note(clinic, 'auth.second_factor_failed', actor=user.__name__, detail=result)
        left = 0 if result == 'paused' else clinic.pending_sign_ins.fail(pending_token(request))
        if left == 0:
            # Out of tries: back to the password, the half sign-in gone.
            clinic.pending_sign_ins.end(pending_token(request))
            response = redirect(request, request.clinic_url(clinic, 'login'),
                                'sign-in-again')
            set_pending_cookie(request, response, None)
            return response
        self.fail('code', CODE_MESSAGES[result])
        commit_anyway(request)
        return None


# --- enrolment and recovery codes ---------------------------------------------

def _enrolment_subject(request):
    """Who is enrolling: the signed-in person, or the one a required
    enrolment is holding at the door.  ``(user, pending)``."""
    if request.identity is not None:
        return request.identity.user, None
    pending, user = current_pending(request)
    if pending is not None and pending.purpose == 'enrol':
        return user, pending
    return None, None


def _codes_page(request, codes, continue_url):
    request.override_renderer = 'templates/recovery_codes.pt'
    return {'codes': codes, 'continue_url': continue_url}


def factor_reauth_schema(with_code):
    """Proof it is the person before a change of their factor: the
    password, and (``with_code``) a code from the app or a recovery code."""
    schema = reauth_schema(with_code)
    if with_code:
        code = schema['code']
        code.title = _('Code from your authenticator app, or a recovery code')
        code.description = _('Lost your phone? One of your recovery codes works here.')
        code.widget = deform.widget.TextInputWidget(
            attributes={'autocomplete': 'one-time-code', 'autocapitalize': 'off',
                        'spellcheck': 'false'})
    return schema


def _reauthenticated(request, form, user, values, what):
    """True if the form's password (and code) are the person's; else the
    form says what is wrong (400, nothing changed) and the trail has it."""
    problem, _how = reauthenticate_for_factor(
        request.clinic, request.registry.passwords, user,
        values['current'], values.get('code'))
    if problem is None:
        return True
    trail_refusal(request, 'auth.reauth_failed', user, '%s: %s' % (
        what, 'password' if problem[0] == 'current' else 'code'))
    form.fail(*problem)
    return False


@clinic_view(context=Clinic, name='two-factor', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/two_factor.pt')
class TwoFactorPage(FormView):
    """Set up, replace or review one's second factor.

    Signed-in people (staff, and families who choose to) come here from
    the menu, and prove it is them before a new secret is shown or new
    recovery codes are made (``factorchange``); staff of a clinic that
    requires a factor and have none are held here after their password,
    with no session, until they enrol.

    Three forms post here: "set up" / "move to a new phone" (``start``,
    this page's form), the code that confirms the new secret
    (``confirm``) and new recovery codes (``recovery``); the last two are
    answered in ``before``.  Each is rate-limited on the second-factor door.
    """

    formid = 'start'

    def before(self):
        request = self.request
        clinic = request.clinic
        self.user, self.pending = _enrolment_subject(request)
        if self.user is None:
            return HTTPFound(location=request.clinic_url(clinic, 'login'))
        # This browser: its half sign-in, or its session (kept when the factor
        # changes; the person's other sign-ins end).
        self.token = pending_token(request) if self.pending is not None \
            else request.identity.token
        self.keep = None if self.pending is not None else request.identity.token
        self.enrolled = is_enrolled(self.user)
        self.factor = factor_of(self.user)
        self.candidate = self.factor.candidate_of(token_hash(self.token)) \
            if self.factor is not None else None
        # Built in the page's order, so that their fields' ids stay apart.
        self.start = FormHandler(
            request, factor_reauth_schema(self.enrolled) if self.pending is None
            else colander.MappingSchema(), formid='start',
            buttons=(button('start', _('Set up an authenticator app')
                            if not self.enrolled else _('Move to a new phone')),))
        self.confirm = FormHandler(request, confirm_code_schema(), formid='confirm',
                                   buttons=(button('confirm', _('Turn on two-step sign-in')),))
        self.recovery = FormHandler(
            request, factor_reauth_schema(with_code=True), formid='recovery',
            buttons=(button('new codes', _('Make new recovery codes')),))
        if self.start.submitted:
            return None
        if self.confirm.submitted and self.candidate is not None:
            return self.other_form(self.confirm, self.confirmed)
        if self.recovery.submitted and self.pending is None and self.enrolled:
            return self.other_form(self.recovery, self.new_codes)
        return None

    def other_form(self, form, success):
        """A post of ``confirm`` or ``recovery``: as FormView answers its own."""
        limited = self.on_submit()
        if limited is not None:
            return limited
        values = form.validate()
        result = success(values) if values is not None else None
        return result if result is not None else self.show()

    def make_form(self):
        return self.start

    def on_submit(self):
        return too_many(self.request, 'second-factor')

    def start_success(self, values):
        if self.pending is not None or _reauthenticated(
                self.request, self.start, self.user, values, 'second factor'):
            begin_new_factor(self.user, self.token)
            return HTTPFound(location=self.request.clinic_url(self.request.clinic,
                                                              'two-factor'))
        return None

    def confirmed(self, values):
        request = self.request
        codes = confirm_new_factor(request, self.user, values['code'], self.token, self.keep)
        if codes is None:
            self.confirm.fail('code', _('This code is not right. Enter the code the app '
                                        'shows now for this account.'))
            return None
        if self.pending is not None:
            finish_sign_in(request, self.user, request.response, 'after enrolment')
        return _codes_page(request, codes, home_url(request))

    def new_codes(self, values):
        request = self.request
        if not _reauthenticated(request, self.recovery, self.user, values, 'recovery codes'):
            return None
        codes = renew_recovery_codes(request, self.user, self.keep)
        return _codes_page(request, codes, request.clinic_url(request.clinic, 'two-factor'))

    def show(self):
        clinic, candidate, enrolled = self.request.clinic, self.candidate, self.enrolled
        factor, pending = self.factor, self.pending
        uri = provisioning_uri(clinic, self.user, candidate) if candidate else None
        return {
            'required': pending is not None or must_enrol(clinic, self.user),
            'pending': pending is not None,
            'enrolled': enrolled,
            'confirmed': factor.confirmed if enrolled else None,
            'recovery_left': factor.recovery_left() if enrolled else 0,
            'secret': ' '.join(candidate[i:i + 4] for i in range(0, len(candidate), 4))
            if candidate else None,
            'qr': qr_svg(uri, translate(self.request,
                                        _('QR code to scan with your authenticator app')))
            if uri else None,
            'start_form': self.start.render() if not candidate or self.start.error else None,
            'confirm_form': self.confirm.render() if candidate else None,
            'recovery_form': self.recovery.render()
            if enrolled and pending is None else None,
        }


def reset_factor_form(request, admin):
    """The admin's "Remove second factor" form on the edit page: the
    admin's own password, and code where the admin has a factor."""
    form = FormHandler(request, reauth_schema(is_enrolled(admin)), formid='reset-factor',
                       buttons=(button('remove', _('Remove second factor')),))
    form.form.action = request.clinic_url(request.context, 'reset-two-factor')
    return form


@clinic_view(context=User, name='reset-two-factor', permission='administer',
             request_method='POST', renderer='templates/reset_two_factor.pt')
class AdminResetTwoFactor(FormView):
    """A staff member lost their phone: the admin removes the factor (and
    every session of the person).  Like the admin's change of an address,
    it first asks for the admin's own password and code
    (``emailchange.reauthenticate``); the person is mailed a content-free
    notice (``factorchange.remove_by_the_clinic``); the trail says who.
    The form is shown on the account's edit page (``reset_factor_form``)."""

    def make_form(self):
        return reset_factor_form(self.request, self.request.identity.user)

    def on_submit(self):
        return too_many(self.request, 'sign-in')

    def remove_success(self, values):
        request, user = self.request, self.context
        problem = reauthenticate(request.clinic, request.registry.passwords,
                                 request.identity.user, values['current'], values.get('code'))
        if problem is None:
            remove_by_the_clinic(request, user)
            return redirect(request, request.clinic_url(user, 'edit'), 'two-factor-reset')
        trail_refusal(request, 'auth.reauth_failed', user, 'second factor removal: %s'
                      % ('password' if problem[0] == 'current' else 'code'))
        return self.fail(*problem)

    def page(self):
        return {'edit_url': self.request.clinic_url(self.context, 'edit')}
