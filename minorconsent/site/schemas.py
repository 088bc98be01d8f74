"""The site's forms: the clinic settings the admin edits."""
import colander
import deform

from .dates import is_time_zone
from .jurisdictions import parse_retention_table, parse_table


class SettingsSchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), title='Clinic name',
                               validator=colander.Length(1, 120))
    portal_name = colander.SchemaNode(
        colander.String(), title='Portal display name',
        description='Shown in emails and on the sign-in page. It must say '
                    'nothing about therapy, e.g. "Family Portal".',
        validator=colander.Length(1, 60))
    jurisdiction = colander.SchemaNode(
        colander.String(), title='Jurisdiction',
        description='Country and state code, e.g. US-CA.',
        validator=colander.Regex(r'^[A-Z]{2}(-[A-Z0-9]{1,3})?$',
                                 'Use a code such as US-CA.'))
    time_zone = colander.SchemaNode(
        colander.String(), title='Time zone',
        description='Where the clinic is, e.g. America/Chicago: families and staff read '
                    'every date and time in it.',
        validator=colander.Function(is_time_zone, 'Use a time zone name such as '
                                    'America/New_York or America/Los_Angeles.'))
    age_of_majority = colander.SchemaNode(
        colander.Int(), title='Age of majority',
        validator=colander.Range(14, 25))
    self_consent_age = colander.SchemaNode(
        colander.Int(), title='Age at which a minor may consent alone (default)',
        description='Used when the jurisdiction is not in the table below.',
        validator=colander.Range(10, 25))
    self_consent_ages = colander.SchemaNode(
        colander.String(), title='Age of self-consent by jurisdiction',
        description='One per line, e.g. "US-CA = 12". For outpatient mental health care.',
        widget=deform.widget.TextAreaWidget(rows=8), missing='',
        validator=colander.Length(0, 5000))
    idle_timeout_minutes = colander.SchemaNode(
        colander.Int(), title='Sign out after this many idle minutes',
        validator=colander.Range(2, 120))
    session_lifetime_hours = colander.SchemaNode(
        colander.Int(), title='Longest session, in hours',
        validator=colander.Range(1, 24))
    custody_policy = colander.SchemaNode(
        colander.String(), title='Who must sign for a child',
        widget=deform.widget.RadioChoiceWidget(values=(
            ('all', 'Every guardian with legal authority'),
            ('one', 'One guardian with legal authority is enough'))),
        validator=colander.OneOf(['all', 'one']))
    assent_age = colander.SchemaNode(
        colander.Int(), title="Ask for the child's assent from age",
        validator=colander.Range(5, 18))
    invitation_days = colander.SchemaNode(
        colander.Int(), title='Invitation links expire after (days)',
        validator=colander.Range(1, 30))
    own_account_age = colander.SchemaNode(
        colander.Int(), title="Offer a client their own sign-in from age",
        description="The client then assents, reviews summaries and, at the "
                    "jurisdiction's age, consents in their own name.",
        validator=colander.Range(8, 18))
    teen_review_age = colander.SchemaNode(
        colander.Int(), title="Every summary goes to the client for review first from age",
        description="Only for clients with their own sign-in. Leave empty to let the "
                    "therapist choose for each summary.",
        missing=None, validator=colander.Range(8, 25))
    closed_case_access_days = colander.SchemaNode(
        colander.Int(), title='After a case is closed, families keep reading for (days)',
        description='What was published stays readable to guardians and the client '
                    'this long after the last service; then their access ends.',
        validator=colander.Range(0, 730))
    retention_years = colander.SchemaNode(
        colander.Int(), title='Keep records of a closed case for (years after the last service)',
        description='Check the law of your state: often 7 years.',
        validator=colander.Range(1, 50))
    retention_until_age = colander.SchemaNode(
        colander.Int(), title="For a client treated as a minor, keep records at least until age",
        description='Often 25 (or the age of majority plus the years above).',
        validator=colander.Range(18, 40))
    retention_table = colander.SchemaNode(
        colander.String(), title='Retention by jurisdiction',
        description='One per line, e.g. "US-FL = 7, 25": years after the last service, then '
                    "the age a minor's records are kept until. The clinic's jurisdiction's "
                    'line wins over the two numbers above.',
        widget=deform.widget.TextAreaWidget(rows=4), missing='',
        validator=colander.Length(0, 5000))
    contact_phone = colander.SchemaNode(
        colander.String(), title='Clinic phone (shown to families)',
        validator=colander.Regex(r'^[0-9+() .\-]{3,30}$', 'Digits, spaces and + ( ) - . only.'))
    contact_email = colander.SchemaNode(
        colander.String(), title='Clinic email (shown to families)',
        validator=colander.All(colander.Email(), colander.Length(max=254)))
    contact_hours = colander.SchemaNode(
        colander.String(), title='Office hours (shown to families)',
        validator=colander.Length(1, 120))
    crisis_line = colander.SchemaNode(
        colander.String(), title='Crisis line (shown to families)',
        description='Where to turn outside office hours.',
        validator=colander.Length(1, 120))
    staff_two_factor = colander.SchemaNode(
        colander.Boolean(), title='Staff sign in with a second factor',
        description='Admins, therapists and supervisors confirm each sign-in with a '
                    'code from an authenticator app. Staff without one set it up at '
                    'their next sign-in; turning this on signs them out.',
        missing=False)
    password_min_length = colander.SchemaNode(
        colander.Int(), title='Shortest password allowed (characters)',
        description='At least 12.', validator=colander.Range(12, 128))
    reminder_after_days = colander.SchemaNode(
        colander.Int(), title='First reminder after (days)',
        description='A guardian or client a document waits for is reminded this many days '
                    'after it was sent to them.',
        validator=colander.Range(1, 60, min_err='At least 1 day.',
                                 max_err='At most 60 days.'))
    reminder_every_days = colander.SchemaNode(
        colander.Int(), title='Then remind every (days)',
        validator=colander.Range(1, 90, min_err='At least 1 day.', max_err='At most 90 days.'))
    reminder_max = colander.SchemaNode(
        colander.Int(), title='Remind at most (times)',
        description='0 sends no reminders.',
        validator=colander.Range(0, 10, min_err='0 or more.',
                                 max_err='At most 10 reminders.'))
    quiet_hours_start = colander.SchemaNode(
        colander.Int(), title='Quiet hours: no reminders from (hour, 0-23)',
        description="On the clinic's clock. 21 and 8: nothing is mailed from 21:00 to 8:00.",
        validator=colander.Range(0, 23, 'An hour from 0 to 23.', 'An hour from 0 to 23.'))
    quiet_hours_end = colander.SchemaNode(
        colander.Int(), title='Quiet hours: until (hour, 0-23)',
        validator=colander.Range(0, 23, 'An hour from 0 to 23.', 'An hour from 0 to 23.'))
    agreement_validity_months = colander.SchemaNode(
        colander.Int(), title='An agreement is in force for (months)',
        description="Unless its text says otherwise. 0: until it is revoked or replaced.",
        validator=colander.Range(0, 120, max_err='At most 120 months.'))
    renewal_notice_days = colander.SchemaNode(
        colander.Int(), title='Send the renewal (days before the end)',
        validator=colander.Range(1, 180, min_err='At least 1 day.',
                                 max_err='At most 180 days.'))
    lapsed_access_days = colander.SchemaNode(
        colander.Int(), title='After a consent lapses, guardians keep reading for (days)',
        description="Where the workflow's expired state lets them read. 0: access ends "
                    'with the consent.',
        validator=colander.Range(0, 365, max_err='At most 365 days.'))

#: Quiet hours leave at least this many hours a day for mail.
MIN_MAIL_HOURS = 4


def validate_settings(node, value):
    """Across fields: self-consent no later than majority; the age table
    read into a dict (its problems next to it)."""
    exc = colander.Invalid(node, '')
    if value['self_consent_age'] > value['age_of_majority']:
        exc['self_consent_age'] = 'Cannot be above the age of majority.'
    table, problems = parse_table(value['self_consent_ages'])
    if problems:
        exc['self_consent_ages'] = ' '.join(problems)
    retention, problems = parse_retention_table(value['retention_table'])
    if problems:
        exc['retention_table'] = ' '.join(problems)
    quiet = (value['quiet_hours_end'] - value['quiet_hours_start']) % 24
    if 24 - quiet < MIN_MAIL_HOURS and quiet:
        exc['quiet_hours_end'] = ('Quiet hours must leave at least %d hours a day for '
                                  'reminders.' % MIN_MAIL_HOURS)
    if exc.children:
        raise exc
    value['self_consent_ages'] = table
    value['retention_table'] = retention or None
