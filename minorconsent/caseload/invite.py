"""``--invite TEXT ...``: after an import, ask the families of the file's
clients to sign the named agreement texts.

Why through ``start_agreement`` and the kind's sending step, fired as the
client's therapist: that is what the therapist's own "start" and "send"
do, so who signs (the guardians with authority and no restriction, the
teen's assent), the invitation mail (content-free, in each person's
language, the one email rule) and the agreement's events are the app's,
not a copy.  Only when the operator names the texts: a clinic that brings
its caseload in may hold signed paper consents already.

Idempotent like the rest of the import: a client who has any agreement of
that kind but a superseded one (waiting, in force, declined, revoked,
expired, ended: each a decision of the family or of staff) is not asked
again by a file; a new one is the therapist's to send.  Each agreement
sent says so in its events: "sent by caseload import <label>, run by
<actor>".
"""
from types import SimpleNamespace

from minorconsent.agreements.kinds import sending_step
from minorconsent.agreements.lifecycle import StartRefused, start_agreement
from minorconsent.agreements.periods import sender_for
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import WorkflowError, available, fire

from .store import find_client

#: The one state in which an agreement of the kind does not stop a new one:
#: replaced by a newer version, which itself stops it.
REPLACED = ('superseded',)
BATCH = 100


def invite_all(clinic, run, texts, commit=None):
    """Start and send an agreement of each text for every client of the
    file that holds none; counts 'agreements sent' and 'agreements not
    sent' on ``run``.  Needs ``run.request`` (the mail leaves with it)."""
    if run.request is None:
        return
    registry = run.request.registry
    done = 0
    for external_id in sorted(run.seen):
        client = find_client(clinic, external_id, by_app_id=not run.page)
        if client is None:
            continue
        for kind in texts:
            run.counts['agreements sent' if send_one(clinic, registry, client, kind, run)
                       else 'agreements not sent'] += 1
        done += 1
        if commit is not None and done % BATCH == 0:
            commit()


def send_one(clinic, registry, client, kind, run):
    """One agreement of ``kind`` sent for ``client``, unless it has one of
    that kind (but a superseded one), or the app refuses (no guardian who
    may sign, no therapist to send it): True when sent.  Never removes
    anything."""
    agreements = client.get('agreements')
    if agreements is not None and any(
            a.kind == kind and a.state not in REPLACED for a in agreements.values()):
        return False
    # The renewal's sender: the client's first active therapist.
    actor = sender_for(clinic, SimpleNamespace(workflow_client=lambda: client))
    if actor is None:
        return False
    try:
        agreement = start_agreement(clinic, client, kind, actor.id)
    except (StartRefused, ValueError):
        return False
    step = sending_step(clinic, agreement.workflow_id)
    guards = workflow_guards(registry)
    # Started but not sendable now (a guard says no): it stays, as when a
    # therapist starts one, and the therapist's page shows it waiting.
    if not any(t.id == step for t in available(agreement, actor, guards)):
        return False
    try:
        fire(agreement, step, actor, guards, registry=registry,
             comment='sent by %s, run by %s' % (run.label, run.actor_id))
    except WorkflowError:
        return False
    return True
