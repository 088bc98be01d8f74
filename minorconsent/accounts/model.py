"""Accounts: who signs in, their global roles, and the rules that change
them.

Every change that narrows what a person may do (disabling, a removed role, a
new password) ends that person's sessions in the same transaction, so the
change holds from the next request on, on every device.
"""

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from minorconsent.site import multimap
from minorconsent.site.clock import utcnow
from minorconsent.site.folder import Folder

ADMIN = 'admin'
THERAPIST = 'therapist'
SUPERVISOR = 'supervisor'
GUARDIAN = 'guardian'
ADOLESCENT = 'adolescent'
#: Reads the whole audit trail and the accounting of disclosures, nothing
#: else: who is a client and what was disclosed about whom is theirs to
#: know, not the admin's (who sees staff and system actions only).
PRIVACY_OFFICER = 'privacy_officer'

ROLES = (ADMIN, THERAPIST, SUPERVISOR, GUARDIAN, ADOLESCENT, PRIVACY_OFFICER)
ROLE_TITLES = {
    ADMIN: 'Clinic admin',
    THERAPIST: 'Therapist',
    SUPERVISOR: 'Supervisor',
    GUARDIAN: 'Parent or guardian',
    ADOLESCENT: 'Adolescent client',
    PRIVACY_OFFICER: 'Privacy officer',
}
STAFF_ROLES = (ADMIN, THERAPIST, SUPERVISOR, PRIVACY_OFFICER)
#: Roles an account holds alone (separation of duties): each oversees the
#: others, so it must not be one of them.
SOLE_ROLES = (ADMIN, PRIVACY_OFFICER)




def normalize_email(email):
    return (email or '').strip().lower()


class User(Persistent):
    """A person who signs in.  ``__name__`` is the opaque user id."""

    password_hash = None
    active = True
    supervisor_id = None     # therapists: who supervises them
    client_id = None         # adolescents: their own client record
    password_changed = None
    language = None          # 'en' or 'es'; None: follow the browser
    two_factor = None        # a twofactor.TwoFactor once they start enrolling
    # /users/<id> refused answers like a made-up id, to everyone
    # (site.views.forbidden, accounts/hidden.py): an id must not tell that
    # an account exists.
    not_acknowledged = True

    def __init__(self, email, display_name, roles=()):
        self.email = normalize_email(email)
        self.display_name = display_name
        self.roles = tuple(sorted(set(roles)))
        self.created = utcnow()

    def has_role(self, role):
        return role in self.roles

    @property
    def is_staff(self):
        return any(role in STAFF_ROLES for role in self.roles)


def is_client_account(user):
    """A client's own account (an adolescent's): its name is the client's.
    Linked to a client record, or holding the role, either suffices (an
    admin who unticks the role must not uncover the name)."""
    return user.client_id is not None or ADOLESCENT in user.roles


def admin_label(user):
    """How the clinic admin, who sees no client record, sees an account:
    by its name, but a client's own account by an opaque label
    ("Client account 1a2b3c4d", the start of its id): the admin learns
    that an account is a client's, never whose."""
    if is_client_account(user):
        return 'Client account %s' % user.__name__[:8]
    return user.display_name


