"""The reminders panel on the staff client page, and its three actions:
send a reminder now, pause a family's reminders (with a reason), resume.

The panel is the client page's (``clients.views.add_client_panel``): the
client's therapists and supervisor read it; the actions are the
therapist's (``edit-clinical``), so anyone else posting to them gets the
answer a client that does not exist gets.  Views stay thin: the rules
are in ``model`` and ``sending``.
"""
from datetime import date

from pyramid.renderers import render, render_to_response

from minorconsent.clients.model import Client
from minorconsent.clients.views import ClientForm
from minorconsent.site.clock import utcnow
from minorconsent.site.dates import local
from minorconsent.site.forms import FormHandler, button
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .model import WAITING, PauseRefused, client_standings, pause, pause_of, resume, store_of
from .schemas import PauseSchema
from .sending import ReminderRefused, send_now

PANEL = 'minorconsent.reminders:templates/panel.pt'
REFUSED = 'minorconsent.reminders:templates/refused.pt'
PAUSE_BUTTON = button('pause', 'Pause reminders for this family')


def reminder_panel(request, client):
    """The client page's "Reminders" section (HTML)."""
    clinic = request.clinic
    users = clinic['users']
    today = date.today()
    may_act = request.has_permission('edit-clinical', client)
    paused = pause_of(clinic, client.__name__)
    store = store_of(clinic)
    pause_form = None
    if may_act and paused is None:
        handler = FormHandler(request, PauseSchema(), buttons=(PAUSE_BUTTON,),
                              formid='pause-reminders')
        handler.form.action = request.clinic_url(client, 'pause-reminders')
        for field in handler.form.children:
            field.autofocus = None      # the client page is not this form's page
        pause_form = handler.render()
    return render(PANEL, {
        'client': client,
        'agreements': client_standings(request, client, today),
        'settings': clinic.settings,
        'paused': paused,
        'by_name': lambda uid: users[uid].display_name if uid in users else uid,
        'history': store.log(client.__name__) if store is not None else [],
        'may_act': may_act,
        'pause_form': pause_form,
    }, request=request)


def refused(request, message):
    """Nothing was done (400), with why and the way back."""
    response = render_to_response(REFUSED, {
        'refusal': message, 'back': request.clinic_url(request.context) + '#reminders-h'},
        request=request)
    response.status = 400
    return response


@clinic_view(context=Client, name='remind-now', permission='edit-clinical',
             request_method='POST')
def remind_now(request):
    client, clinic = request.context, request.clinic
    agreement_id = request.POST.get('agreement') or ''
    agreement = client['agreements'].get(agreement_id[:100]) \
        if 'agreements' in client else None
    if agreement is None or agreement.state not in WAITING:
        return refused(request, 'No reminder was sent: choose a person an agreement '
                                'waiting for signatures asks to sign.')
    settings = clinic.settings
    if settings.in_quiet_hours(local(settings, utcnow()).hour):
        return refused(request, 'No reminder was sent: it is inside the clinic\'s quiet hours '
                                '(%02d:00 to %02d:00). Send it after they end.'
                       % (settings.quiet_hours_start, settings.quiet_hours_end))
    try:
        send_now(request, agreement, (request.POST.get('person') or '')[:100],
                 request.authenticated_userid)
    except ReminderRefused as exc:
        return refused(request, str(exc))
    return redirect(request, request.clinic_url(client) + '#reminders-h', 'step-done')


@clinic_view(context=Client, name='pause-reminders', permission='edit-clinical',
             renderer='minorconsent:clients/templates/form_page.pt')
class PauseReminders(ClientForm):
    heading = 'Pause reminders for this family'
    schema = PauseSchema()
    buttons = (PAUSE_BUTTON,)
    formid = 'pause-reminders'

    def pause_success(self, values):
        request, client = self.request, self.context
        try:
            pause(request.clinic, client, values['reason'], request.authenticated_userid)
        except PauseRefused as exc:
            return self.fail('reason', str(exc))
        return redirect(request, request.clinic_url(client) + '#reminders-h', 'saved')


@clinic_view(context=Client, name='resume-reminders', permission='edit-clinical',
             request_method='POST')
def resume_reminders(request):
    client = request.context
    try:
        resume(request.clinic, client, request.authenticated_userid,
               (request.POST.get('reason') or '')[:1000])
    except PauseRefused as exc:
        return refused(request, str(exc))
    return redirect(request, request.clinic_url(client) + '#reminders-h', 'saved')
