"""The reminders room's evolve step (``site.evolve``: named, run once per
database, in name order).  The step name is recorded in every database
that ran it: never rename it."""
from .model import ReminderStore


def add_reminder_store(root, registry):
    """``clinic.reminders``: the reminder records and the paused families."""
    if getattr(root, 'reminders', None) is None:
        root.reminders = ReminderStore()


def includeme(config):
    config.add_evolve_step('0033-reminders-store', add_reminder_store)