class Users(Folder):
    """All accounts, with BTree indexes by email, role and supervisor."""

    def __init__(self):
        super().__init__()
        self.by_email = OOBTree()
        self.by_role = OOBTree()
        self.by_supervisor = OOBTree()

    # --- lookups -----------------------------------------------------------

    def former_owner(self, email):
        """The id of the account that once had ``email`` and changed it, or
        None.  The caseload import refuses an address another account
        left: a restricted or unlinked guardian must not come back under
        the old address as a new, unrestricted account."""
        former = getattr(self, 'former_emails', None)
        return former.get(normalize_email(email)) if former is not None else None

    def find_by_email(self, email):
        uid = self.by_email.get(normalize_email(email))
        return self.get(uid) if uid is not None else None

    def ids_with_role(self, role):
        return self.by_role.get(role, ())

    def with_role(self, role):
        return [self[uid] for uid in self.ids_with_role(role)]

    def supervised_by(self, supervisor_id):
        return self.by_supervisor.get(supervisor_id, ())

    def emails(self, start=None):
        """Users in email order, from ``start`` on (for paging)."""
        for uid in self.by_email.values(min=start):
            yield self[uid]

    def listing(self, role=None, prefix=''):
        """Users in email order, of ``role`` only and whose address starts
        with ``prefix`` when given (a client account's only when it is the
        whole address).  Walks the email index, loading only
        the accounts it yields (the role test reads the role index), so a
        page of a filtered list costs a page of accounts."""
        prefix = normalize_email(prefix)
        holders = set(self.by_role.get(role, ())) if role else None
        for email, uid in self.by_email.items(min=prefix or None):
            if prefix and not email.startswith(prefix):
                return
            if holders is None or uid in holders:
                user = self[uid]
                # A client's own address is shown to the admin only masked:
                # a prefix search would spell it out a letter at a time,
                # so it matches a client account only in full.
                if prefix and email != prefix and is_client_account(user):
                    continue
                yield user

    # --- changes -----------------------------------------------------------

    def add_user(self, user):
        if user.email in self.by_email:
            raise ValueError('An account with this address already exists.')
        uid = self.add(user)
        self.by_email[user.email] = uid
        for role in user.roles:
            multimap.add(self.by_role, role, uid)
        return uid

    def remove_user(self, user):
        """Forget an account and its index entries (erasure at the end of
        retention: ``clients.retention``)."""
        uid = user.__name__
        if self.by_email.get(user.email) == uid:
            del self.by_email[user.email]
        former = getattr(self, 'former_emails', None)
        if former is not None:      # small: only addresses that were changed
            for email in [e for e, owner in former.items() if owner == uid]:
                del former[email]
        for role in user.roles:
            multimap.discard(self.by_role, role, uid)
        if user.supervisor_id:
            multimap.discard(self.by_supervisor, user.supervisor_id, uid)
        self.remove(uid)

    def set_email(self, user, email):
        email = normalize_email(email)
        if email == user.email:
            return
        if email in self.by_email:
            raise ValueError('An account with this address already exists.')
        del self.by_email[user.email]
        # Remembered (made on the first change: no evolve step needed):
        # ``former_owner`` answers who left an address.
        former = getattr(self, 'former_emails', None)
        if former is None:
            former = self.former_emails = OOBTree()
        former[user.email] = user.__name__
        user.email = email
        self.by_email[email] = user.__name__

    def set_roles(self, user, roles):
        """Set ``user``'s roles; return the roles removed."""
        roles = tuple(sorted(set(roles)))
        removed = set(user.roles) - set(roles)
        for role in removed:
            multimap.discard(self.by_role, role, user.__name__)
        for role in set(roles) - set(user.roles):
            multimap.add(self.by_role, role, user.__name__)
        if roles != user.roles:
            user.roles = roles
        return removed

    def set_supervisor(self, user, supervisor_id):
        if user.supervisor_id == supervisor_id:
            return
        if user.supervisor_id is not None:
            multimap.discard(self.by_supervisor, user.supervisor_id, user.__name__)
        user.supervisor_id = supervisor_id
        if supervisor_id is not None:
            multimap.add(self.by_supervisor, supervisor_id, user.__name__)


# --- account rules that touch more than one object --------------------------

def set_password(clinic, passwords, user, password, keep_token=None):
    """Store a new password and end every other session of ``user``."""
    user.password_hash = passwords.hash(password)
    user.password_changed = utcnow()
    clinic.sign_in_throttle.record_success(user.email)
    clinic.sessions.end_all_for(user.__name__, except_token=keep_token)


def set_active(clinic, user, active):
    if user.active != active:
        user.active = active
    if not active:
        clinic.sessions.end_all_for(user.__name__)


def change_roles(clinic, user, roles):
    removed = clinic['users'].set_roles(user, roles)
    if removed:
        clinic.sessions.end_all_for(user.__name__)
    return removed
