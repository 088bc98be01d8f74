"""The event a signature announces once it is recorded.

A signature is not a workflow step (the last one sets off the system's
``activate``), so rooms above that act on it (staff notices, reminders)
subscribe to ``Signed`` instead of being called from here.  Notified
inside the signing transaction, before the activation it may set off.
"""
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Signed:
    """``signer_id`` signed ``agreement`` at ``now`` (online or, with
    ``on_paper``, recorded by staff from paper)."""
    agreement: object
    signer_id: str
    now: datetime
    on_paper: bool = False


def announce_signature(registry, agreement, signer_id, now, on_paper=False):
    if registry is not None:
        registry.notify(Signed(agreement, signer_id, now, on_paper))
