"""Why a family's reminders stopped while an agreement still waits for
them (issue 17, bad input: "a guardian with no email, a bounced address, a
link restricted mid-sequence: reminders stop, the therapist's list says
why").

The reasons are the reminders room's own (``reminders.model.stop_codes``,
which its ``standings`` asks too: decided afresh from the signing rules,
the person's address and the clinic's pauses), so the list and the client
page's reminders panel never disagree.  When the next reminder is due is
not asked: the list shows only why they stopped (and the admin's count,
over every waiting agreement, is spared reading the invitations).  Only a waiting agreement has stops worth a line: one that was
signed, declined or left the waiting state is done, not stuck.
"""
from dataclasses import dataclass

from minorconsent.reminders.model import STOP_WORDS, pause_of, stop_codes

#: Codes that are no stop to act on: still reminded, or done.
NOT_STOPPED = ('', 'signed', 'declined', 'not waiting')

#: The to-do list's words, where plainer than the panel's ``STOP_WORDS``.
WORDS = {
    'no address': 'no email address on file',
    'undeliverable': 'the email address bounced',
    'no email': 'does not accept email',
    'restricted': 'the link to the client was restricted',
    'all sent': 'all %(max)d reminders were sent and it is still unsigned',
    'paused': 'paused: %(reason)s',
}


@dataclass(frozen=True)
class MailContext:
    """What the reminders' rules ask of a request (``site.mail.may_email``
    reads the registry's one email rule and the clinic), for a list built
    where there is no request (the admin's counts, a test, a script)."""
    clinic: object
    registry: object


def words_for(clinic, code, client_id):
    """The plain reason of a stop code, with the pause's reason on record
    or the clinic's maximum where it has one."""
    text = WORDS.get(code) or STOP_WORDS.get(code, code)
    if code == 'paused':
        pause = pause_of(clinic, client_id)
        return text % {'reason': (pause.reason if pause is not None else '') or 'no reason given'}
    if code == 'all sent':
        return text % {'max': clinic.settings.reminder_max}
    return text


def stopped_signers(clinic, registry, agreement, today):
    """``[(person name, plain reason), ...]`` of the signers of a waiting
    ``agreement`` whose reminders stopped, in signer order."""
    users = clinic['users']
    client_id = agreement.workflow_client().__name__
    found = []
    for uid, _record, code in stop_codes(MailContext(clinic, registry), agreement, today):
        if code not in NOT_STOPPED:
            user = users.get(uid)
            found.append((user.display_name if user is not None else 'former account',
                          words_for(clinic, code, client_id)))
    return found
