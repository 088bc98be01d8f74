"""The minor client and what hangs off the client record.

A ``Client`` is a folder holding ``goals``, ``notes`` and ``guardians``.
Its ``__acl__`` is computed on every check from who is linked to it right
now, and ends in DENY_ALL: no site-wide grant (not even the admin's) ever
reaches a child's record.
"""
import re
from datetime import date, datetime, timedelta

from BTrees.IOBTree import IOBTree
from dataclasses import dataclass
from persistent import Persistent
from pyramid.authorization import DENY_ALL, Allow

from minorconsent.audit.recorder import note
from minorconsent.site import find_clinic
from minorconsent.site.folder import Folder
from minorconsent.site.memo import per_transaction
from minorconsent.site.clock import utcnow

from .revision import bump, check_revision, conflict_message

THERAPIST_PERMS = ('view-clinical', 'edit-clinical', 'view-notes', 'add-note')
SUPERVISOR_PERMS = ('view-clinical', 'view-notes')
GUARDIAN_PERMS = ('view-as-guardian',)
SELF_PERMS = ('view-as-self',)
ROLE_PERMS = {'therapist': THERAPIST_PERMS, 'supervisor': SUPERVISOR_PERMS,
              'guardian': GUARDIAN_PERMS, 'adolescent': SELF_PERMS}

RELATIONSHIPS = (
    ('mother', 'Mother'), ('father', 'Father'), ('parent', 'Parent'),
    ('step-parent', 'Step-parent'), ('grandparent', 'Grandparent'),
    ('foster-parent', 'Foster parent'), ('legal-guardian', 'Legal guardian'),
    ('caseworker', 'Caseworker'), ('other', 'Other'),
)

#: ICD-10-CM: a letter, two characters, then an optional dot and up to four.
#: The record's diagnosis codes are checked against it when staff enter
#: them; the insurer export sends them as stored.
ICD10 = re.compile(r'^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$')

#: FHIR R4 Goal.lifecycleStatus, the vocabulary for a goal's standing.
GOAL_STATUSES = (
    ('proposed', 'Proposed'), ('planned', 'Planned'), ('accepted', 'Accepted'),
    ('active', 'Active'), ('on-hold', 'On hold'), ('completed', 'Completed'),
    ('cancelled', 'Cancelled'),
)


def age_on(born, day):
    """Whole years from ``born`` to ``day`` (a 29 February birthday counts
    on 1 March in common years)."""
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


class ContactPreferences(Persistent):
    """How a person may be contacted; the therapist checks this before any
    call or message.  ``instructions`` is an internal staff comment."""

    email_ok = True
    sms_ok = False
    phone_ok = True
    voicemail_ok = False
    instructions = ''
    #: What the person asks of the clinic in their own words ("call my
    #: mobile only"), from their account (``own_contact``); staff read it.
    own_note = ''
    own_changed = None   # when the person last set their preferences
    revision = 0      # edits that landed (``minorconsent.clients.revision``)

    FIELDS = ('email_ok', 'sms_ok', 'phone_ok', 'voicemail_ok', 'instructions')

    def update(self, **values):
        """Set the given fields; the names of those that changed."""
        changed = []
        for key, value in values.items():
            if key in self.FIELDS and getattr(self, key) != value:
                setattr(self, key, value)
                changed.append(key)
        return changed

    def edit(self, revision, values):
        """The staff edit rule: apply ``values`` if the form was built from
        the current ``revision`` (else ``StaleEdit``, nothing changed)."""
        check_revision(self, revision, conflict_message('contact preferences'),
                       unchanged=self.same_as(values))
        changed = self.update(**values)
        if changed:
            bump(self)
        return changed

    def same_as(self, values):
        return all(getattr(self, key) == value for key, value in values.items()
                   if key in self.FIELDS)

    def as_dict(self):
        return {key: getattr(self, key) for key in self.FIELDS}


class GuardianLink(Persistent):
    """A guardian's tie to one child.  ``__name__`` is the guardian's user id.

    Legal authority to consent and a court-ordered restriction are recorded
    per child, because one parent may hold them for one child and not for
    another.
    """

    relationship = 'parent'
    legal_authority = True
    restricted = False
    restriction_note = ''   # internal: why access is restricted
    revision = 0            # edits of the link form that landed (with its contact)

    def __init__(self, guardian_id, relationship='parent', legal_authority=True,
                 restricted=False, restriction_note=''):
        self.guardian_id = guardian_id
        self.relationship = relationship
        self.legal_authority = legal_authority
        self.restricted = restricted
        self.restriction_note = restriction_note
        self.contact = ContactPreferences()
        self.created = utcnow()

    @property
    def relationship_title(self):
        return dict(RELATIONSHIPS).get(self.relationship, self.relationship)

    def grants_portal_access(self, client, settings, today):
        """May this guardian see the child's portal page today?

        Only a guardian with legal authority, not barred by a court order,
        while the child is a minor and the case is open (or closed less
        than the clinic's ``closed_case_access_days`` ago).  (Consent state
        joins this rule with the agreements feature.)
        """
        return (self.legal_authority and not self.restricted
                and client.is_minor(settings, today)
                and client.family_access_open(settings, today))


