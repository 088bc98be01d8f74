"""Reminders: a person a document waits for is nudged, content-free, until
they act or the reason ends (issue 17 item 2).

``model``: who is due, why not, the records and the paused families
(``paused_clients``); ``sending``: the mail and the therapist's "send
now"; ``daily``: the daily task; ``subscribers``: a signature or a step
out of waiting stops the records; ``views``: the client page's panel and
its actions; ``schemas``; ``evolve``.  This module registers them.
"""
from minorconsent.clients.views import add_client_panel

from .daily import ORDER, TASK, remind
from .views import reminder_panel


def includeme(config):
    config.include('.evolve')
    config.include('.subscribers')
    config.add_daily_task(TASK, remind, order=ORDER)
    # The client page shows the panel without importing this room.
    add_client_panel(config, reminder_panel)
    # The panel says "declined the agreement" from this state.
    for kind in ('consent', 'confidentiality', 'release'):
        config.require_workflow_state(
            kind, 'declined', 'the reminders stop, and the therapist is told the family '
            'declined, when an agreement is in this state')
    config.scan('.views')
