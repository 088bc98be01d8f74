"""Colander schemas of the summaries room's forms."""
import colander
import deform

from minorconsent.site.forms import date_widget

from .model import ACHIEVEMENT


class ProgressSchema(colander.MappingSchema):
    day = colander.SchemaNode(colander.Date(), title='Date',
                              widget=date_widget())
    rating = colander.SchemaNode(colander.String(), title='How is it going?',
                                 widget=deform.widget.SelectWidget(values=ACHIEVEMENT),
                                 validator=colander.OneOf([k for k, _ in ACHIEVEMENT]))
    parent_note = colander.SchemaNode(
        colander.String(), title='Short note for guardians (optional)', missing='',
        validator=colander.Length(0, 300))


class SummarySchema(colander.MappingSchema):
    period = colander.SchemaNode(colander.String(), title='Period',
                                 description='e.g. "October and November"',
                                 validator=colander.Length(1, 80))
    parent_text = colander.SchemaNode(
        colander.String(), title='What guardians will read',
        description='Broad goals and progress only: never what was said in sessions.',
        widget=deform.widget.TextAreaWidget(rows=8), validator=colander.Length(1, 5000))


def rating_field(goal_id):
    return 'rating_' + goal_id


def summary_edit_schema(summary):
    """Period, text and one rating per goal line of this summary (the edit
    adds the revision the form is built from)."""
    schema = SummarySchema()
    for line in summary.goal_lines:
        schema.add(colander.SchemaNode(
            colander.String(), name=rating_field(line.goal_id),
            title='Rating: %s' % line.title, missing='',
            widget=deform.widget.SelectWidget(values=[('', 'Not rated')] + list(ACHIEVEMENT)),
            validator=colander.OneOf([''] + [k for k, _ in ACHIEVEMENT])))
    return schema


class CorrectionSchema(ProgressSchema):
    """A progress entry as it should have been, and why (the original
    stays in the entry's history)."""
    entry = colander.SchemaNode(colander.Int(), widget=deform.widget.HiddenWidget())
    reason = colander.SchemaNode(
        colander.String(), title='Why is it corrected?',
        description='Kept with the entry; staff only.',
        validator=colander.Length(1, 300))
