"""Disclosures: what left the record, to whom, on what legal basis.

A ``Disclosure`` keeps the exact words that were disclosed.  A guardian it
was addressed to sees those words, and only those, through the parent view
(``SafetyNotice``); nothing else of a disclosure ever reaches a family.
"""
from dataclasses import dataclass
from datetime import date

from persistent import Persistent

from minorconsent.site.folder import Folder
from minorconsent.site.clock import utcnow
from minorconsent.workflow.engine import Workflowed

REASONS = (
    ('harm_self', 'Risk of serious harm to self'),
    ('harm_others', 'Risk of serious harm to others (duty to warn)'),
    ('abuse', 'Suspected abuse or neglect (mandated report)'),
    ('court_order', 'Court order or subpoena'),
    ('authorized', 'Under a signed release of information'),
    ('other', 'Other (written justification required)'),
)
#: Set by the insurer export only, never chosen on the form.
INSURER = 'insurer'
REASON_TITLES = dict(REASONS, insurer='Billing: minimum necessary to the insurer')
#: The legal exceptions under which information may go to someone outside
#: the family without an authorization.
SAFETY_REASONS = frozenset({'harm_self', 'harm_others', 'abuse', 'court_order'})

#: A guardian reads the words disclosed to them only once it is recorded
#: (signed off); the client never reads a disclosure in the portal
#: (``config.declare_family_states``).
FAMILY_STATES = {'guardian': ('recorded',), 'adolescent': ()}

RECIPIENT_KINDS = (
    ('guardian', 'A guardian of the client'),
    ('third_party', 'A named person (a pediatrician, a school counselor, ...)'),
    ('agency', 'An agency (child protective services, police, a court)'),
)
RECIPIENT_TITLES = dict(RECIPIENT_KINDS, insurer='An insurer')


class DisclosureRefused(ValueError):
    """A disclosure (or release) the rules do not allow; ``field`` is the
    form field the message belongs next to."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


class Disclosure(Workflowed, Persistent):
    """One disclosure, under the disclosure workflow (supervisor sign-off)."""

    def __init__(self, reason, recipient_kind, text, told_on, recorded_by,
                 guardian_id=None, recipient_name='', justification='',
                 release_ref=None, items=()):
        self.reason = reason
        self.recipient_kind = recipient_kind
        self.guardian_id = guardian_id
        self.recipient_name = recipient_name
        self.text = text                  # exactly what was disclosed
        self.told_on = told_on
        self.justification = justification
        self.release_ref = release_ref    # the release it was made under
        self.items = tuple(items)         # what the release let it share
        self.recorded_by = recorded_by
        self.recorded_at = utcnow()

    @property
    def title(self):
        return 'Disclosure'

    @property
    def reason_title(self):
        return REASON_TITLES.get(self.reason, self.reason)

    def workflow_client(self):
        return self.__parent__.__parent__

    def workflow_local_roles(self):
        """Only the guardian it was addressed to keeps the guardian role."""
        return self.workflow_client().local_roles_for_document(
            lambda guardian_id: guardian_id == self.guardian_id)


@dataclass(frozen=True)
class SafetyNotice:
    """What the addressed guardian sees of a disclosure: the day and the
    words the therapist disclosed to them.  Nothing else."""
    told_on: date
    text: str


def client_folder(client, name):
    """The client's folder ``name`` (``disclosures``, ``requests``), made
    on first use."""
    if name not in client:
        client.add(Folder(), name)
    return client[name]


def disclosures_of(client):
    return client['disclosures'].values() if 'disclosures' in client else ()
