"""The events a workflow announces: an object started, a step taken.

What a step sets off (inviting signers, telling guardians, keeping the
signed PDF, superseding an older agreement) belongs to the step, not to
the page that happened to fire it: the engine notifies ``AfterTransition``
and each room's ``subscribers.py`` does its part, whatever route fired the
step (a staff page, the portal, the system).  The event carries no
request, so a script or the system fires steps the same way; a subscriber
that needs one (to send mail) asks ``pyramid.threadlocal``.

An object created straight into a state that waits for someone (a
disclosure recorded into "awaiting sign-off") took no step to get there:
``engine.start`` notifies ``Started`` for it, so that what a state means
for the people it waits for does not hang on how the object got into it.

Subscribers run inside the step's transaction: one that raises aborts the
whole step, so nothing is left half done.
"""
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AfterTransition:
    """``transition`` was fired on ``object`` by ``actor``: ``from_state``
    to ``to_state`` (ids), at ``now``, with ``comment`` (may be clinical:
    never mail it); ``registry`` is the one notified, for the guards of
    a step a subscriber fires in turn.  ``announce`` is False when the
    step is replayed rather than taken (the demo seed, a migration): its
    state changes still follow, but nobody is mailed about it."""
    object: object
    transition: object
    from_state: str
    to_state: str
    actor: object
    comment: str
    now: datetime
    registry: object
    announce: bool = True

    @property
    def transition_id(self):
        return self.transition.id


@dataclass(frozen=True)
class Started:
    """``object`` was put under ``workflow`` (the parsed definition of the
    version it runs under) at its initial ``state`` (an id) by ``actor_id``
    (a user id, or 'system'), at ``now``; ``registry`` is the one notified.
    No person's principals are known here: ``start`` is given an id."""
    object: object
    workflow: object
    state: str
    actor_id: str
    now: datetime
    registry: object
    announce: bool = True

    @property
    def workflow_id(self):
        return self.workflow.id


def on_step(*transition_ids, content=None):
    """Wrap ``subscriber`` to run only for these steps (any, if none
    named) on ``content`` (a class, or a tuple of classes)."""
    def decorate(subscriber):
        def run(event):
            if content is not None and not isinstance(event.object, content):
                return
            if transition_ids and event.transition_id not in transition_ids:
                return
            subscriber(event)
        run.__name__ = subscriber.__name__
        run.__doc__ = subscriber.__doc__
        run.__wrapped__ = subscriber
        return run
    return decorate
