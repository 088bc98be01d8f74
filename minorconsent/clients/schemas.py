"""Colander schemas for the client record and what hangs off it."""
import re
from datetime import date

import colander
import deform

from minorconsent.site.forms import date_widget
from minorconsent.site.i18n import _

from .model import GOAL_STATUSES, ICD10, RELATIONSHIPS


def _born_in_range(node, value):
    today = date.today()
    if value > today:
        raise colander.Invalid(node, 'The date of birth cannot be in the future.')
    if today.year - value.year > 30:
        raise colander.Invalid(node, 'Check the year: this client would be over 30.')


def _no_control_characters(node, value):
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise colander.Invalid(node, 'Remove the invisible control characters.')


def _text(title, max_length=200, **kw):
    return colander.SchemaNode(
        colander.String(), title=title,
        validator=colander.All(colander.Length(1, max_length), _no_control_characters), **kw)


def _session_date_in_range(node, value):
    today = date.today()
    if value > today:
        raise colander.Invalid(node, 'A session date cannot be in the future.')
    if value.year < today.year - 30:
        raise colander.Invalid(node, 'Check the year of this session date.')


def _long_text(title, max_length=20_000, required=True, **kw):
    extra = {} if required else {'missing': ''}
    return colander.SchemaNode(
        colander.String(), title=title,
        widget=deform.widget.TextAreaWidget(rows=6),
        validator=colander.Length(1 if required else 0, max_length), **extra, **kw)


class ClientSchema(colander.MappingSchema):
    first_name = _text('First name', 100)
    last_name = _text('Last name', 100)
    preferred_name = colander.SchemaNode(
        colander.String(), title='Preferred name', missing='',
        validator=colander.All(colander.Length(0, 100), _no_control_characters))
    date_of_birth = colander.SchemaNode(
        colander.Date(), title='Date of birth', widget=date_widget(),
        validator=_born_in_range)
    diagnosis = _long_text('Diagnosis (clinical; never shown to guardians)',
                           2_000, required=False)
    diagnosis_codes = colander.SchemaNode(
        colander.String(), title='Diagnosis codes (ICD-10-CM)', missing='',
        description='For the insurer export, e.g. F41.1 F90.0. Never shown to guardians.',
        validator=lambda node, value: _valid_codes(node, value))
    medications = _long_text('Medications (one per line; for the insurer export)',
                             2_000, required=False)


def split_codes(text):
    return tuple(code.upper() for code in re.split(r'[\s,;]+', text or '') if code)


def split_lines(text):
    return tuple(line.strip() for line in (text or '').splitlines() if line.strip())


def _valid_codes(node, value):
    wrong = [code for code in split_codes(value) if not ICD10.match(code)]
    if wrong:
        raise colander.Invalid(node, 'Not an ICD-10-CM code: %s' % ', '.join(wrong[:5]))
    if len(split_codes(value)) > 12:
        raise colander.Invalid(node, 'At most 12 codes.')


@colander.deferred
def _therapist_widget(node, kw):
    users = kw['users']
    return deform.widget.CheckboxChoiceWidget(
        values=[(u.__name__, u.display_name) for u in users.with_role('therapist')])


@colander.deferred
def _therapist_validator(node, kw):
    valid = set(kw['users'].ids_with_role('therapist'))
    return colander.All(
        colander.Length(min=1, min_err='A client needs at least one therapist.'),
        colander.ContainsOnly(valid))


@colander.deferred
def _supervisor_widget(node, kw):
    users = kw['users']
    return deform.widget.SelectWidget(
        values=[('', '— from the therapists —')] +
               [(u.__name__, u.display_name) for u in users.with_role('supervisor')])


@colander.deferred
def _supervisor_validator(node, kw):
    return colander.OneOf([''] + list(kw['users'].ids_with_role('supervisor')))


class ClientEditSchema(ClientSchema):
    custody_policy = colander.SchemaNode(
        colander.String(), title='Who must sign for this client', missing='',
        description='Overrides the clinic rule, e.g. when a court order gives one parent sole authority.',
        widget=deform.widget.SelectWidget(values=(
            ('', 'The clinic rule'), ('all', 'Every guardian with legal authority'),
            ('one', 'One guardian with legal authority is enough'))),
        validator=colander.OneOf(['', 'all', 'one']))
    therapist_ids = colander.SchemaNode(
        colander.Set(), title='Therapists', widget=_therapist_widget,
        validator=_therapist_validator)
    supervisor_id = colander.SchemaNode(
        colander.String(), title='Supervisor', missing='',
        widget=_supervisor_widget, validator=_supervisor_validator)


class ContactSchema(colander.MappingSchema):
    email_ok = colander.SchemaNode(colander.Boolean(), title='Email allowed', missing=False)
    sms_ok = colander.SchemaNode(colander.Boolean(), title='Text messages allowed', missing=False)
    phone_ok = colander.SchemaNode(colander.Boolean(), title='Phone calls allowed', missing=False)
    voicemail_ok = colander.SchemaNode(
        colander.Boolean(), title='Voicemail may be left', missing=False,
        description='Even then, leave nothing that mentions therapy.')
    instructions = _long_text('Contact instructions (internal)', 1_000, required=False)


