"""Forms for disclosures, releases, insurer exports and third-party requests."""
from datetime import date, timedelta

import colander
import deform

from minorconsent.site.forms import date_widget

from .model import REASONS, RECIPIENT_KINDS
from .releases import RELEASE_ITEMS
from .requests import OUTCOMES, REQUESTER_KINDS


def _choice(values, title, missing=colander.required, radio=False):
    widget = (deform.widget.RadioChoiceWidget if radio else deform.widget.SelectWidget)(
        values=values)
    kw = {} if missing is colander.required else {'missing': missing}
    return colander.SchemaNode(colander.String(), title=title, widget=widget,
                               validator=colander.OneOf([k for k, _ in values if k]), **kw)


def _text(title, max_length, missing=colander.required, rows=None, **kw):
    widget = deform.widget.TextAreaWidget(rows=rows) if rows else deform.widget.TextInputWidget()
    extra = {} if missing is colander.required else {'missing': missing}
    return colander.SchemaNode(colander.String(), title=title, widget=widget,
                               validator=colander.Length(0, max_length), **extra, **kw)


@colander.deferred
def _guardian_widget(node, kw):
    return deform.widget.SelectWidget(values=[('', '— not a guardian —')] + kw['guardians'])


@colander.deferred
def _guardian_validator(node, kw):
    return colander.OneOf([''] + [k for k, _ in kw['guardians']])


@colander.deferred
def _release_widget(node, kw):
    return deform.widget.SelectWidget(values=[('', '— no release —')] + kw['releases'])


@colander.deferred
def _release_validator(node, kw):
    return colander.OneOf([''] + [k for k, _ in kw['releases']])


class DisclosureSchema(colander.MappingSchema):
    reason = _choice(REASONS, 'Legal reason')
    recipient_kind = _choice(RECIPIENT_KINDS, 'Who was told', radio=True)
    guardian_id = colander.SchemaNode(colander.String(), title='The guardian told',
                                      missing='', widget=_guardian_widget,
                                      validator=_guardian_validator)
    recipient_name = _text('Name of the person or agency told', 200, missing='')
    release = colander.SchemaNode(
        colander.String(), title='Release of information it was made under', missing='',
        widget=_release_widget, validator=_release_validator,
        description='Only live releases are listed.')
    items = colander.SchemaNode(
        colander.Set(), title='What was shared under the release', missing=(),
        widget=deform.widget.CheckboxChoiceWidget(values=RELEASE_ITEMS),
        validator=colander.ContainsOnly([k for k, _ in RELEASE_ITEMS]))
    told_on = colander.SchemaNode(colander.Date(), title='Date told', widget=date_widget())
    text = _text('Exactly what was disclosed', 5000, rows=6,
                 description='A guardian who was told sees this text, and only this text.')
    justification = _text('Justification (required for "Other")', 2000, missing='', rows=3)


def _end_date_valid(node, value):
    today = date.today()
    if value <= today:
        raise colander.Invalid(node, 'The end date must be in the future.')
    if value > today + timedelta(days=5 * 366):
        raise colander.Invalid(node, 'At most five years ahead.')


class ReleaseSchema(colander.MappingSchema):
    recipient_kind = _choice(RECIPIENT_KINDS, 'The recipient is', radio=True)
    recipient = _text('Recipient (name and role)', 200, missing='',
                      description='For example: Dr. Lee, pediatrician')
    guardian_id = colander.SchemaNode(
        colander.String(), title='The guardian', missing='', widget=_guardian_widget,
        validator=_guardian_validator,
        description='Only where the client consents alone: what this guardian may see '
                    'in the portal.')
    items = colander.SchemaNode(
        colander.Set(), title='Information that may be shared',
        widget=deform.widget.CheckboxChoiceWidget(values=RELEASE_ITEMS),
        validator=colander.All(colander.Length(min=1, min_err='Choose at least one item.'),
                               colander.ContainsOnly([k for k, _ in RELEASE_ITEMS])))
    purpose = _text('Purpose', 500, rows=2)
    expires_on = colander.SchemaNode(colander.Date(), title='Ends on', widget=date_widget(),
                                     validator=_end_date_valid)


class InsurerExportSchema(colander.MappingSchema):
    insurer = _text('Insurer', 200)
    first_day = colander.SchemaNode(colander.Date(), title='Services from',
                                    widget=date_widget())
    last_day = colander.SchemaNode(colander.Date(), title='Services to',
                                   widget=date_widget())


class RequestSchema(colander.MappingSchema):
    requester = _text('Who asked (name, organisation)', 200)
    requester_kind = _choice(REQUESTER_KINDS, 'They are', radio=True)
    received_on = colander.SchemaNode(colander.Date(), title='Received on',
                                      widget=date_widget())
    asked_for = _text('What they asked for', 2000, rows=3)
    outcome = _choice(OUTCOMES, 'Outcome', radio=True)
    note = _text('Note for the record (staff only)', 2000, missing='', rows=3)
