"""A guardian's (or a client's) own say in how the clinic contacts them.

The clinic keeps contact preferences on every record a person is tied to
(``contact``): one per child for a guardian, the client's own record for a
client.  The person has one phone and one inbox, so what they set from
their account applies to every one of their records at once; staff see
it on each client page straight away, with the day it was set.

What the person sees and sets are the channels (email, texts, calls,
voicemail) and a note in their own words.  The staff's internal
instructions on a record are never shown to them, and never changed here.
Each record that changed is on the audit trail (under its client, fields
named, values not) and in the client's guardianship log; a staff edit
started before the person's change is refused as stale (``revision``).
"""
from minorconsent.audit.recorder import note
from minorconsent.site.clock import utcnow

from .revision import bump

CHANNELS = ('email_ok', 'sms_ok', 'phone_ok', 'voicemail_ok')


def own_records(clinic, user):
    """``[(client, ContactPreferences, edited)]`` of every record of
    ``user``; ``edited`` is what the staff form of that record checks the
    revision of (the guardian link, or the client's own preferences)."""
    clients = clinic['clients']
    found = []
    for client in clients.children_of(user.__name__):
        link = client['guardians'].get(user.__name__)
        if link is not None:
            found.append((client, link.contact, link))
    own = getattr(user, 'client_id', None)
    if own is not None and own in clients and clients[own].self_account_id == user.__name__:
        found.append((clients[own], clients[own].contact, clients[own].contact))
    return found


def current_preferences(clinic, user):
    """What the person's form shows: a channel is allowed only where every
    record allows it (the rule ``contact`` applies to email), and their
    newest note."""
    records = [contact for _client, contact, _edited in own_records(clinic, user)]
    values = {channel: all(getattr(c, channel) for c in records) for channel in CHANNELS}
    dated = sorted((c for c in records if c.own_changed), key=lambda c: c.own_changed)
    values['own_note'] = dated[-1].own_note if dated else ''
    return values


def set_own_preferences(clinic, user, values):
    """Apply the person's choices to every record of theirs; returns the
    number of records that changed."""
    now = utcnow()
    changed_records = 0
    for client, contact, edited in own_records(clinic, user):
        changed = [key for key in CHANNELS + ('own_note',)
                   if getattr(contact, key) != values[key]]
        if not changed:
            continue
        for key in changed:
            setattr(contact, key, values[key])
        contact.own_changed = now
        bump(edited)
        changed_records += 1
        fields = ', '.join(key.replace('_ok', '').replace('_', ' ') for key in changed)
        client.record_guardianship(user.__name__, user.__name__,
                                   'contact preferences set by the person', fields)
        note(client, 'contact.preferences_set', actor=user.__name__, detail=fields)
    return changed_records

