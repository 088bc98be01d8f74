"""What the to-do list is made of: its sections, its frozen items, and the
rules both the therapist's list (``model``) and the admin's counts
(``counts``) read -- which states wait for a supervisor, when a client
comes of age, how long a document has waited.  Kept apart so the two
readers share one definition of each section without importing each
other.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from minorconsent.workflow.engine import definition_of

#: How far ahead the list looks.
EXPIRING_DAYS = 30
MAJORITY_DAYS = 60
#: The parent summary's state in which the teen reads it first.
TEEN_REVIEW = 'minor_review'

#: Section ids, in the order the page shows them, with their headings.
SECTIONS = (
    ('unsigned', 'Agreements waiting for signatures'),
    ('expiring', 'Agreements whose period ends within 30 days'),
    ('teen_review', "Summaries awaiting the client's review"),
    ('supervisor', "Documents awaiting the supervisor's approval"),
    ('majority', 'Clients turning %s within 60 days'),
    ('paused', 'Reminders paused'),
    ('stopped', 'Reminders stopped while an agreement waits'),
)
SECTION_IDS = tuple(sid for sid, _ in SECTIONS)
#: Sections whose ``days`` count down to a date (the rest count up).
DEADLINES = ('expiring', 'majority')
#: Content types whose documents may wait for a supervisor.
SUPERVISED_TYPES = ('summary', 'disclosure')


@dataclass(frozen=True)
class Item:
    """One thing to do: which client (staff may see it), what, and since
    when; ``days`` is the age of a waiting item, or the days left."""
    client_id: str
    client_name: str
    what: str
    days: int = 0
    detail: str = ''


@dataclass(frozen=True)
class Worklist:
    sections: tuple = ()          # ((section id, heading, (Item, ...)), ...)
    total: int = 0

    def items(self, section_id):
        for sid, _heading, items in self.sections:
            if sid == section_id:
                return items
        return ()

    def count(self, section_id):
        return len(self.items(section_id))


@dataclass(frozen=True)
class Counts:
    """The admin's view: per section a number, nothing else."""
    numbers: tuple = field(default=())   # ((section id, heading, n), ...)

    def count(self, section_id):
        return dict((sid, n) for sid, _h, n in self.numbers).get(section_id, 0)


def heading_of(settings, heading):
    return heading % settings.age_of_majority if '%s' in heading else heading


# --- what the workflow definitions say -----------------------------------------

def awaits_supervisor(workflow, state_id):
    """True when only a supervisor can move a document on from this state:
    some step out is the supervisor's, and every other step out is either
    the supervisor's or the system's, or guarded (a fallback the rules open
    in one case only, such as "no supervisor assigned")."""
    steps = workflow.transitions_from(state_id)
    if not any('supervisor' in t.roles for t in steps):
        return False
    for step in steps:
        people = set(step.roles) - {'supervisor', 'system'}
        if people and not step.guards:
            return False
    return True


def supervisor_states(workflow):
    return frozenset(s.id for s in workflow.states if awaits_supervisor(workflow, s.id))


def awaiting_supervisor(obj):
    """Is this summary or disclosure now waiting for its supervisor (by the
    definition of the version it runs under)?"""
    try:
        workflow = definition_of(obj)
    except (KeyError, AttributeError, TypeError):
        return False
    return awaits_supervisor(workflow, obj.state)


# --- dates -----------------------------------------------------------------

def majority_day(born, age):
    """The day a client born on ``born`` turns ``age`` (29 February:
    1 March in a common year, as ``clients.model.age_on`` counts)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return date(born.year + age, 3, 1)


def as_day(value):
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def waiting_since(obj, today):
    """Days since the document entered its state (its last step)."""
    latest = obj.history.latest() if getattr(obj, 'history', None) is not None else None
    if latest is None:
        return 0
    return max((today - latest.time.date()).days, 0)
