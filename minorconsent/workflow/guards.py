"""Named guard conditions.

Definitions only *name* guards; the conditions are code, registered here
(or by another room with ``config.add_workflow_guard``), so an admin never
writes code into a definition.  A guard answers for one object, one actor,
one moment, and fails closed: an object that cannot answer a question (for
example, a summary asked about signatures) does not pass.
"""
from dataclasses import dataclass
from datetime import date

from minorconsent.site import find_clinic


@dataclass(frozen=True)
class GuardContext:
    obj: object
    client: object          # the minor the object is about
    settings: object        # the clinic settings
    actor_id: str           # a user id, or 'system'
    today: date


def client_is_minor(ctx):
    """The client is under the clinic's age of majority today."""
    return ctx.client is not None and ctx.client.is_minor(ctx.settings, ctx.today)


def client_has_own_account(ctx):
    """The client has their own sign-in (needed to ask them to review)."""
    return ctx.client is not None and bool(ctx.client.self_account_id)


def all_required_guardians_signed(ctx):
    """Every guardian whose signature the object requires has signed."""
    check = getattr(ctx.obj, 'required_signatures_complete', None)
    return bool(check and check(ctx))


def minor_assented_or_not_required(ctx):
    """The minor assented, or their assent is not required."""
    check = getattr(ctx.obj, 'minor_assent_satisfied', None)
    return bool(check and check(ctx))


def consenting_guardian(ctx):
    """The actor is a guardian of the client with legal authority to
    consent and no court-ordered restriction."""
    if ctx.client is None or ctx.actor_id == 'system':
        return False
    link = ctx.client['guardians'].get(ctx.actor_id)
    return link is not None and link.legal_authority and not link.restricted


def asked_to_sign(ctx):
    """The actor is a consenting party the object asks to sign (the client
    where they consent alone, else a required guardian)."""
    obj, client = ctx.obj, ctx.client
    if getattr(obj, 'minor_consents', False):
        return client is not None and ctx.actor_id == client.self_account_id
    return ctx.actor_id in getattr(obj, 'required_guardians', ())


def signed_it(ctx):
    """The actor signed the object as a consenting party (an assent does
    not count)."""
    signature = getattr(ctx.obj, 'signatures', {}).get(ctx.actor_id)
    if signature is None:
        return False
    return signature.role == 'guardian' or bool(getattr(ctx.obj, 'minor_consents', False))


def client_has_no_supervisor(ctx):
    """Nobody can sign off: neither the client nor any of their therapists
    has a supervisor."""
    if ctx.client is None:
        return False
    return not ctx.client.supervisor_ids(find_clinic(ctx.client)['users'])


BUILT_IN = {
    'client_is_minor': client_is_minor,
    'client_has_own_account': client_has_own_account,
    'all_required_guardians_signed': all_required_guardians_signed,
    'minor_assented_or_not_required': minor_assented_or_not_required,
    'consenting_guardian': consenting_guardian,
    'asked_to_sign': asked_to_sign,
    'signed_it': signed_it,
    'client_has_no_supervisor': client_has_no_supervisor,
}
