"""Therapist views: progress on a goal, writing a summary, moving it
through its workflow, and previewing exactly what a guardian will see."""
import colander
import deform

from minorconsent.clients import Client, Goal
from minorconsent.site.forms import FormHandler, date_widget
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view
from minorconsent.agreements.views import agreement_error
from minorconsent.workflow import fire_posted_step, workflow_guards
from minorconsent.workflow.engine import Actor, WorkflowError, available, definition_of

from . import ACHIEVEMENT, add_progress, write_summary
from .model import ACHIEVEMENT_TITLES, Summary
from .notify import notify_guardians


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


@clinic_view(context=Goal, name='progress', permission='edit-clinical',
             renderer='minorconsent:clients/templates/form_page.pt')
def goal_progress(request):
    goal = request.context
    client = goal.__parent__.__parent__
    form = FormHandler(request, ProgressSchema(), buttons=('save progress',))
    if form.submitted:
        values = form.validate()
        if values is not None:
            add_progress(goal, values['day'], values['rating'], values['parent_note'],
                         request.authenticated_userid)
            return redirect(request, request.clinic_url(client), 'saved')
    return {'form': form.render(), 'heading': 'Progress on "%s"' % goal.parent_title,
            'back': request.clinic_url(client)}


@clinic_view(context=Client, name='add-summary', permission='edit-clinical',
             renderer='minorconsent:clients/templates/form_page.pt')
def summary_add(request):
    client = request.context
    form = FormHandler(request, SummarySchema(), buttons=('write draft',))
    if form.submitted:
        values = form.validate()
        if values is not None:
            summary = write_summary(request.clinic, client, values['period'],
                                    values['parent_text'], request.authenticated_userid)
            return redirect(request, request.clinic_url(summary), 'saved')
    return {'form': form.render(), 'heading': 'New summary for guardians',
            'back': request.clinic_url(client)}


@clinic_view(context=Summary, permission='view', renderer='templates/summary.pt')
def summary_page(request):
    summary = request.context
    return {'summary': summary, 'client': summary.workflow_client(),
            'state': definition_of(summary).state(summary.state),
            'steps': available(summary, Actor.from_request(request),
                               workflow_guards(request.registry)),
            'ratings': ACHIEVEMENT_TITLES, 'users': request.clinic['users']}


@clinic_view(context=Summary, name='step', permission='view', request_method='POST')
def summary_step(request):
    summary = request.context
    try:
        fire_posted_step(request, summary)
    except WorkflowError as exc:
        return agreement_error(request, str(exc))
    if summary.state == 'minor_review':
        summary.review_agreed = False      # a new round of review
    if summary.state == 'published':
        notify_guardians(request, summary)
    return redirect(request, request.clinic_url(summary), 'step-done')


@clinic_view(context=Summary, name='preview', permission='view',
             renderer='minorconsent:portal/templates/child.pt')
def summary_preview(request):
    """The guardian's page for this child, built by the same parent-view
    code, as it will look once this summary is published."""
    from minorconsent.portal.parentview import ParentChildView, clinic_contact, summary_view
    from minorconsent.portal.views import summary_macros
    summary = request.context
    client = summary.workflow_client()
    view = ParentChildView(ref=client.__name__, name=client.preferred_name or client.first_name,
                           summaries=(summary_view(summary),),
                           clinic=clinic_contact(request.clinic.settings))
    return {'child': view, 'summary_macros': summary_macros(), 'preview': True}