class Goal(Persistent):
    """A treatment goal.

    ``clinical_text`` is the therapist's own wording and stays in the
    clinic; ``parent_title`` and ``parent_description`` are written for
    guardians and are the only goal text a parent summary may ever use.
    """

    status = 'active'
    #: Edits that landed; the edit form's version token
    #: (why a counter and not ``_p_serial``: ``minorconsent.clients.revision``).
    revision = 0

    def __init__(self, clinical_text, parent_title, parent_description='',
                 status='active'):
        self.clinical_text = clinical_text
        self.parent_title = parent_title
        self.parent_description = parent_description
        self.status = status
        self.created = self.updated = utcnow()

    FIELDS = ('clinical_text', 'parent_title', 'parent_description', 'status')

    def update(self, **values):
        """Set the given fields; the names of those that changed."""
        changed = []
        for key, value in values.items():
            if key in self.FIELDS and getattr(self, key) != value:
                setattr(self, key, value)
                changed.append(key)
        if changed:
            self.updated = utcnow()
        return changed

    def edit(self, revision, values, actor_id=None):
        """The staff edit rule: apply ``values`` if the form was built from
        the current ``revision``, else raise ``StaleEdit`` and change nothing.

        A stale form whose values are already the goal's (a double-clicked
        *Save*) loses nothing and is accepted as a no-op.  A landed change
        counts one revision and is noted on the audit trail (field names
        only: the clinical wording never goes to the trail).
        """
        check_revision(self, revision, conflict_message('goal'),
                       unchanged=self.same_as(values))
        changed = self.update(**values)
        if changed:
            bump(self)
            note(self, 'goal.edit', actor=actor_id, detail='revision %d: %s' % (
                self.revision, ', '.join(key.replace('_', ' ') for key in changed)))
        return changed

    def same_as(self, values):
        return all(getattr(self, key) == value for key, value in values.items()
                   if key in self.FIELDS)


class Note(Persistent):
    """A private session note: therapist and supervisor only, never edited
    after the fact (a correction is a new note)."""

    def __init__(self, text, author_id, session_date=None):
        self.text = text
        self.author_id = author_id
        self.session_date = session_date
        self.created = utcnow()


@dataclass(frozen=True)
class GuardianshipEvent:
    """A change of who is a child's guardian, kept for the record."""
    time: datetime
    guardian_id: str
    actor_id: str
    kind: str          # linked, changed, restricted, ended
    detail: str = ''