class GoalSchema(colander.MappingSchema):
    parent_title = _text('Title for guardians', 200,
                         description='Plain words a parent will read, e.g. "Manage worries at school".')
    parent_description = _long_text('Description for guardians', 2_000, required=False)
    clinical_text = _long_text('Clinical wording (stays in the clinic)', 5_000)
    status = colander.SchemaNode(
        colander.String(), title='Status',
        widget=deform.widget.SelectWidget(values=GOAL_STATUSES),
        validator=colander.OneOf([k for k, _ in GOAL_STATUSES]), default='active')


class NoteSchema(colander.MappingSchema):
    session_date = colander.SchemaNode(
        colander.Date(), title='Session date', widget=date_widget(), missing=None,
        validator=_session_date_in_range)
    text = _long_text('Private note (therapist and supervisor only)')


class GuardianLinkSchema(colander.MappingSchema):
    relationship = colander.SchemaNode(
        colander.String(), title='Relationship to the client',
        widget=deform.widget.SelectWidget(values=RELATIONSHIPS),
        validator=colander.OneOf([k for k, _ in RELATIONSHIPS]))
    legal_authority = colander.SchemaNode(
        colander.Boolean(), title='Holds legal authority to consent', missing=False,
        description='Only guardians with legal authority see the family portal.')
    restricted = colander.SchemaNode(
        colander.Boolean(), title='Access restricted (court order)', missing=False,
        description='A restricted guardian sees nothing and is signed out at once.')
    restriction_note = _long_text('Reason for restriction (internal)', 1_000, required=False)


#: What a therapist may say about a new guardian's language ('' : not known,
#: mail in English).
GUARDIAN_LANGUAGES = (('', 'Not known (English)'), ('en', 'English'), ('es', 'Spanish (Español)'))


class NewGuardianSchema(GuardianLinkSchema):
    display_name = _text('Guardian name', 120)
    email = colander.SchemaNode(
        colander.String(), title='Guardian email address',
        widget=deform.widget.TextInputWidget(attributes={'type': 'email'}),
        validator=colander.All(colander.Length(max=254), colander.Email()))
    language = colander.SchemaNode(
        colander.String(), title="Language the guardian reads", missing='',
        description='Their invitation email is written in it, until they choose a language '
                    'on the portal (an existing account keeps its own).',
        widget=deform.widget.SelectWidget(values=GUARDIAN_LANGUAGES),
        validator=colander.OneOf([code for code, _title in GUARDIAN_LANGUAGES]))

    def after_bind(self, node, kw):
        # Name and address first, as a person fills the form.
        for name in ('email', 'display_name'):
            child = node[name]
            del node[name]
            node.children.insert(0, child)


class OwnAccountSchema(colander.MappingSchema):
    """The client's own sign-in: their address and the language they read
    (the invitation is written in it, until they choose on the portal)."""
    email = colander.SchemaNode(
        colander.String(), title="The client's own email address",
        description='One only they read: not a parent\'s, not a shared family address.',
        widget=deform.widget.TextInputWidget(attributes={'type': 'email'}),
        validator=colander.All(colander.Length(max=254), colander.Email()))
    language = colander.SchemaNode(
        colander.String(), title='Language the client reads', missing='',
        widget=deform.widget.SelectWidget(values=GUARDIAN_LANGUAGES),
        validator=colander.OneOf([code for code, _title in GUARDIAN_LANGUAGES]))


class OwnContactSchema(colander.MappingSchema):
    """A family member's own contact preferences and language (family-facing:
    translated)."""
    email_ok = colander.SchemaNode(colander.Boolean(), title=_('The clinic may email me'),
                                   description=_('Invitations and notices that something '
                                                 'waits for you on the portal.'),
                                   missing=False)
    sms_ok = colander.SchemaNode(colander.Boolean(), title=_('The clinic may text me'),
                                 missing=False)
    phone_ok = colander.SchemaNode(colander.Boolean(), title=_('The clinic may call me'),
                                   missing=False)
    voicemail_ok = colander.SchemaNode(colander.Boolean(),
                                       title=_('The clinic may leave me a voicemail'),
                                       missing=False)
    own_note = colander.SchemaNode(
        colander.String(), title=_('Anything else the clinic should know'),
        description=_('For example: "Call my mobile only" or "Not before 5 pm".'),
        widget=deform.widget.TextAreaWidget(rows=2), missing='',
        validator=colander.All(colander.Length(max=300), _no_control_characters))
    language = colander.SchemaNode(
        colander.String(), title=_('Language for the portal and emails'),
        widget=deform.widget.SelectWidget(values=(('en', 'English'), ('es', 'Español'))),
        validator=colander.OneOf(['en', 'es']))


class CloseCaseSchema(colander.MappingSchema):
    last_service = colander.SchemaNode(
        colander.Date(), title='Date of the last service', widget=date_widget(),
        description='Families keep reading what was published for the days the clinic '
                    'sets after it; records are kept for the retention period after it.')
    reason = _text('Reason (for staff only)', 300,
                   description='E.g. "Treatment goals met" or "Family moved away".')
