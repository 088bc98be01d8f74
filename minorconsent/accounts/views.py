"""Sign-in, sign-out, password change, and account administration."""
from itertools import islice

from pyramid.csrf import check_csrf_token
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.traversal import find_interface

from minorconsent.audit.recorder import note
from minorconsent.security.passwords import password_problem
from minorconsent.security.ratelimit import too_many
from minorconsent.site import Clinic
from minorconsent.site.forms import FormView, button
from minorconsent.site.i18n import _
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view, home_url, page_number

from .email_views import FORM_ID, email_change_form, handle_email_change, pending_change
from .emailchange import apply_email_change, masked, reauthenticate, trail_refusal
from .model import (ADOLESCENT, GUARDIAN, ROLE_TITLES, User, Users, admin_label, change_roles, is_client_account,
                    normalize_email, set_active, set_password)
from .setup import issue_setup_link
from .schemas import LoginSchema, account_schema, min_length_of, password_change_schema
from .signin import authenticate
from .twofactor import factor_of, is_enrolled, next_step
from .twofactor_views import begin_second_step, reset_factor_form

SIGN_IN_FAILED = _('Sign-in failed. Check your email address and password. '
                   'After several failed attempts, sign-in pauses for a few '
                   'minutes.')
PAGE_SIZE = 50


