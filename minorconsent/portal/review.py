"""The adolescent reads a summary before their guardians do, and either
lets it go ahead or asks for changes.  Their comment goes to the therapist
(in the summary's history) and never to a guardian."""
import colander
import deform

from minorconsent.site.forms import FormHandler
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view
from minorconsent.summaries.model import Summary
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, WorkflowError, fire

from .parentview import summary_view


class ChangesSchema(colander.MappingSchema):
    comment = colander.SchemaNode(
        colander.String(), title='What should change?',
        description='Only your therapist reads this.',
        widget=deform.widget.TextAreaWidget(rows=3), validator=colander.Length(1, 1000))


@clinic_view(context=Summary, name='review', permission='review',
             renderer='templates/review.pt')
def summary_review(request):
    summary = request.context
    form = FormHandler(request, ChangesSchema(), buttons=('ask for changes',), formid='changes')
    if request.method == 'POST' and request.POST.get('agree') == 'yes':
        summary.review_agreed = True
        # What they agreed to: an edit after this is text they never saw.
        summary.review_agreed_revision = summary.revision
        return redirect(request, request.clinic_url(summary.workflow_client(), 'mine'), 'saved')
    if form.submitted:
        values = form.validate()
        if values is not None:
            try:
                fire(summary, 'return_to_draft', Actor.from_request(request),
                     workflow_guards(request.registry), values['comment'])
            except WorkflowError as exc:
                form.fail('comment', str(exc))
            else:
                return redirect(request, request.clinic_url(summary.workflow_client(), 'mine'),
                                'saved')
    return {'summary': summary_view(summary), 'form': form.render()}
