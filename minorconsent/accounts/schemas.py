"""Colander schemas for sign-in, passwords and account administration."""
import colander
import deform

from minorconsent.security.passwords import MIN_LENGTH, password_problem
from minorconsent.site.i18n import _

from .model import ADMIN, PRIVACY_OFFICER, ROLE_TITLES


def min_length_of(request):
    """The clinic's shortest password (its setting, never below the floor)."""
    clinic = getattr(request, 'clinic', None) if request is not None else None
    return max(MIN_LENGTH, getattr(getattr(clinic, 'settings', None),
                                   'password_min_length', MIN_LENGTH))


def _strong(node, value):
    """The password policy on a form field.  The form is bound with the
    request (the clinic's minimum) and, where known, ``password_email``:
    the address of the account the password is for."""
    kw = getattr(node, 'bindings', None) or {}
    problem = password_problem(value, kw.get('password_email'),
                               min_length_of(kw.get('request')))
    if problem:
        raise colander.Invalid(node, problem)


@colander.deferred
def password_hint(node, kw):
    """The rules, next to every new-password field."""
    return _('At least ${count} characters, not a common password and not your '
             'email address. A few unrelated words work well.',
             mapping={'count': min_length_of(kw.get('request'))})


class CodeSchema(colander.MappingSchema):
    """The second step of sign-in."""
    code = colander.SchemaNode(
        colander.String(), title=_('Code'),
        description=_('The 6-digit code from your authenticator app, or one of '
                      'your recovery codes.'),
        widget=deform.widget.TextInputWidget(
            attributes={'autocomplete': 'one-time-code', 'autocapitalize': 'off',
                        'spellcheck': 'false'}),
        validator=colander.Length(max=40))


def _code_node(title=None):
    return colander.SchemaNode(
        colander.String(), name='code', title=title or _('Code from your authenticator app'),
        widget=deform.widget.TextInputWidget(
            attributes={'autocomplete': 'one-time-code', 'inputmode': 'numeric'}),
        validator=colander.Length(max=40))


def confirm_code_schema():
    """Enrolment: the first code from the new secret."""
    schema = colander.MappingSchema()
    schema.add(_code_node(_('Code shown in the app')))
    return schema


def password_node(title):
    """A field for a password the person already has (the browser may fill
    it in); sign-in, re-authentication and password change share it."""
    return colander.SchemaNode(
        colander.String(), title=title,
        widget=deform.widget.PasswordWidget(
            attributes={'autocomplete': 'current-password'}),
        validator=colander.Length(max=1024))


class ReauthSchema(colander.MappingSchema):
    """Proof it is still the person, before a sensitive change."""
    current = password_node(_('Current password'))


def reauth_schema(with_code):
    schema = ReauthSchema()
    if with_code:
        schema.add(_code_node())
    return schema


class LoginSchema(colander.MappingSchema):
    email = colander.SchemaNode(
        colander.String(), title=_('Email address'),
        widget=deform.widget.TextInputWidget(
            attributes={'type': 'email', 'autocomplete': 'username'}),
        validator=colander.Length(max=254))
    password = password_node(_('Password'))


class PasswordChangeSchema(colander.MappingSchema):
    current = password_node(_('Current password'))
    new = colander.SchemaNode(
        colander.String(), title=_('New password'),
        description=password_hint,
        widget=deform.widget.PasswordWidget(
            attributes={'autocomplete': 'new-password'}),
        validator=colander.All(colander.Length(max=1024), _strong))
    confirm = colander.SchemaNode(
        colander.String(), title=_('New password again'),
        widget=deform.widget.PasswordWidget(
            attributes={'autocomplete': 'new-password'}))


def _passwords_match(node, value):
    if value['new'] != value['confirm']:
        exc = colander.Invalid(node, '')
        exc['confirm'] = _('The two new passwords differ.')
        raise exc


def _supervisors(kw):
    """Supervisor accounts other than the one being edited."""
    editing = kw.get('editing')
    return [u for u in kw['users'].with_role('supervisor') if u is not editing]


@colander.deferred
def _supervisor_choices(node, kw):
    choices = [('', '— none —')]
    choices += [(u.__name__, u.display_name) for u in _supervisors(kw)]
    return deform.widget.SelectWidget(values=choices)


@colander.deferred
def _supervisor_validator(node, kw):
    return colander.OneOf([''] + [u.__name__ for u in _supervisors(kw)])


def _separate_duties(node, value):
    """Clinic administration is kept apart from clinical and family roles:
    an admin manages accounts and settings and sees no client record, so
    an admin account cannot also be a therapist, supervisor or relative.
    The privacy officer, who reads the whole audit trail (the admin's
    actions included), holds no other role either."""
    roles = set(value.get('roles') or ())
    for role, message in ((PRIVACY_OFFICER, 'Use a separate account for the privacy officer.'),
                          (ADMIN, 'Use a separate account for clinic administration.')):
        if role in roles and roles - {role}:
            exc = colander.Invalid(node, '')
            exc['roles'] = message
            raise exc


#: What each role may do, in plain words, under the role choices.
ROLES_IN_WORDS = (
    'Clinic admin: accounts, clinic settings, workflows and agreement texts; sees no '
    'client record, and of the audit trail only staff and system actions. '
    'Therapist: their own clients. Supervisor: the clients of the therapists they '
    'supervise. Parent or guardian, adolescent client: the family pages. '
    'Privacy officer: reads the whole audit trail (who is a client, what was '
    'disclosed about whom) and the accounting of disclosures, and nothing else. '
    'The clinic admin and the privacy officer each need an account of their own.')


