"""Sign-in, sign-out, password change, and account administration."""
from itertools import islice

from pyramid.csrf import check_csrf_token
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember

from minorconsent.audit import note
from minorconsent.site import Clinic
from minorconsent.site.forms import FormHandler, button
from minorconsent.site.i18n import _
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view, home_url, page_number

from . import (ROLE_TITLES, User, Users, authenticate, change_roles,
               set_active, set_password)
from .schemas import LoginSchema, account_schema, password_change_schema

SIGN_IN_FAILED = _('Sign-in failed. Check your email address and password. '
                   'After several failed attempts, sign-in pauses for a few '
                   'minutes.')
PAGE_SIZE = 50


@clinic_view(context=Clinic, name='login', permission=NO_PERMISSION_REQUIRED,
             renderer='templates/login.pt')
def login(request):
    if request.identity is not None and request.method == 'GET':
        return HTTPFound(location=home_url(request))
    form = FormHandler(request, LoginSchema(), buttons=(button('sign in', _('Sign in')),))
    if form.submitted:
        values = form.validate()
        if values is not None:
            user = authenticate(request.clinic, request.registry.passwords,
                                values['email'], values['password'])
            if user is not None:
                note(request.clinic, 'auth.sign_in', actor=user.__name__,
                     role=' '.join(sorted(user.roles)))
                headers = remember(request, user.__name__)
                return HTTPFound(location=home_url(request), headers=headers)
            known = request.clinic['users'].find_by_email(values['email'])
            # Unknown addresses are not written down: the trail would
            # become a list of people who are not (yet) at the clinic.
            note(request.clinic, 'auth.sign_in_failed',
                 actor=known.__name__ if known is not None else 'anonymous',
                 detail='' if known is not None else 'unknown address')
            form.fail('password', SIGN_IN_FAILED)
            request.response.status = 200
    return {'form': form.render()}


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
def password_change(request):
    form = FormHandler(request, password_change_schema(),
                       buttons=(button('change password', _('Change password')),))
    if form.submitted:
        values = form.validate()
        if values is not None:
            identity = request.identity
            passwords = request.registry.passwords
            if not passwords.verify(identity.user.password_hash, values['current']):
                form.fail('current', _('This is not your current password.'))
            else:
                set_password(request.clinic, passwords, identity.user,
                             values['new'], keep_token=identity.token)
                return redirect(request, home_url(request), 'password-changed')
    return {'form': form.render()}


# --- administration ------------------------------------------------------------

@clinic_view(context=Users, permission='administer',
             renderer='templates/users.pt')
def users_list(request):
    """Accounts in email order, a page at a time (``?page=N``; addresses
    never go into URLs)."""
    users = request.context
    page = page_number(request)
    start = (page - 1) * PAGE_SIZE
    rows = list(islice(users.emails(), start, start + PAGE_SIZE + 1))
    return {
        'users': rows[:PAGE_SIZE],
        'next_page': page + 1 if len(rows) > PAGE_SIZE else None,
        'role_titles': ROLE_TITLES,
    }


def _apply_account(request, user, values):
    clinic = request.clinic
    users = clinic['users']
    users.set_email(user, values['email'])
    if user.display_name != values['display_name']:
        user.display_name = values['display_name']
    before = (sorted(user.roles), user.active)
    change_roles(clinic, user, values['roles'])
    users.set_supervisor(user, values['supervisor_id'] or None)
    set_active(clinic, user, values['active'])
    note(user, 'admin.account', record='', target='users/' + user.__name__,
         detail='roles %s -> %s; active %s -> %s' % (
             ','.join(before[0]), ','.join(sorted(user.roles)), before[1], user.active))


@clinic_view(context=Users, name='add', permission='administer',
             renderer='templates/account_form.pt')
def user_add(request):
    users = request.context
    form = FormHandler(request, account_schema(new=True), buttons=('create account',),
                       users=users)
    if form.submitted:
        values = form.validate()
        if values is not None:
            if users.find_by_email(values['email']):
                form.fail('email', 'An account with this address already exists.')
            else:
                user = User(values['email'], values['display_name'], values['roles'])
                user.password_hash = request.registry.passwords.hash(values['password'])
                users.add_user(user)
                users.set_supervisor(user, values['supervisor_id'] or None)
                user.active = values['active']
                note(users, 'admin.account', target='users/' + user.__name__,
                     detail='created; roles %s' % ','.join(sorted(user.roles)))
                return redirect(request, request.clinic_url(users), 'account-added')
    return {'form': form.render(), 'heading': 'New account'}


@clinic_view(context=User, name='edit', permission='administer',
             renderer='templates/account_form.pt')
def user_edit(request):
    user = request.context
    users = user.__parent__
    appstruct = {'display_name': user.display_name, 'email': user.email,
                 'roles': set(user.roles), 'active': user.active,
                 'supervisor_id': user.supervisor_id or ''}
    form = FormHandler(request, account_schema(), appstruct=appstruct, users=users,
                       editing=user)
    if form.submitted:
        values = form.validate()
        if values is not None:
            other = users.find_by_email(values['email'])
            if other is not None and other is not user:
                form.fail('email', 'An account with this address already exists.')
            elif user is request.identity.user and 'admin' not in values['roles']:
                form.fail('roles', 'You cannot remove your own admin role.')
            elif user is request.identity.user and not values['active']:
                form.fail('active', 'You cannot disable your own account.')
            else:
                _apply_account(request, user, values)
                return redirect(request, request.clinic_url(users), 'saved')
    return {'form': form.render(), 'heading': 'Edit account'}
