"""The rules that change a client's record and its guardian links, each
touching more than one object (the index, the guardian's account and
sessions, the guardianship log, the audit trail).  Views call them; they
raise ``StaleEdit`` or ``ValueError`` with the sentence staff read.
"""
from datetime import date

from minorconsent.audit.recorder import note

from .model import ContactPreferences, GuardianLink
from .revision import bump, check_revision, conflict_message


def link_guardian(clinic, client, guardian, relationship, legal_authority,
                  restricted=False, restriction_note='', actor_id='system', language=None):
    """Tie ``guardian`` to ``client`` and index the tie.

    Staff and adolescent-client accounts cannot be guardians: a typo must
    not hand a child's page to a colleague or to another young client.
    ``language`` is the one the therapist knows the guardian reads: kept
    on an account that has no language yet, so the first invitation email
    is in it; a language the person chose themselves is never overridden.
    """
    if guardian.__name__ in client['guardians']:
        raise ValueError('This guardian is already linked to this client.')
    if guardian.is_staff:
        raise ValueError('This address belongs to a staff account.')
    if guardian.has_role('adolescent') or guardian.__name__ == client.self_account_id:
        raise ValueError("This address belongs to a client's own account.")
    link = GuardianLink(guardian.__name__, relationship, legal_authority,
                        restricted, restriction_note)
    client['guardians'].add(link, guardian.__name__)
    if language in ('en', 'es') and getattr(guardian, 'language', None) is None:
        guardian.language = language
    if 'guardian' not in guardian.roles:
        clinic['users'].set_roles(guardian, guardian.roles + ('guardian',))
    clinic['clients'].reindex(client)
    client.record_guardianship(guardian.__name__, actor_id, 'linked', '%s%s%s' % (
        link.relationship_title, ', legal authority' if legal_authority else '',
        ', restricted' if restricted else ''))
    return link


def update_guardian_link(clinic, client, link, actor_id='system', **values):
    """Change a link; a narrowed link ends the guardian's sessions at once."""
    before = link.grants_portal_access(client, clinic.settings, date.today())
    changed = []
    for key in ('relationship', 'legal_authority', 'restricted',
                'restriction_note'):
        if key in values and getattr(link, key) != values[key]:
            setattr(link, key, values[key])
            changed.append(key.replace('_', ' '))
    after = link.grants_portal_access(client, clinic.settings, date.today())
    if before and not after:
        clinic.sessions.end_all_for(link.guardian_id)
    if changed:
        kind = 'restricted' if 'restricted' in changed and link.restricted else 'changed'
        client.record_guardianship(link.guardian_id, actor_id, kind, ', '.join(
            c for c in changed if c != 'restriction note') or 'restriction note')


def unlink_guardian(clinic, client, guardian_id, actor_id='system'):
    """End a guardianship (a placement ends, a caseworker changes): access
    ends at once, with the guardian's sessions, and the end is recorded."""
    client['guardians'].remove(guardian_id)
    clinic['clients'].reindex(client)
    clinic.sessions.end_all_for(guardian_id)
    client.record_guardianship(guardian_id, actor_id, 'ended')


def edit_guardian_link(clinic, client, link, revision, values, actor_id='system'):
    """The staff edit rule of the guardian-link form (the link and the
    guardian's contact preferences, one form, one revision on the link).

    Raises ``StaleEdit`` (nothing changed) unless the form was built from
    the link's current revision, or already holds the stored values.
    Returns whether anything changed.
    """
    contact = {key: values[key] for key in ContactPreferences.FIELDS if key in values}
    link_values = {key: value for key, value in values.items() if key not in contact}
    unchanged = link.contact.same_as(contact) and all(
        getattr(link, key) == value for key, value in link_values.items())
    check_revision(link, revision, conflict_message('guardian link'), unchanged=unchanged)
    if unchanged:
        return False
    update_guardian_link(clinic, client, link, actor_id, **link_values)
    link.contact.update(**contact)
    bump(link)
    return True


#: What the client-record form edits (parsed values: tuples, None).
CLIENT_FIELDS = ('first_name', 'last_name', 'preferred_name', 'date_of_birth',
                 'diagnosis', 'diagnosis_codes', 'medications', 'custody_policy',
                 'therapist_ids', 'supervisor_id')


def client_details(client):
    return {key: getattr(client, key, None) for key in CLIENT_FIELDS}


def edit_client(clinic, client, revision, values, actor_id=None):
    """The staff edit rule of the client-record form.

    Raises ``StaleEdit`` (nothing changed) unless the form was built from
    the client's current revision, or already holds the stored values.
    Returns the names of the fields that changed; they, not their values
    (clinical), go to the audit trail.
    """
    current = client_details(client)

    def differs(key):
        if key == 'therapist_ids':     # order is not part of the choice
            return set(current[key]) != set(values[key])
        return current[key] != values[key]
    changed = [key for key in CLIENT_FIELDS if key in values and differs(key)]
    check_revision(client, revision, conflict_message('client record'),
                   unchanged=not changed)
    if not changed:
        return []
    for key in changed:
        if key not in ('therapist_ids', 'supervisor_id'):
            setattr(client, key, values[key])
    assign_therapists(clinic, client, sorted(values.get('therapist_ids', client.therapist_ids)),
                      values.get('supervisor_id', client.supervisor_id))
    bump(client)
    note(client, 'client.edit', actor=actor_id, detail='revision %d: %s' % (
        client.revision, ', '.join(key.replace('_', ' ') for key in changed)))
    return changed


def assign_therapists(clinic, client, therapist_ids, supervisor_id=None):
    client.therapist_ids = tuple(therapist_ids)
    client.supervisor_id = supervisor_id
    clinic['clients'].reindex(client)
