"""Soundness and confidentiality rules every definition must satisfy.

``problems(workflow, guards, required)`` lists, in plain words, everything
wrong with a definition; an empty list means it may be activated.  The
confidentiality rules here are *invariants*: no definition can switch them
off, and the engine enforces them again when it computes an ACL
(``engine.acl_for``).  ``required`` are the step and state ids the rooms'
code relies on (``requirements``): a definition without them is refused
with the room's reason.
"""
import re
from collections import deque

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


class Problem(str):
    """One problem, as the sentence shown to the admin.

    It is a plain ``str`` everywhere it is shown; the editor also reads
    what it is about: ``transition`` (a step's id) and ``field`` (which
    part of the step: ``from_states``, ``to_state``, ``roles``, ``guards``),
    or ``state`` for a state that cannot be reached, so a refused edit
    puts the sentence next to the field that caused it.  ``requirement``
    is the ``Requirement`` a definition fails to meet (a step or state the
    code relies on).
    """

    transition = field = state = requirement = None

    def __new__(cls, text, transition=None, field=None, state=None, requirement=None):
        problem = super().__new__(cls, text)
        problem.transition, problem.field, problem.state = transition, field, state
        problem.requirement = requirement
        return problem


def reachable(workflow):
    """Ids of the states reachable from the initial state."""
    seen = {workflow.initial_state}
    queue = deque(seen)
    while queue:
        state = queue.popleft()
        for t in workflow.transitions_from(state):
            if t.to_state not in seen:
                seen.add(t.to_state)
                queue.append(t.to_state)
    return seen


def _quoted(ids):
    return ' and '.join('"%s"' % i for i in ids)


def requirement_problems(workflow, required):
    """The ``Problem``s of ``workflow`` against the ``Requirement``s of its
    content type among ``required``: a step or state the code relies on
    that is missing, or a required step that no longer leads where the
    code expects."""
    found = []
    known = {s.id for s in workflow.states}
    for req in required:
        if req.content_type != workflow.content_type:
            continue
        if req.kind == 'state':
            if req.id not in known:
                found.append(Problem('The state "%s" is needed by the app: %s.'
                                     % (req.id, req.reason), requirement=req))
            continue
        step = next((t for t in workflow.transitions if t.id == req.id), None)
        initial = workflow.initial_state
        if req.from_initial and not workflow.transitions_from(initial):
            continue       # objects never leave the starting state: nothing to do
        if step is None:
            where = []
            if req.from_initial:
                where.append('from the starting state "%s"' % initial)
            elif req.from_states:
                where.append('from %s' % _quoted(req.from_states))
            if req.to_state:
                where.append('to "%s"' % req.to_state)
            found.append(Problem('The step "%s"%s is needed by the app: %s.'
                                 % (req.id, ' (%s)' % ' '.join(where) if where else '',
                                    req.reason),
                                 transition=req.id, requirement=req))
            continue
        missing = [sid for sid in req.from_states if sid not in step.from_states]
        if req.from_initial and initial not in step.from_states:
            found.append(Problem('The step "%s" must start from the starting state "%s": %s.'
                                 % (req.id, initial, req.reason), transition=req.id,
                                 field='from_states', requirement=req))
        if missing:
            found.append(Problem('The step "%s" must start from %s: %s.'
                                 % (req.id, _quoted(missing), req.reason), transition=req.id,
                                 field='from_states', requirement=req))
        if req.to_state and step.to_state != req.to_state:
            found.append(Problem('The step "%s" must go to "%s": %s.'
                                 % (req.id, req.to_state, req.reason), transition=req.id,
                                 field='to_state', requirement=req))
    return found


