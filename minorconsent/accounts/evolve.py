"""The accounts room's evolve steps (``site/evolve.py``), registered from
``__init__.py``.  A step's registered name is what the database records,
so names never change; a new database runs every step in name order.
"""
from .emailchange import EmailChanges
from .model import Users
from .reset import PasswordResets, Resets, sharded
from .setup import SetupLinks
from .throttle import AddressThrottle, SignInThrottle, conflict_free
from .twofactor import PendingSignIns


def add_users(root, registry):
    root.add(Users(), 'users')


def add_throttle(root, registry):
    root.sign_in_throttle = AddressThrottle()


def add_two_factor_and_reset(root, registry):
    root.pending_sign_ins = PendingSignIns()
    root.password_resets = Resets()


def add_email_changes(root, registry):
    root.email_changes = EmailChanges()


def conflict_free_throttle(root, registry):
    """The sign-in counts move to shards that merge concurrent failures
    (``throttle.AddressThrottle``), keeping every live count."""
    if isinstance(root.sign_in_throttle, SignInThrottle):
        root.sign_in_throttle = conflict_free(root.sign_in_throttle)


def conflict_free_resets(root, registry):
    """Password-reset requests and links move to shards that merge
    concurrent requests (``reset.Resets``), keeping live links and the
    hour's requests."""
    if isinstance(root.password_resets, PasswordResets):
        root.password_resets = sharded(root.password_resets)


def add_setup_links(root, registry):
    """Set-up links for accounts made by the clinic (``setup``)."""
    root.setup_links = SetupLinks()
