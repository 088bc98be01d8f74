"""The adolescent reads a summary before their guardians do, and either
lets it go ahead or asks for changes.  Their comment goes to the therapist
(in the summary's history) and never to a guardian."""
from minorconsent.site.forms import FormView
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view
from minorconsent.summaries.model import Summary
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, WorkflowError, fire

from .parentview import summary_view
from .schemas import ChangesSchema


@clinic_view(context=Summary, name='review', permission='review',
             renderer='templates/review.pt')
class SummaryReview(FormView):
    """The client's review: a button to let the summary go ahead (its own
    small form, handled in ``before``), or this form asking for changes,
    which sends the summary back to the therapist's draft."""
    schema = ChangesSchema()
    buttons = ('ask for changes',)
    formid = 'changes'

    def done(self, message):
        return redirect(self.request,
                        self.request.clinic_url(self.context.workflow_client(), 'mine'), message)

    def before(self):
        request, summary = self.request, self.context
        if request.method == 'POST' and request.POST.get('agree') == 'yes':
            summary.review_agreed = True
            # What they agreed to: an edit after this is text they never saw.
            summary.review_agreed_revision = summary.revision
            return self.done('review-agreed')
        return None

    def page(self):
        return {'summary': summary_view(self.context)}

    def ask_for_changes_success(self, values):
        try:
            fire(self.context, 'return_to_draft', Actor.from_request(self.request),
                 workflow_guards(self.request.registry), values['comment'])
        except WorkflowError as exc:
            return self.fail('comment', str(exc))
        return self.done('changes-asked')