class AccountSchema(colander.MappingSchema):
    display_name = colander.SchemaNode(
        colander.String(), title='Full name', validator=colander.Length(1, 120))
    email = colander.SchemaNode(
        colander.String(), title='Email address',
        widget=deform.widget.TextInputWidget(attributes={'type': 'email'}),
        validator=colander.All(colander.Length(max=254), colander.Email()))
    roles = colander.SchemaNode(
        colander.Set(), title='Roles', description=ROLES_IN_WORDS,
        widget=deform.widget.CheckboxChoiceWidget(values=list(ROLE_TITLES.items())),
        validator=colander.All(
            colander.Length(min=1, min_err='Choose at least one role.'),
            colander.ContainsOnly(list(ROLE_TITLES))))
    supervisor_id = colander.SchemaNode(
        colander.String(), title='Supervisor (for therapists)',
        widget=_supervisor_choices, validator=_supervisor_validator, missing='')
    active = colander.SchemaNode(
        colander.Boolean(), title='Account active',
        description='A disabled account cannot sign in; its sessions end at once.',
        default=True, missing=False)


class NewAccountSchema(AccountSchema):
    password = colander.SchemaNode(
        colander.String(), title='First password (better left empty)',
        description='Left empty, the person gets a single-use link by email to choose '
                    'their own password, and nobody else ever knows it. Typed here, give '
                    'it to them privately: at least 12 characters, not a common password, '
                    'not their email address.',
        widget=deform.widget.PasswordWidget(attributes={'autocomplete': 'new-password'}),
        missing='', validator=colander.All(colander.Length(max=1024), _strong))


def account_schema(new=False, reauth_code=False, client_account=False):
    """The admin's account form.  Editing adds the admin's own password
    (and code, ``reauth_code``, where the admin has a second factor): asked
    for, and checked, only when the email address changes.

    A client's own account (``client_account``, an adolescent's) is edited
    without its name and with an empty address field: the admin sees no
    client record, and the name (often the address too) says who the
    client is.  An address typed in replaces the one kept; left empty, the
    address stays."""
    schema = (NewAccountSchema if new else AccountSchema)(validator=_separate_duties)
    if client_account:
        del schema['display_name']
        email = schema['email']
        email.missing = ''
        email.title = 'New email address'
        email.description = ('The address is not shown for a client\'s own account. '
                             'Leave this empty to keep it; type a new one to replace it.')
    if not new:
        schema.add(colander.SchemaNode(
            colander.String(), name='current', title='Your password',
            description='Only to change the email address: the address is where '
                        '"forgot password" sends its link, so confirm it is you.',
            widget=deform.widget.PasswordWidget(
                attributes={'autocomplete': 'current-password'}),
            missing='', validator=colander.Length(max=1024)))
        if reauth_code:
            code = _code_node('Code from your authenticator app')
            code.missing = ''
            code.description = 'Only to change the email address.'
            schema.add(code)
    return schema


class EmailChangeSchema(colander.MappingSchema):
    """A person's own change of address: the new address, and proof it is
    them (current password; a code is added where they have a factor)."""
    new_email = colander.SchemaNode(
        colander.String(), title=_('New email address'),
        description=_('We send a link to this address. The change takes effect when '
                      'you open it.'),
        widget=deform.widget.TextInputWidget(
            attributes={'type': 'email', 'autocomplete': 'email'}),
        validator=colander.All(colander.Length(max=254),
                               colander.Email(msg=_('Enter an email address.'))))
    current = colander.SchemaNode(
        colander.String(), title=_('Current password'),
        widget=deform.widget.PasswordWidget(
            attributes={'autocomplete': 'current-password'}),
        missing='', validator=colander.Length(max=1024))


def email_change_schema(with_code=False):
    schema = EmailChangeSchema()
    if with_code:
        code = _code_node()
        code.missing = ''
        schema.add(code)
    return schema


def password_change_schema(with_code=False):
    """Current password, new password twice; and a code where the person
    has a second factor (re-authentication within the same form)."""
    schema = PasswordChangeSchema(validator=_passwords_match)
    if with_code:
        schema.insert(1, _code_node())
    return schema


def _same_password_twice(node, value):
    if value['password'] != value['confirm']:
        exc = colander.Invalid(node, '')
        exc['confirm'] = _('The two passwords differ.')
        raise exc


def choose_password_schema(title=_('Choose a password')):
    """A password chosen from a mailed link (an invitation, a set-up link,
    a reset): typed twice, the same both times, under the one policy."""
    schema = colander.SchemaNode(colander.Mapping(), validator=_same_password_twice)
    schema.add(colander.SchemaNode(
        colander.String(), name='password', title=title, description=password_hint,
        widget=deform.widget.PasswordWidget(attributes={'autocomplete': 'new-password'}),
        validator=colander.All(colander.Length(max=1024), _strong)))
    schema.add(colander.SchemaNode(
        colander.String(), name='confirm', title=_('The same password again'),
        widget=deform.widget.PasswordWidget(attributes={'autocomplete': 'new-password'})))
    return schema
