"""Staff pages of a goal: the goal with its progress entries (who recorded
each, when, and its corrections) and the correction of one entry.

Therapist and supervisor read the page (``view-clinical``); only a
therapist corrects (``edit-clinical``).  A guardian or the client holds
neither, so they get the answer of a URL that does not exist.  The rule
of a correction is ``progress.correct_progress``.
"""
from pyramid.httpexceptions import HTTPNotFound

from minorconsent.clients import Goal
from minorconsent.clients.model import GOAL_STATUSES
from minorconsent.clients.views import ClientForm
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .model import ACHIEVEMENT_TITLES
from .progress import NotCorrected, correct_progress, entry_record, entry_records
from .schemas import CorrectionSchema

FORM_PAGE = 'minorconsent:clients/templates/form_page.pt'


@clinic_view(context=Goal, permission='view-clinical', renderer='templates/goal.pt')
def goal_page(request):
    goal = request.context
    client = goal.__parent__.__parent__
    users = request.clinic['users']

    def who(uid):
        user = users.get(uid)
        return user.display_name if user is not None else 'former staff'
    return {'goal': goal, 'client': client, 'entries': entry_records(goal),
            'ratings': ACHIEVEMENT_TITLES, 'statuses': dict(GOAL_STATUSES), 'who': who,
            'may_edit': request.has_permission('edit-clinical', client)}


@clinic_view(context=Goal, name='correct-progress', permission='edit-clinical',
             renderer=FORM_PAGE)
class ProgressCorrect(ClientForm):
    """Correct one entry (``?entry=<number>``; the form posts it back)."""

    schema = CorrectionSchema()
    buttons = ('save correction',)
    record = None

    @property
    def heading(self):
        return 'Correct a progress entry on "%s"' % self.context.parent_title

    def before(self):
        params = self.request.POST if self.request.method == 'POST' else self.request.GET
        number = params.get('entry', '')
        # ASCII digits, bounded: '²' is a digit to str.isdigit and int()
        # refuses it, as it does 5,000 digits (found in review: a 500).
        wellformed = number.isascii() and number.isdigit() and len(number) <= 9
        self.record = entry_record(self.context, int(number)) if wellformed else None
        if self.record is None:
            raise HTTPNotFound()
        return None

    def page(self):
        return {'heading': self.heading, 'back': self.request.clinic_url(self.client()),
                'page_title': 'Goal'}

    def appstruct(self):
        entry = self.record.current
        return {'entry': self.record.number, 'day': entry.day, 'rating': entry.rating,
                'parent_note': entry.parent_note}

    def save_correction_success(self, values):
        try:
            correct_progress(self.context, values['entry'], values['day'], values['rating'],
                             values['parent_note'], values['reason'],
                             self.request.authenticated_userid)
        except NotCorrected as exc:
            return self.fail(exc.field, str(exc))
        return redirect(self.request, self.request.clinic_url(self.context), 'saved')
