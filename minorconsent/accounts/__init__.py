"""Accounts: people who sign in, their global roles, and the rules for
changing them (``model``); signing in (``signin``, ``twofactor``), a
forgotten password (``reset``), a first password (``setup``), a new address (``emailchange``) or second
factor (``factorchange``), and the pages for each.

Every change that narrows what a person may do (disabling, a removed role, a
new password) ends that person's sessions in the same transaction, so the
change holds from the next request on, on every device.  So does a change
of email address (``emailchange``), which also tells the old address.
"""
from minorconsent.site.clock import utcnow  # noqa: F401  (imported from here by tests)
from minorconsent.site.settings import SettingsChanged

from . import evolve
# The room's API; databases built before accounts/model.py name User and
# Users by this package, so the names stay here.
from .model import (  # noqa: F401
    ADMIN, ADOLESCENT, GUARDIAN, PRIVACY_OFFICER, ROLE_TITLES, ROLES, SOLE_ROLES,
    STAFF_ROLES, SUPERVISOR, THERAPIST, User, Users, admin_label, change_roles,
    is_client_account, normalize_email, set_active, set_password)
from .signin import authenticate  # noqa: F401
from .subscribers import sign_out_unenrolled_staff_when_required


def includeme(config):
    config.add_evolve_step('0002-accounts-users', evolve.add_users)
    config.add_evolve_step('0005-accounts-sign-in-throttle', evolve.add_throttle)
    config.add_evolve_step('0011-accounts-two-factor-and-reset',
                           evolve.add_two_factor_and_reset)
    config.add_evolve_step('0013-accounts-email-changes', evolve.add_email_changes)
    config.add_evolve_step('0025-accounts-conflict-free-throttle',
                           evolve.conflict_free_throttle)
    config.add_evolve_step('0026-accounts-conflict-free-resets', evolve.conflict_free_resets)
    config.add_evolve_step('0028-accounts-setup-links', evolve.add_setup_links)
    config.add_subscriber(sign_out_unenrolled_staff_when_required, SettingsChanged)
    config.include('.hidden')
    config.scan('.views')
    config.scan('.twofactor_views')
    config.scan('.reset_views')
    config.scan('.email_views')
    config.scan('.setup_views')