class Client(Folder):
    """A minor in care.  Children: ``goals``, ``notes``, ``guardians``."""

    supervisor_id = None
    self_account_id = None   # the adolescent's own sign-in, if any
    closure = None           # a closing.CaseClosure once the case is closed
    diagnosis = ''           # clinical; insurers only, never guardians
    diagnosis_codes = ()     # ICD-10-CM codes, for the insurer export
    medications = ()         # one per line, for the insurer export
    preferred_name = ''
    custody_policy = None    # None: the clinic's rule; else 'all' or 'one'
    revision = 0             # edits of the client-record form that landed

    def __init__(self, first_name, last_name, date_of_birth, therapist_ids=()):
        super().__init__()
        self.first_name = first_name
        self.last_name = last_name
        self.date_of_birth = date_of_birth
        self.therapist_ids = tuple(therapist_ids)
        self.contact = ContactPreferences()
        self.created = utcnow()
        for name in ('goals', 'notes', 'guardians'):
            self.add(Folder(), name)

    @property
    def full_name(self):
        return '%s %s' % (self.first_name, self.last_name)

    def record_guardianship(self, guardian_id, actor_id, kind, detail=''):
        """Append to the client's guardianship log (append-only)."""
        log = getattr(self, 'guardianship_log', None)
        if log is None:
            log = self.guardianship_log = IOBTree()
        log[len(log)] = GuardianshipEvent(utcnow(), guardian_id, actor_id, kind, detail)

    def guardianship_events(self):
        log = getattr(self, 'guardianship_log', None)
        return list(log.values()) if log else []

    def age(self, today=None):
        return age_on(self.date_of_birth, today or date.today())

    def is_minor(self, settings, today=None):
        return self.age(today) < settings.age_of_majority

    def family_access_ends(self, settings):
        """The last day the family may read a closed case (``closing``),
        or None while the case is open."""
        if self.closure is None:
            return None
        return self.closure.last_service + timedelta(days=settings.closed_case_access_days)

    def family_access_open(self, settings, today=None):
        ends = self.family_access_ends(settings)
        return ends is None or (today or date.today()) <= ends

    def may_self_consent(self, settings, today=None):
        return self.age(today) >= settings.effective_self_consent_age()

    # --- who may do what -----------------------------------------------------

    def supervisor_ids(self, users):
        """Explicit supervisor plus the supervisors of assigned therapists."""
        ids = set()
        if self.supervisor_id:
            ids.add(self.supervisor_id)
        for tid in self.therapist_ids:
            therapist = users.get(tid)
            if therapist is not None and therapist.supervisor_id:
                ids.add(therapist.supervisor_id)
        return ids

    def entitled_guardian_ids(self, settings, today=None):
        today = today or date.today()
        return [link.guardian_id for link in self['guardians'].values()
                if link.grants_portal_access(self, settings, today)]

    def local_roles(self, users, settings, today=None):
        """``{principal: {role, ...}}`` of everyone linked to this client now.

        Roles: ``therapist``, ``supervisor``, ``guardian`` (entitled today
        only), ``adolescent`` (the client's own account).  The client's ACL
        and every workflowed object about this client start from this, so
        a family page asks it once per document: the answer is remembered
        while the transaction has written nothing (``site.memo``).
        """
        held = per_transaction(self, 'local_roles', (today or date.today(), id(users), id(settings)),
                               lambda: self._local_roles(users, settings, today))
        return {principal: set(roles) for principal, roles in held.items()}

    def _local_roles(self, users, settings, today):
        roles = {}
        today = today or date.today()
        supervisors = self.supervisor_ids(users)

        def grant(uid, role):
            user = users.get(uid)
            if user is not None and self._holds(user, role, supervisors, settings, today):
                roles.setdefault('user:' + uid, set()).add(role)
        for tid in self.therapist_ids:
            grant(tid, 'therapist')
        for sid in supervisors:
            grant(sid, 'supervisor')
        for gid in self['guardians'].keys():
            grant(gid, 'guardian')
        if self.self_account_id:
            grant(self.self_account_id, 'adolescent')
        return roles

    def _holds(self, user, role, supervisors, settings, today):
        """The one rule: does ``user`` hold the local ``role`` here today?

        A link counts only while the account is active and still holds the
        matching global role: taking the role away ends the access even
        where an id is still recorded on the client.
        """
        if not (user.active and user.has_role(role)):
            return False
        uid = user.__name__
        if role == 'therapist':
            return uid in self.therapist_ids
        if role == 'supervisor':
            return uid in supervisors
        if role == 'guardian':
            link = self['guardians'].get(uid)
            return link is not None and link.grants_portal_access(self, settings, today)
        if role == 'adolescent':
            return uid == self.self_account_id and self.family_access_open(settings, today)
        return False

    def roles_of(self, user, users, settings, today=None):
        """The local roles one person holds here: ``local_roles`` asked of
        one account.  Its cost does not grow with the people linked to the
        client (a supervisor's question aside), so asking it of a real
        client and of an empty stand-in takes the same time: traversal
        asks it of every client URL (``clients.hidden``)."""
        today = today or date.today()
        held = set()
        for role in ROLE_PERMS:
            if user.has_role(role):
                supervisors = self.supervisor_ids(users) if role == 'supervisor' else ()
                if self._holds(user, role, supervisors, settings, today):
                    held.add(role)
        return held

    def local_roles_for_document(self, keep_guardian):
        """``local_roles`` for a document about this client, keeping the
        guardian role only for guardian ids where ``keep_guardian(id)``.

        Documents narrow, never widen: an agreement keeps the guardians whose
        signature it asks for, a summary those whose consent is active.
        """
        clinic = find_clinic(self)
        roles = self.local_roles(clinic['users'], clinic.settings)
        for principal, held in list(roles.items()):
            if 'guardian' in held and not keep_guardian(principal[len('user:'):]):
                held = held - {'guardian'}
                if held:
                    roles[principal] = held
                else:
                    del roles[principal]
        return roles

    @property
    def __acl__(self):
        clinic = find_clinic(self)
        roles = self.local_roles(clinic['users'], clinic.settings)
        acl = []
        for principal, held in sorted(roles.items()):
            perms = sorted({p for role in held for p in ROLE_PERMS[role]})
            acl.append((Allow, principal, tuple(perms)))
        acl.append(DENY_ALL)
        return acl
