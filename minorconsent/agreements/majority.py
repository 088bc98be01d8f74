"""The hand-over at majority, put on the record by the daily job.

Guardian access ends at majority by the access rules alone, decided at
every request (``clients.family``): nothing has to run for a guardian to
lose the portal on the client's 18th birthday.  But the guardians'
agreement in force would still read "Active" in its history and its FHIR
Consent.  The daily task ``majority`` expires it as the system on the
first run on or after the birthday, with "the client reached the age of
majority" in its history and an audit entry, where its workflow offers
the system the ``expire`` step (an admin's definition without it leaves
the agreement as it is, and the staff note beside it still says why).

The client's own consent (``minor_consents``) and agreements the client
or the therapist signed are theirs, not the guardians', and stay.
"""
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, available, fire

from .model import Agreement

REASON = 'the client reached the age of majority'


def guardians_agreement(agreement):
    """Signed by guardians for the client (not the client's own)."""
    return (isinstance(agreement, Agreement) and not agreement.minor_consents
            and bool(agreement.required_guardians))


def hand_over(run):
    """Expire every guardians' agreement in force of a client who is of
    age on ``run.today``; idempotent (an expired agreement is no longer
    in force, so a second run finds nothing)."""
    clinic, settings = run.clinic, run.clinic.settings
    guards = workflow_guards(run.registry)
    expired = clients = 0
    seen = set()
    for agreement in list(clinic['workflows'].members_in(('active',))):
        run.tick()
        if not guardians_agreement(agreement):
            continue
        client = agreement.workflow_client()
        if client.is_minor(settings, run.today):
            continue
        if not any(t.id == 'expire' for t in available(agreement, Actor.system(), guards,
                                                          run.today)):
            continue
        fire(agreement, 'expire', Actor.system(), guards, comment=REASON, now=run.now,
             today=run.today, registry=run.registry, announce=False)
        expired += 1
        if client.__name__ not in seen:
            seen.add(client.__name__)
            clients += 1
    return {'agreements expired': expired, 'clients of age': clients}


def includeme(config):
    config.add_daily_task('majority', hand_over, order=35)
