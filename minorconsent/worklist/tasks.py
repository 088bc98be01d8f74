"""The room's daily tasks (``site.daily``): what only time reveals.

* ``bounces`` (order 10): the mail sender moves a message it could not
  deliver for a day to the queue's ``failed/`` folder with a ``.json``
  saying to whom (``site.delivery._failed_attempt``).  Each such file is
  read once (its name is remembered): the accounts with that address get
  ``mail_undeliverable`` (the day; reminders stop on it), and the
  therapists of the clients they are family of are told.
* ``staff-invitations`` (order 50): an invitation to sign that expired
  unused, while its agreement still waits, is told to the therapists once.
* ``staff-awaiting`` (order 60): a document a person records into a state
  that waits for its supervisor is told at once (``subscribers.started``);
  one a script started (the seed, an import) is not, and a supervisor
  named later has not been told either: this finds every document waiting
  for a supervisor that was not told yet.
* ``staff-digest`` (order 90): the daily digest (``notices.send_digests``).
"""
import json
import os

from minorconsent.agreements.model import Agreement
from minorconsent.agreements.subscribers import WAITING
from minorconsent.site.mail import queue_path

from .notices import notify_staff, send_digests, store_of
from .sections import SUPERVISED_TYPES, awaiting_supervisor, supervisor_states
from .subscribers import tell_supervisors

def failed_folder(settings):
    return os.path.join(queue_path(settings), 'failed')


def read_failed(folder):
    """``[(file name, [address, ...]), ...]`` of the failed messages."""
    found = []
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return found
    for name in names:
        if not name.endswith('.json'):
            continue
        try:
            with open(os.path.join(folder, name), encoding='utf-8') as f:
                state = json.load(f)
        except (OSError, ValueError):
            continue
        to = state.get('to', '') if isinstance(state, dict) else ''
        found.append((name[:-len('.json')],
                      [a.strip() for a in str(to).split(',') if a.strip()]))
    return found


def clients_of(clinic, user):
    """Ids of the clients ``user`` is family of (guardian, or the client)."""
    ids = set(clinic['clients'].index.children_of(user.__name__))
    if getattr(user, 'client_id', None):
        ids.add(user.client_id)
    return sorted(ids)


def mark_bounces(run):
    clinic, store = run.clinic, store_of(run.clinic)
    users, clients = clinic['users'], clinic['clients']
    files = marked = told = 0
    for name, addresses in read_failed(failed_folder(run.request.registry.settings)):
        run.tick()
        key = 'bounce:' + name
        if key in store.done:
            continue
        store.done.add(key)
        files += 1
        for address in addresses:
            user = users.find_by_email(address)
            if user is None:
                continue
            if getattr(user, 'mail_undeliverable', None) is None:
                user.mail_undeliverable = run.today
                marked += 1
            for cid in clients_of(clinic, user):
                client = clients.get(cid)
                if client is not None:
                    told += len(notify_staff(clinic, run.request, client.therapist_ids,
                                             'bounced', cid, now=run.now))
    return {'failed files read': files, 'addresses marked': marked, 'staff told': told}


def expired_invitations(run):
    clinic = run.clinic
    invitations = clinic.invitations
    found = told = 0
    for agreement in list(clinic['workflows'].members_in(WAITING)):
        run.tick()
        if not isinstance(agreement, Agreement):
            continue
        for key in list(invitations.by_agreement.get(agreement.workflow_key, ())):
            invitation = invitations.by_hash.get(key)
            if invitation is None or invitation.status(run.now) != 'expired':
                continue
            client = agreement.workflow_client()
            tids = notify_staff(clinic, run.request, client.therapist_ids,
                                'invitation_expired', client.__name__,
                                key='invitation:' + key, now=run.now)
            found += 1 if tids else 0
            told += len(tids)
    return {'expired invitations told': found, 'staff told': told}


def awaiting_sweep(run):
    told = 0
    for record in list(run.clinic['workflows'].values()):
        if record.definition().content_type not in SUPERVISED_TYPES:
            continue
        states = set()
        for version in record.versions.keys():
            states |= supervisor_states(record.definition(version))
        for obj in list(record.members_in(states)):
            run.tick()
            if awaiting_supervisor(obj):
                told += len(tell_supervisors(obj, run.now, run.request))
    return {'supervisors told': told}


def includeme(config):
    config.add_daily_task('bounces', mark_bounces, order=10)
    config.add_daily_task('staff-invitations', expired_invitations, order=50)
    config.add_daily_task('staff-awaiting', awaiting_sweep, order=60)
    config.add_daily_task('staff-digest', send_digests, order=90)