def problems(workflow, guards, required=()):
    """Everything wrong with ``workflow``, as sentences; [] when sound.

    ``guards`` is the collection of registered guard names, ``required``
    the declared ``Requirement``s (those of other content types are
    ignored).
    """
    found = []

    def say(text, **about):
        found.append(Problem(text, **about))
    if not ID.match(workflow.id or ''):
        say('The workflow id "%s" must be lower-case letters, digits, "-" or "_".' % workflow.id)
    if workflow.content_type not in CONTENT_TYPES:
        say('The content type "%s" is unknown; use one of: %s.'
            % (workflow.content_type, ', '.join(sorted(CONTENT_TYPES))))
    state_ids = [s.id for s in workflow.states]
    for sid in sorted({s for s in state_ids if state_ids.count(s) > 1}):
        say('There are two states called "%s".' % sid)
    transition_ids = [t.id for t in workflow.transitions]
    for tid in sorted({t for t in transition_ids if transition_ids.count(t) > 1}):
        say('There are two transitions called "%s".' % tid)
    known = set(state_ids)
    if workflow.initial_state not in known:
        say('The initial state "%s" is not one of the states.' % workflow.initial_state)

    for state in workflow.states:
        where = 'State "%s"' % state.id
        if not ID.match(state.id):
            say('%s: a state id must be lower-case letters, digits, "-" or "_".' % where)
        for role, granted in state.permissions:
            if role not in MAP_ROLES:
                say('%s gives permissions to "%s", which is not a role (use %s).'
                    % (where, role, ', '.join(MAP_ROLES)))
            for perm in granted:
                if perm not in PERMISSIONS:
                    say('%s gives "%s" the unknown permission "%s".' % (where, role, perm))
                elif role in FAMILY_ROLES and perm not in ROLE_FAMILY_PERMISSIONS[role]:
                    say('%s would let a %s "%s" (%s); a %s may only be given %s.'
                        % (where, role, perm, PERMISSIONS[perm], role,
                           ', '.join(sorted(ROLE_FAMILY_PERMISSIONS[role]))))

    for t in workflow.transitions:
        where = 'Transition "%s"' % t.id
        if t.id and not ID.match(t.id):
            say('%s: a transition id must be lower-case letters, digits, "-" or "_".' % where,
                transition=t.id, field='id')
        if not t.from_states:
            say('%s starts from no state.' % where, transition=t.id, field='from_states')
        for sid in t.from_states:
            if sid not in known:
                say('%s starts from "%s", which is not a state of this workflow.' % (where, sid),
                    transition=t.id, field='from_states')
        if t.to_state not in known:
            say('%s goes to "%s", which is not a state of this workflow.' % (where, t.to_state),
                transition=t.id, field='to_state')
        if not t.roles and not t.permission:
            say('%s says nobody may fire it: give it roles or a permission.' % where,
                transition=t.id, field='roles')
        for role in t.roles:
            if role not in TRANSITION_ROLES:
                say('%s names the unknown role "%s".' % (where, role),
                    transition=t.id, field='roles')
            elif role in FAMILY_ROLES:
                # A family member acts only where they have something to do:
                # sign, review, or (to revoke) read the active version.
                for sid in t.from_states:
                    if sid in known and not workflow.state(sid).granted(role):
                        say('%s would let a %s act in "%s", where they have no part.'
                            % (where, role, sid), transition=t.id, field='roles')
        if t.permission and t.permission not in PERMISSIONS:
            say('%s requires the unknown permission "%s".' % (where, t.permission),
                transition=t.id, field='permission')
        for guard in t.guards:
            if guard not in guards:
                say('%s names the unknown guard "%s".' % (where, guard),
                    transition=t.id, field='guards')
        if t.to_state in known and workflow.state(t.to_state).activates_consent \
                and SIGNATURE_GUARD not in t.guards:
            say('%s activates consent in "%s" without the "%s" guard.'
                % (where, t.to_state, SIGNATURE_GUARD), transition=t.id, field='guards')

    if workflow.initial_state in known and not found:
        for sid in state_ids:
            if sid not in reachable(workflow):
                say('State "%s" cannot be reached from the initial state "%s".'
                    % (sid, workflow.initial_state), state=sid)
    if known and not any(not workflow.transitions_from(sid) for sid in known):
        say('The workflow has no final state: every state has a way out.')
    found.extend(requirement_problems(workflow, required))
    return found


def visibility(workflow):
    """Who can do what, in which state: ``[(state, {role: perms})]``.

    The answer after the invariants, i.e. exactly what the engine grants.
    """
    rows = []
    for state in workflow.states:
        cells = {}
        for role in MAP_ROLES:
            granted = set(state.granted(role))
            if role in FAMILY_ROLES:
                granted &= ROLE_FAMILY_PERMISSIONS[role]
            cells[role] = tuple(sorted(granted))
        rows.append((state, cells))
    return rows
