"""Therapist views: progress on a goal, writing and editing a summary,
correcting a withdrawn one, and the door to the preview of exactly what a
guardian will see (the page itself is the portal's: ``set_summary_preview``).
A summary's steps go through the workflow room's one step view
(``config.add_step_view`` in ``includeme``); what they set off is in
``subscribers.py``."""
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound

from minorconsent.clients import Client, Goal, StaleEdit
from minorconsent.clients.views import ClientForm, RecordEdit, stale_edit
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, available, definition_of
from minorconsent.workflow.views import step_refused

from .audience import review_required, review_required_reason, summary_readers
from .drafts import NotCorrectable, write_correction, write_summary
from .model import ACHIEVEMENT_TITLES, Summary, add_progress
from .schemas import ProgressSchema, SummarySchema, rating_field, summary_edit_schema

FORM_PAGE = 'minorconsent:clients/templates/form_page.pt'


@clinic_view(context=Goal, name='progress', permission='edit-clinical', renderer=FORM_PAGE)
class GoalProgress(ClientForm):
    schema = ProgressSchema()
    buttons = ('save progress',)

    @property
    def heading(self):
        return 'Progress on "%s"' % self.context.parent_title

    def save_progress_success(self, values):
        add_progress(self.context, values['day'], values['rating'], values['parent_note'],
                     self.request.authenticated_userid)
        # To the goal's page, where the new entry is listed with the others.
        return redirect(self.request, self.request.clinic_url(self.context), 'saved')


@clinic_view(context=Client, name='add-summary', permission='edit-clinical',
             renderer=FORM_PAGE)
class SummaryAdd(ClientForm):
    heading = 'New summary for guardians'
    schema = SummarySchema()
    buttons = ('write draft',)

    def write_draft_success(self, values):
        summary = write_summary(self.request.clinic, self.context, values['period'],
                                values['parent_text'], self.request.authenticated_userid)
        return redirect(self.request, self.request.clinic_url(summary), 'saved')


def summary_version(summary):
    """The summary as the conflict page shows it: (label, text) pairs."""
    return ([('Period', summary.period), ('What guardians will read', summary.parent_text)] +
            [('Rating: %s' % line.title, ACHIEVEMENT_TITLES.get(line.rating, 'Not rated'))
             for line in summary.goal_lines])


@clinic_view(context=Summary, name='edit', permission='view', renderer=FORM_PAGE)
class SummaryEdit(RecordEdit):
    """Change a draft's text and goal ratings (``Summary.edit``).

    Registered with the summary's ``view`` permission and checked against
    the client's ``edit-clinical`` here, so a draft that was published or
    sent for review while the therapist typed gets the conflict page with
    their text (``Summary.edit`` refuses it) instead of a 404 that loses it.
    """

    heading = 'Edit the summary for guardians'

    def __call__(self):
        if not self.request.has_permission('edit-clinical', self.client()):
            raise HTTPForbidden()
        return super().__call__()

    def back(self):
        return self.request.clinic_url(self.context)

    def page(self):
        return {'heading': self.heading, 'back': self.back()}

    def edit_schema(self):
        return summary_edit_schema(self.context)

    def current_values(self):
        summary = self.context
        values = {'period': summary.period, 'parent_text': summary.parent_text}
        for gid, code in summary.ratings().items():
            values[rating_field(gid)] = code
        return values

    def show(self):
        summary = self.context
        if not self.form.submitted and summary.state not in Summary.EDITABLE_STATES:
            return {'form': '', 'heading': self.heading, 'back': self.back(), 'conflict': {
                'message': 'This summary is "%s": only a draft can be changed.' %
                           definition_of(summary).state(summary.state).title,
                'current': summary_version(summary)}}
        return super().show()

    def save_success(self, values):
        summary = self.context
        ratings = {line.goal_id: values[rating_field(line.goal_id)]
                   for line in summary.goal_lines}
        try:
            summary.edit(values.pop('revision'), values['period'], values['parent_text'],
                         ratings, self.request.authenticated_userid)
        except StaleEdit as exc:
            return stale_edit(self.request, self.form, exc, values, summary_version(summary),
                              self.heading, self.back())
        return redirect(self.request, self.back(), 'saved')


@clinic_view(context=Summary, permission='view', renderer='templates/summary.pt')
def summary_page(request):
    """The staff page of a summary.  Before it is published it says, in
    plain words, when no guardian could read it yet (``summary_readers``)
    and when the clinic requires the client's review first."""
    summary = request.context
    client = summary.workflow_client()
    settings = request.clinic.settings
    users = request.clinic['users']
    # Asked of a summary still on its way to the guardians only.
    ahead = summary.state not in ('published', 'withdrawn')
    readers = summary_readers(client) if ahead else None
    return {'summary': summary, 'client': client,
            'state': definition_of(summary).state(summary.state),
            'steps': available(summary, Actor.from_request(request),
                               workflow_guards(request.registry)),
            'nobody_reads': readers.why_nobody if ahead else '',
            'readers': [users[gid].display_name for gid in readers.guardian_ids]
            if ahead else [],
            'review_first': review_required_reason(settings)
            if ahead and review_required(client, settings)
            and not summary.review_agreed_now() else '',
            'ratings': ACHIEVEMENT_TITLES, 'users': request.clinic['users'],
            'may_edit': summary.state in Summary.EDITABLE_STATES and request.has_permission(
                'edit-clinical', summary.workflow_client()),
            'may_correct': summary.state == 'withdrawn' and request.has_permission(
                'edit-clinical', summary.workflow_client())}


@clinic_view(context=Summary, name='correct', permission='view', request_method='POST')
def summary_correct(request):
    """"Write a correction" of a withdrawn summary: a new draft that
    supersedes it, its text copied for editing (``write_correction``).

    Registered with the summary's ``view`` permission and checked against
    the client's ``edit-clinical`` here (a supervisor reads summaries but
    writes none).  Any other state is refused with a message and nothing
    is written.
    """
    summary = request.context
    client = summary.workflow_client()
    if not request.has_permission('edit-clinical', client):
        raise HTTPForbidden()
    try:
        draft = write_correction(client, summary, request.authenticated_userid)
    except NotCorrectable as exc:
        return step_refused(request, str(exc))
    return redirect(request, request.clinic_url(draft, 'edit'), 'saved')


#: Registry key of the page the staff preview shows (``set_summary_preview``).
PREVIEW_KEY = 'minorconsent.summary_preview'


def set_summary_preview(config, page):
    """``config.set_summary_preview(page)``: the page of the staff preview.

    ``page(request, summary)`` answers (a response) with the guardian's
    whole page for the summary's child as it will look once ``summary`` is
    published.  That page is the family portal's, which sits above this
    room, so it is registered rather than imported; this room only keeps
    the door (staff, the summary's ``view`` permission).
    """
    def register():
        config.registry[PREVIEW_KEY] = page
    config.action('minorconsent.summary_preview', register)


@clinic_view(context=Summary, name='preview', permission='view')
def summary_preview(request):
    """The guardian's page for this child with this summary as if published
    (``set_summary_preview``).  Staff only: a guardian never holds the
    summary's ``view`` permission.  Without a registered page: 404."""
    page = request.registry.get(PREVIEW_KEY)
    if page is None:
        raise HTTPNotFound()
    return page(request, request.context)
