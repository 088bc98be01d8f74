"""The daily task ``reminders`` (``site.daily``, order 40): send every
reminder due on or before the run's day.

It walks the waiting agreements from the workflow records' index, never
every client.  In the clinic's quiet hours it sends nothing and says so
(``run.postpone``): the next hourly run outside them does the day's work.
Each item is idempotent on its own, not only through the runner's day
record: a reminder sent today moves the person's next due day
``reminder_every_days`` ahead, so a second run the same day (a crash
between batches, a ``--date`` run of a past day) finds nothing due.
"""
from minorconsent.agreements.invitations import people_to_invite

from .model import due_day, signer_ids, store_of, waiting_agreements, why_not
from .sending import send_reminder

TASK = 'reminders'
ORDER = 40


def remind(run):
    """Send what is due on ``run.today``; note why anyone due was not
    reminded.  Returns counts for the log."""
    if run.quiet:
        run.postpone()
    clinic, request = run.clinic, run.request
    users = clinic['users']
    store = store_of(clinic)
    pauses = store.pauses if store is not None else {}
    report = {'sent': 0, 'stopped': 0, 'agreements': 0}
    for agreement in list(waiting_agreements(clinic)):
        run.tick()
        report['agreements'] += 1
        eligible = None
        paused = agreement.workflow_client().__name__ in pauses
        for uid in signer_ids(agreement):
            record = store.get(agreement, uid) if store is not None else None
            due = due_day(clinic, agreement, uid, record)
            if due is None or due > run.today:
                continue
            if eligible is None:
                eligible = {u.__name__ for u in people_to_invite(agreement, users)}
            reason = why_not(request, agreement, uid, eligible, run.today, paused, record)
            if reason:
                store = store_of(clinic, create=True)
                if store.record_for(agreement, uid).stop(reason, run.today):
                    report['stopped'] += 1
                continue
            send_reminder(request, agreement, users[uid], run.now, 'system')
            store = store_of(clinic)
            report['sent'] += 1
    return report
