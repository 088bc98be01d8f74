"""The words a workflow definition is written in, and the shape of a
problem with one.

Roles, permissions, content types and ids are what a definition may name
(``validate`` refuses anything else); ``family_states`` reads which states
the rooms let each family role see (``requirements``); a ``Problem`` is a
sentence shown to the admin that also says which field it is about.  The
engine, the editor and the validator all speak these terms, so they sit
below all three.
"""
import re

#: Roles a permission map may name, relative to one object.
STAFF_ROLES = ('therapist', 'supervisor')
FAMILY_ROLES = ('guardian', 'adolescent')
MAP_ROLES = STAFF_ROLES + FAMILY_ROLES
#: Who may fire a transition: the map roles, plus the system itself
#: (expiry at majority, activation when the last signature arrives).
TRANSITION_ROLES = MAP_ROLES + ('system',)

#: Permissions a state may grant.
PERMISSIONS = {
    'view': 'see the object as staff, including drafts and clinical content',
    'edit': "change the object's content",
    'view-published': "read the family-facing version through the parent view",
    'sign': 'sign or decline',
    'review': 'review a summary before guardians see it',
}
#: The only permissions a family member can ever hold, in any state.
FAMILY_PERMISSIONS = frozenset({'view-published', 'sign', 'review'})
#: ... by role: reviewing a summary before guardians see it is the
#: adolescent's alone.
ROLE_FAMILY_PERMISSIONS = {
    'guardian': frozenset({'view-published', 'sign'}),
    'adolescent': FAMILY_PERMISSIONS,
}
#: The guard that must stand on every way into a consent-activating state.
SIGNATURE_GUARD = 'all_required_guardians_signed'

CONTENT_TYPES = {
    'consent': 'consent to treatment',
    'confidentiality': 'confidentiality agreement',
    'summary': 'parent progress summary',
    'release': 'release of information',
    'disclosure': 'disclosure of information (safety, court, insurer, release)',
}

ID = re.compile(r'^[a-z][a-z0-9_-]{0,62}$')

#: The ``field`` of the ``Problem`` of a state the initial state cannot reach.
UNREACHABLE = 'reached'

#: The kind of ``requirements.Requirement`` that declares a family role's
#: states (see ``requirements``).
FAMILY = 'family'


def family_states(requirements, content_type):
    """``{role: frozenset(state ids)}``: where each family role may hold a
    permission on ``content_type``; a role (or a content type) without a
    declaration is in no state at all."""
    found = {role: frozenset() for role in FAMILY_ROLES}
    for r in requirements:
        if r.kind == FAMILY and r.content_type == content_type:
            found[r.id] = frozenset(r.states)
    return found


def declares_family_states(requirements):
    """Do ``requirements`` come from a configured app (with the rooms'
    family declarations), rather than a caller that passed none?"""
    return any(r.kind == FAMILY for r in requirements)


class Problem(str):
    """One problem, as the sentence shown to the admin.

    It is a plain ``str`` everywhere it is shown; the editor also reads
    what it is about: ``transition`` (a step's id) and ``field`` (which
    part of the step: ``from_states``, ``to_state``, ``roles``, ``guards``),
    or ``state`` (a state's id) and ``field`` (which part of the state
    form: ``perm_<role>``, ``activates_consent``, or ``UNREACHABLE`` for a
    state that cannot be reached), so a refused edit puts the sentence next
    to the field that caused it.  ``requirement``
    is the ``Requirement`` a definition fails to meet (a step or state the
    code relies on).
    """

    transition = field = state = requirement = guard = None

    def __new__(cls, text, transition=None, field=None, state=None, requirement=None):
        problem = super().__new__(cls, text)
        problem.transition, problem.field, problem.state = transition, field, state
        problem.requirement = requirement
        return problem
