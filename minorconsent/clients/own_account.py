"""The client's own sign-in: the rules that give an adolescent client their
own account, and take it back.

With their own account the client assents to their agreements, reviews a
summary before their guardians see it, consents in their own name from the
jurisdiction's age, and signs their own consent at majority.  The
therapist offers it from the age the clinic sets (``own_account_age``,
default 12); below it the offer is refused with the reason.

The account and the record point at each other (``client.self_account_id``
and ``user.client_id``), and the account holds the ``adolescent`` role.  It
keeps that role after the link ends: the clinic admin sees a client's own
account only by an opaque label (``accounts.admin_label``), and a role
removed would uncover the client's name on the admin's list.

Which address may become a client's own sign-in: a new one, an account
the admin made as a client account and never linked, or this client's own
former account.  A staff
member's, a guardian's, or another client's account is refused with one
sentence that does not say which of these it is: the therapist asking need
not learn who else is at the clinic.
"""
from datetime import date

from minorconsent.accounts import ADOLESCENT, User
from minorconsent.audit.recorder import note

from .contact import accepts_email

NOT_AVAILABLE = ('This address belongs to another account at the clinic. '
                 "Ask the client for an address of their own.")


class OwnAccountRefused(ValueError):
    """Why the client cannot have this sign-in now: ``field`` is the form
    field it belongs next to ('' for the page as a whole)."""

    def __init__(self, message, field=''):
        super().__init__(message)
        self.field = field


def offer_refusal(client, settings, today=None):
    """The sentence saying why the client may not be offered their own
    sign-in today, or None."""
    age = client.age(today or date.today())
    if age < settings.own_account_age:
        return ('The client is %d. The clinic offers a client their own sign-in from '
                'age %d (clinic settings).' % (age, settings.own_account_age))
    return None


def own_account(clinic, client):
    """The client's own account, or None."""
    if not client.self_account_id:
        return None
    return clinic['users'].get(client.self_account_id)


def may_become_own_account(account, client):
    """Whether an existing ``account`` may be this client's own sign-in: a
    client account (no other role) that is this client's, was this
    client's before, or was made by the admin and never linked.  A former
    client's account is never handed to another client: whoever holds its
    password would land on another family's record."""
    if account.is_staff or set(account.roles) - {ADOLESCENT}:
        return False
    if account.client_id is not None:
        return account.client_id == client.__name__
    former = getattr(account, 'former_client_id', None)
    return former is None or former == client.__name__


def account_for_address(clinic, client, email, display_name):
    """``(account, created)``: the account at ``email`` that may become the
    client's own sign-in, made (without a password) when there is none.

    Raises ``OwnAccountRefused`` for an address that may not."""
    users = clinic['users']
    account = users.find_by_email(email)
    if account is None:
        account = User(email, display_name, [ADOLESCENT])
        users.add_user(account)
        return account, True
    if not may_become_own_account(account, client):
        raise OwnAccountRefused(NOT_AVAILABLE, 'email')
    return account, False


def link_own_account(clinic, client, account, actor_id, today=None):
    """Make ``account`` the client's own sign-in (see the module's rules)."""
    refusal = offer_refusal(client, clinic.settings, today)
    if refusal:
        raise OwnAccountRefused(refusal)
    if client.self_account_id and client.self_account_id != account.__name__:
        raise OwnAccountRefused('The client already has their own sign-in: end it first.')
    if not may_become_own_account(account, client):
        raise OwnAccountRefused(NOT_AVAILABLE, 'email')
    if ADOLESCENT not in account.roles:
        clinic['users'].set_roles(account, account.roles + (ADOLESCENT,))
    account.client_id = client.__name__
    client.self_account_id = account.__name__
    client.record_guardianship(account.__name__, actor_id, 'own sign-in given')
    note(client, 'client.own_account_linked', actor=actor_id)


def end_own_account(clinic, client, actor_id):
    """Take the client's own sign-in back: the link ends, and with it every
    session of the account and its unused set-up link, in this
    transaction, so the next request of the client's browser is signed
    out.  Agreement invitations sent to it stop working by themselves
    (``agreements.invitations`` asks who may sign at every use)."""
    account = own_account(clinic, client)
    uid = client.self_account_id
    if not uid:
        return False
    client.self_account_id = None
    # Remembered both ways: the account may be linked again to this client
    # only, and erasure of the record takes it too (``retention``).
    client.former_account_ids = tuple(getattr(client, 'former_account_ids', ())) + (uid,)
    if account is not None:
        if account.client_id == client.__name__:
            account.client_id = None
            account.former_client_id = client.__name__
        clinic.sessions.end_all_for(uid)
        clinic.setup_links.cancel_for(uid)
    client.record_guardianship(uid, actor_id, 'own sign-in ended')
    note(client, 'client.own_account_ended', actor=actor_id)
    return True


def may_mail_client(clinic, client, account):
    """Whether the invitation can go by email: the client's own contact
    preferences (and any other record of the person) must allow it."""
    return accepts_email(clinic, account) and client.contact.email_ok
