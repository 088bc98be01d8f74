"""Sending a reminder, by the daily task or by the therapist's button.

The mail says only that something in the portal waits for the person,
in their saved language, with a fresh single-use invitation link: the
database keeps only a link's hash, so a still-valid link cannot be sent
again, and a used or expired one opens nothing.  ``Invitations.issue``
cancels the person's earlier link, so only the newest works.  It never
names the child, the therapist or the document.

The mail joins the transaction (``site.mail.send``) with the record, the
agreement's event and the audit entry: all of them or none.
"""
from datetime import date, timedelta

from minorconsent.agreements.invitations import people_to_invite
from minorconsent.audit.recorder import note
from minorconsent.site.canonical import public_url
from minorconsent.site.clock import utcnow
from minorconsent.site.i18n import _, localizer_for
from minorconsent.site.mail import send

from .model import STOP_WORDS, due_day, pause_of, signer_ids, store_of, why_not

REMINDER_SUBJECT = _('Something waits for you')
REMINDER_TEXT = _('mail-reminder', default=(
    'Hello,\n\nSomething in ${portal} waits for you.\n\n'
    'Open this link to continue:\n${url}\n\n'
    'The link works once and expires on ${expires}. Any earlier link we sent\n'
    'you no longer works. If you were not expecting this message, you can\n'
    'ignore it.\n'))


class ReminderRefused(ValueError):
    """The person may not be reminded now; the message says why."""


def send_reminder(request, agreement, person, now=None, actor_id='system'):
    """Mail ``person`` a reminder of ``agreement`` with a fresh link and
    record it; returns the ``Reminder`` record.  The caller has checked
    that they may be reminded (``why_not``)."""
    clinic = request.clinic
    settings = clinic.settings
    now = now or utcnow()
    replace_lapsed_links(clinic, agreement, person.__name__, now)
    token = clinic.invitations.issue(agreement, person, settings.invitation_days, now)
    expires = (now + timedelta(days=settings.invitation_days)).date().isoformat()
    localizer = localizer_for(request, person.language)
    if not send(request, person, localizer.translate(REMINDER_SUBJECT),
                localizer.translate(_(REMINDER_TEXT, mapping={
                    'portal': settings.portal_name, 'expires': expires,
                    'url': public_url(request, 'invite', token)}))):
        raise ReminderRefused('No reminder was sent: this person does not accept email.')
    record = store_of(clinic, create=True).record_for(agreement, person.__name__)
    record.add_sent(now, actor_id)
    record.next_due = due_day(clinic, agreement, person.__name__, record)
    agreement.add_event('reminded', actor_id, 'reminder %d of %d sent to %s' % (
        record.count, settings.reminder_max, person.display_name), now=now)
    note(agreement, 'reminders.sent', actor=actor_id,
         detail='to %s, reminder %d' % (person.__name__, record.count))
    return record


def replace_lapsed_links(clinic, agreement, person_id, now):
    """Count the person's earlier links to ``agreement`` that lapsed unused
    as replaced by the reminder's new one (``Invitations.issue`` cancels
    only a link still valid).

    With the shipped settings a reminder goes out the day the previous
    link expires (both 7 days), at the hour the daily job runs: whether
    that link was still valid or had just expired depended on the minute,
    and an expired one made the therapists' task (``staff-invitations``)
    say "an invitation expired unused" on every reminder, though a new
    link went out with it.  Replaced, it is cancelled: the therapists hear
    of the person's last link only, when it lapses with nothing after it
    (or while the family's reminders are paused).
    """
    for invitation in clinic.invitations.for_agreement(agreement):
        if invitation.person_id == person_id and invitation.status(now) == 'expired':
            invitation.cancelled = now


def send_now(request, agreement, person_id, actor_id, today=None, now=None):
    """The therapist's "Send a reminder now": counts as one of the
    clinic's reminders; refused (``ReminderRefused``, nothing changed)
    when the person may not be reminded, with the reason."""
    clinic = request.clinic
    today = today or date.today()
    client = agreement.workflow_client()
    if person_id not in signer_ids(agreement):
        raise ReminderRefused('No reminder was sent: this agreement does not ask that '
                              'person to sign.')
    eligible = {u.__name__ for u in people_to_invite(agreement, clinic['users'])}
    store = store_of(clinic)
    record = store.get(agreement, person_id) if store is not None else None
    paused = pause_of(clinic, client.__name__) is not None
    reason = why_not(request, agreement, person_id, eligible, today, paused, record)
    if reason:
        raise ReminderRefused(refusal(reason, clinic.settings.reminder_max))
    return send_reminder(request, agreement, clinic['users'][person_id], now, actor_id)


def refusal(reason, most):
    """Why the button did nothing, as a sentence for the therapist."""
    if reason == 'all sent':
        return 'No reminder was sent: all %d reminders were sent already.' % most
    if reason == 'paused':
        return 'No reminder was sent: reminders are paused for this family. Resume them first.'
    return 'No reminder was sent: %s.' % STOP_WORDS.get(reason, reason)