@clinic_view(context=Clinic, name='login', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/login.jinja2')
class Login(FormView):
    schema = LoginSchema()
    buttons = (button('sign in', _('Sign in')),)
    empty_form_cached = True

    def before(self):
        if self.request.identity is not None and self.request.method == 'GET':
            return HTTPFound(location=home_url(self.request))
        return None

    def on_submit(self):
        # Per client IP, in memory (security/ratelimit.py); the
        # per-address throttle in ZODB stays behind it.
        return too_many(self.request, 'sign-in')

    def sign_in_success(self, values):
        request = self.request
        user = authenticate(request.clinic, request.registry.passwords,
                            values['email'], values['password'])
        step = next_step(request.clinic, user) if user is not None else None
        if step is not None:
            return begin_second_step(request, user, step)
        if user is not None:
            note(request.clinic, 'auth.sign_in', actor=user.__name__,
                 role=' '.join(sorted(user.roles)))
            headers = remember(request, user.__name__, method='password')
            return HTTPFound(location=home_url(request), headers=headers)
        known = request.clinic['users'].find_by_email(values['email'])
        # Unknown addresses are not written down: the trail would
        # become a list of people who are not (yet) at the clinic.
        note(request.clinic, 'auth.sign_in_failed',
             actor=known.__name__ if known is not None else 'anonymous',
             detail='' if known is not None else 'unknown address')
        self.fail('password', SIGN_IN_FAILED)
        request.response.status = 200
        return None


@clinic_view(context=Clinic, name='logout', permission=NO_PERMISSION_REQUIRED,
             request_method='POST', require_csrf=False)
def logout(request):
    """Sign out.  With a live session the CSRF token is checked; without
    one (it already timed out) there is nothing to protect, and the person
    on a shared computer must see that they are signed out."""
    if request.identity is not None:
        check_csrf_token(request)
        note(request.clinic, 'auth.sign_out')
    headers = forget(request)
    response = redirect(request, request.clinic_url(request.clinic, 'login'),
                        'signed-out')
    response.headerlist.extend(headers)
    return response


@clinic_view(context=Clinic, name='logout', permission=NO_PERMISSION_REQUIRED,
             request_method='GET', renderer='templates/logout.pt')
def logout_confirm(request):
    """A GET never signs out (a link or image must not end a session)."""
    if request.identity is None:
        return HTTPFound(location=request.clinic_url(request.clinic, 'login'))
    return {}


@clinic_view(context=Clinic, name='password', permission='signed-in',
             renderer='templates/password.pt')
class PasswordChange(FormView):
    """The person's account page: their password, and their email address.

    Both ask, in the same form, for the current password, and a code from
    the app where the person has a second factor (``reauthenticate``: a
    paused sign-in address is refused too).  A new address takes
    effect only from the link mailed to it (``email_views``): that second
    form posts here too, and ``before`` handles it."""

    buttons = (button('change password', _('Change password')),)

    def before(self):
        request = self.request
        self.user = request.identity.user
        self.email_form = email_change_form(request)
        if self.email_form is not None and request.method == 'POST' \
                and request.POST.get('__formid__') == FORM_ID:
            return handle_email_change(request, self.email_form)
        return None

    def make_schema(self):
        return password_change_schema(is_enrolled(self.user))

    def bind(self):
        return {'password_email': self.user.email}

    def on_submit(self):
        return too_many(self.request, 'sign-in')

    def change_password_success(self, values):
        request, user = self.request, self.user
        passwords = request.registry.passwords
        # The same re-authentication as an email change.
        problem = reauthenticate(request.clinic, passwords, user,
                                 values['current'], values.get('code'))
        if problem is not None:
            return self.fail(*problem)
        set_password(request.clinic, passwords, user, values['new'],
                     keep_token=request.identity.token)
        return redirect(request, home_url(request), 'password-changed')

    def page(self):
        user = self.user
        family = user.has_role(GUARDIAN) or user.has_role(ADOLESCENT)
        return {'email': user.email,
                # The clients room's page: a family member's contact records.
                'contact_page': self.request.clinic_url(self.request.clinic,
                                                        'contact-preferences')
                if family else None,
                'email_form': self.email_form.render() if self.email_form is not None
                else None,
                'pending': pending_change(self.request)}


# --- administration ------------------------------------------------------------

@clinic_view(context=Users, permission='administer',
             renderer='templates/users.pt')
def users_list(request):
    """Accounts in email order, a page at a time, of one role
    (``?role=therapist``) and by the start of the address.  The address
    searched for is POSTed, with the page number: addresses never go into
    URLs (history, logs)."""
    users = request.context
    params = request.POST if request.method == 'POST' else request.GET
    role = params.get('role') if params.get('role') in ROLE_TITLES else ''
    query = (request.POST.get('q') or '').strip()[:254] if request.method == 'POST' else ''
    page = page_number(request)
    start = (page - 1) * PAGE_SIZE
    rows = list(islice(users.listing(role or None, query), start, start + PAGE_SIZE + 1))
    return {
        'users': rows[:PAGE_SIZE],
        'next_page': page + 1 if len(rows) > PAGE_SIZE else None,
        'role': role,
        'query': query,
        'role_titles': ROLE_TITLES,
        'label': admin_label,
        'address': shown_address,
    }


def shown_address(user):
    """The address as the admin sees it: a client's own address often
    holds the teen's name, so it is masked (``emailchange.masked``: its
    first letters and a hash a candidate address can be checked against)."""
    return masked(user.email) if is_client_account(user) else user.email


def _apply_account(request, user, values):
    clinic = request.clinic
    users = clinic['users']
    email_changed = bool(values['email']) and normalize_email(values['email']) != user.email
    if email_changed:
        # The admin is not the person: all the person's sessions end
        # (but the admin's own, when editing their own account).
        identity = request.identity
        apply_email_change(request, user, values['email'], 'admin.email_changed',
                           'by the clinic admin',
                           keep_token=identity.token if identity.user is user else None)
    if 'display_name' in values and user.display_name != values['display_name']:
        user.display_name = values['display_name']
    before = (sorted(user.roles), user.active)
    change_roles(clinic, user, values['roles'])
    users.set_supervisor(user, values['supervisor_id'] or None)
    set_active(clinic, user, values['active'])
    note(user, 'admin.account', record='', target='users/' + user.__name__,
         detail='roles %s -> %s; active %s -> %s%s' % (
             ','.join(before[0]), ','.join(sorted(user.roles)), before[1], user.active,
             '; email changed' if email_changed else ''))


@clinic_view(context=Users, name='add', permission='administer',
             renderer='templates/account_form.pt')
class UserAdd(FormView):
    buttons = ('create account',)

    def make_schema(self):
        return account_schema(new=True)

    def bind(self):
        return {'users': self.context}

    def create_account_success(self, values):
        request, users = self.request, self.context
        password = values['password']
        problem = password and password_problem(password, values['email'],
                                                min_length_of(request))
        if users.find_by_email(values['email']):
            return self.fail('email', 'An account with this address already exists.')
        if problem:
            return self.fail('password', problem)
        user = User(values['email'], values['display_name'], values['roles'])
        if password:
            user.password_hash = request.registry.passwords.hash(password)
        users.add_user(user)
        users.set_supervisor(user, values['supervisor_id'] or None)
        user.active = values['active']
        # Without a password the person chooses their own from a mailed
        # link; a disabled account gets none until it is enabled.
        mailed = not password and user.active and issue_setup_link(request, user)
        note(users, 'admin.account', target='users/' + user.__name__,
             detail='created; roles %s%s' % (','.join(sorted(user.roles)),
                                            '; set-up link mailed' if mailed else ''))
        return redirect(request, request.clinic_url(users),
                        'account-added-link' if mailed else 'account-added')

    def page(self):
        return {'heading': 'New account', 'two_factor': None, 'client_account': None}


@clinic_view(context=User, name='edit', permission='administer',
             renderer='templates/account_form.pt')
class UserEdit(FormView):
    """The admin's page of one account.  A client's own account: no name
    and no address on the form (the admin sees no client record); an
    address typed in replaces the one kept, unseen, and the name stays as
    the clinic recorded it."""

    def before(self):
        self.admin = self.request.identity.user
        self.users = find_interface(self.context, Users)
        self.client = is_client_account(self.context)
        return None

    def make_schema(self):
        return account_schema(reauth_code=is_enrolled(self.admin), client_account=self.client)

    def bind(self):
        return {'users': self.users, 'editing': self.context}

    def appstruct(self):
        user = self.context
        return {'display_name': user.display_name,
                'email': '' if self.client else user.email,
                'roles': set(user.roles), 'active': user.active,
                'supervisor_id': user.supervisor_id or ''}

    def save_success(self, values):
        request, user, users, admin = self.request, self.context, self.users, self.admin
        other = users.find_by_email(values['email']) if values['email'] else None
        email_changed = bool(values['email']) \
            and normalize_email(values['email']) != user.email
        if email_changed:
            # Re-authentication: the address is where "forgot password"
            # sends its link, so changing it could take the account over.
            limited = too_many(request, 'sign-in')
            if limited is not None:
                return limited
        if other is not None and other is not user:
            return self.fail('email', 'An account with this address already exists.')
        if user is admin and 'admin' not in values['roles']:
            return self.fail('roles', 'You cannot remove your own admin role.')
        if user is admin and not values['active']:
            return self.fail('active', 'You cannot disable your own account.')
        if email_changed:
            problem = reauthenticate(request.clinic, request.registry.passwords, admin,
                                     values['current'], values.get('code'))
            if problem is not None:
                trail_refusal(request, 'auth.reauth_failed', user,
                              'admin email change: %s'
                              % ('password' if problem[0] == 'current' else 'code'))
                return self.fail(*problem)
        _apply_account(request, user, values)
        return redirect(request, request.clinic_url(users), 'saved')

    def page(self):
        user = self.context
        enrolled = is_enrolled(user)
        factor = factor_of(user)
        return {'heading': 'Edit account',
                'setup_link': self.request.clinic_url(user, 'send-setup')
                if user.password_hash is None and user.active else None,
                'client_account': admin_label(user) if self.client else None,
                'address': shown_address(user) if self.client else None,
                'two_factor': {
                    'enrolled': enrolled,
                    'confirmed': factor.confirmed if enrolled else None,
                    'reset_form': reset_factor_form(self.request, self.admin).render()
                    if enrolled else None}}


@clinic_view(context=User, name='send-setup', permission='administer', request_method='POST')
def send_setup_link(request):
    """A new set-up link for an account that has no password yet (the
    first expired, or went to an old address).  Nothing is sent to an
    account that has a password or is disabled, or whose records say "no
    email"; the page says which happened."""
    user = request.context
    users = find_interface(user, Users)
    if user.password_hash is not None or not user.active \
            or not issue_setup_link(request, user):
        return redirect(request, request.clinic_url(user, 'edit'), 'setup-not-sent')
    note(user, 'admin.account', record='', target='users/' + user.__name__,
         detail='set-up link mailed')
    return redirect(request, request.clinic_url(users), 'setup-sent')
