"""Requests for information from third parties (a relative, a school, a
court), recorded with their outcome.

The default reply neither confirms nor denies that the child is a client:
to anyone not entitled, the clinic's answer is the same whether or not it
knows the child.
"""
from datetime import date

from persistent import Persistent

from minorconsent.audit.recorder import note
from minorconsent.site.clock import utcnow

from .model import DisclosureRefused, client_folder

REQUESTER_KINDS = (
    ('relative', 'A relative (not a guardian with access)'),
    ('school', 'A school'),
    ('court', 'A court or attorney'),
    ('agency', 'An agency'),
    ('other', 'Someone else'),
)
OUTCOMES = (
    ('ncnd', 'Answered with the standard reply (neither confirms nor denies)'),
    ('declined', 'Declined'),
    ('release', 'Answered under a live release of information (record the disclosure)'),
    ('court_order', 'Complied with a court order (record the disclosure)'),
    ('pending', 'Still open'),
)
OUTCOME_TITLES = dict(OUTCOMES)
KIND_TITLES = dict(REQUESTER_KINDS)

#: The standard reply.  It names no one and confirms nothing.
STANDARD_REPLY = (
    'Thank you for your request. To protect the privacy of the people we serve, '
    'we can neither confirm nor deny that any person is or has been seen at this '
    'practice. If you believe you are entitled to information, please send a written '
    'authorization signed by the person with the legal right to give it, or a court '
    'order, and we will respond as the law requires.'
)


class ThirdPartyRequest(Persistent):
    def __init__(self, requester, requester_kind, received_on, asked_for, outcome,
                 note_text, recorded_by):
        self.requester = requester
        self.requester_kind = requester_kind
        self.received_on = received_on
        self.asked_for = asked_for
        self.outcome = outcome
        self.note = note_text
        self.recorded_by = recorded_by
        self.recorded_at = utcnow()


def record_request(client, actor_id, requester, requester_kind, received_on, asked_for,
                   outcome, note_text='', today=None):
    if received_on > (today or date.today()):
        raise DisclosureRefused('received_on', 'The date cannot be in the future.')
    request = ThirdPartyRequest(' '.join(requester.split()), requester_kind, received_on,
                                asked_for.strip(), outcome, note_text.strip(), actor_id)
    client_folder(client, 'requests').add(request)
    note(request, 'request.record', actor=actor_id,
         detail='%s request; outcome %s' % (requester_kind, outcome))
    return request


def requests_of(client):
    if 'requests' not in client:
        return []
    return sorted(client['requests'].values(), key=lambda r: r.received_on, reverse=True)
