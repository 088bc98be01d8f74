"""What signing and the agreements' steps set off here: the reminder
records of a person who signed, and of an agreement that stopped
waiting, say so at once (the staff page decides afresh anyway; the
record is for whoever reads it without asking, e.g. the to-do list)."""
from minorconsent.agreements.events import Signed
from minorconsent.agreements.model import Agreement
from minorconsent.agreements.renewal import WAITING
from minorconsent.site import find_clinic
from minorconsent.site.dates import local
from minorconsent.workflow.events import AfterTransition

from .model import store_of


def signed(event):
    store = store_of(find_clinic(event.agreement))
    record = store.get(event.agreement, event.signer_id) if store is not None else None
    if record is not None:
        record.stop('signed', _day(event.agreement, event.now))


def stepped(event):
    agreement = event.object
    if not isinstance(agreement, Agreement) or event.to_state in WAITING:
        return
    store = store_of(find_clinic(agreement))
    if store is None:
        return
    reason = 'declined' if event.to_state == 'declined' else 'not waiting'
    for record in store.for_agreement(agreement):
        if record.stopped != 'signed':
            record.stop(reason, _day(agreement, event.now))


def _day(agreement, now):
    return local(find_clinic(agreement).settings, now).date()


def includeme(config):
    config.add_subscriber(signed, Signed)
    config.add_subscriber(stepped, AfterTransition)
