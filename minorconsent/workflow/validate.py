"""Soundness and confidentiality rules every definition must satisfy.

``problems(workflow, guards, required)`` lists, in plain words, everything
wrong with a definition; an empty list means it may be activated.  The
confidentiality rules here are *invariants*: no definition can switch them
off, and the engine enforces them again on every permission question
(``engine.role_permissions``).  ``required`` are the step and state ids the rooms'
code relies on (``requirements``): a definition without them is refused
with the room's reason.
"""
from collections import deque

from .history import MIGRATION_STEP
# The terms are re-exported: the engine, the rooms and the tests read them here.
from .vocabulary import (CONTENT_TYPES, FAMILY, FAMILY_PERMISSIONS,  # noqa: F401
                         FAMILY_ROLES, ID, MAP_ROLES, PERMISSIONS, ROLE_FAMILY_PERMISSIONS,
                         SIGNATURE_GUARD, STAFF_ROLES, TRANSITION_ROLES, UNREACHABLE, Problem,
                         declares_family_states, family_states)


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
        if req.content_type != workflow.content_type or req.kind == FAMILY:
            continue
        if req.kind == 'state':
            if req.id not in known:
                found.append(Problem('The state "%s" is needed by the app: %s.'
                                     % (req.id, req.reason), requirement=req))
                continue
            if req.activates_consent and not workflow.state(req.id).activates_consent:
                found.append(Problem(
                    'State "%s" must activate consent (tick "activates consent"): %s.'
                    % (req.id, req.reason), state=req.id, field='activates_consent',
                    requirement=req))
            for t in workflow.transitions:
                if t.to_state == req.id:
                    found.extend(_missing_guards(workflow, t, req))
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
        found.extend(_missing_guards(workflow, step, req))
    # One sentence per missing guard of a step, whichever declaration asks.
    seen, unique = set(), []
    for p in found:
        key = (p.transition, p.field, getattr(p, 'guard', None))
        if p.field == 'guards' and key in seen:
            continue
        seen.add(key)
        unique.append(p)
    return unique


def _missing_guards(workflow, t, req):
    """A ``Problem`` per guard ``req`` asks of step ``t`` and ``t`` lacks
    (for a state: unless only ``req.exempt_roles`` may take ``t``; the
    signature guard into a consent-activating state is already named by
    the general rule)."""
    if req.kind == 'state' and t.roles and not t.permission \
            and set(t.roles) <= set(req.exempt_roles):
        return []
    into = workflow.state(t.to_state) if workflow.has_state(t.to_state) else None
    found = []
    for guard in req.guards:
        if guard in t.guards or (guard == SIGNATURE_GUARD and into is not None
                                 and into.activates_consent):
            continue
        if req.kind == 'state':
            text = 'Transition "%s" goes to "%s" without the "%s" guard: %s%s.' % (
                t.id, req.id, guard, req.reason,
                ' (only a step that %s alone may take needs none)'
                % ' or '.join('the %s' % r for r in req.exempt_roles)
                if req.exempt_roles else '')
        else:
            text = 'Transition "%s" must name the "%s" guard: %s.' % (t.id, guard, req.reason)
        problem = Problem(text, transition=t.id, field='guards', requirement=req)
        problem.guard = guard
        found.append(problem)
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
        if t.id == MIGRATION_STEP:
            say('%s: the id "%s" is kept for the history entry that records a move to a new '
                'version; choose another.' % (where, MIGRATION_STEP), transition=t.id, field='id')
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
                    % (sid, workflow.initial_state), state=sid, field=UNREACHABLE)
    family_problems(workflow, required, say)
    if workflow.initial_state in known:
        initial_problems(workflow, say, required)
    if known:
        stuck_problems(workflow, required, say)
    if known and not any(not workflow.transitions_from(sid) for sid in known):
        say('The workflow has no final state: every state has a way out.')
    found.extend(requirement_problems(workflow, required))
    return found


def _an(word):
    return ('an %s' if word[:1] in 'aeiou' else 'a %s') % word


def family_problems(workflow, required, say):
    """A family grant in a state the owning room did not declare readable
    by that role (``requirements``: ``declare_family_states``).  Checked
    whenever the caller passes the app's declarations."""
    if not declares_family_states(required):
        return
    allowed = family_states(required, workflow.content_type)
    reasons = {r.id: r.reason for r in required
               if r.kind == FAMILY and r.content_type == workflow.content_type}
    kind = CONTENT_TYPES.get(workflow.content_type, workflow.content_type)
    for state in workflow.states:
        for role in FAMILY_ROLES:
            granted = sorted(state.granted(role))
            if not granted or state.id in allowed[role]:
                continue
            if allowed[role]:
                where = 'only in %s' % _quoted(sorted(allowed[role]))
            else:
                where = 'in no state'
            say('State "%s" gives the %s %s, but the app lets %s see or act on a %s %s%s.'
                % (state.id, role, _quoted(granted), _an(role), kind, where,
                   ': %s' % reasons[role] if reasons.get(role) else ''),
                state=state.id, field='perm_' + role)


def guarded_into(workflow, state_id):
    """The steps into ``state_id`` that name a guard about what the
    document passed.  ``client_has_no_supervisor`` says who may act where
    nobody can sign off (a way back to the draft from a supervisor's
    review), not what a document in ``state_id`` went through: a step
    naming only it does not count."""
    return [t for t in workflow.transitions if t.to_state == state_id
            and set(t.guards) - {NO_SUPERVISOR_GUARD}]


def initial_problems(workflow, say, required=()):
    """Every object starts in the initial state with no step and no guard:
    it must not be a state the definition lets objects reach only past a
    guard, nor one that activates consent, nor one a family member sees or
    acts in (a grant there, or a state the owning room declares a family
    state): a document reaches the family only by a step."""
    state = workflow.state(workflow.initial_state)
    declared = family_states(required, workflow.content_type)
    if any(state.granted(role) or state.id in declared[role] for role in FAMILY_ROLES):
        say('The initial state "%s" is a state a family member sees or acts in: every new '
            'document would start there and reach the family without a step or a check; '
            'start in a state only the clinic sees.' % state.id, state=state.id)
    if state.activates_consent:
        say('The initial state "%s" activates consent: every new document would be in force '
            'before anyone signed.' % state.id, state=state.id, field='activates_consent')
    guarded = guarded_into(workflow, state.id)
    if guarded:
        say('The initial state "%s" is reached by %s only when %s hold: a new document would '
            'start there without them.' % (
                state.id, _quoted(t.id for t in guarded),
                _quoted(sorted({g for t in guarded for g in t.guards}))),
            state=state.id)


def can_take(workflow, t, state, required):
    """Can anybody take step ``t`` out of ``state``?"""
    return bool(takers(workflow, t, state, required))


def takers(workflow, t, state, required):
    """The roles that can take step ``t`` out of ``state``.

    Staff take a step from the object's page, so only a staff role that
    may *view* it there; a family member only where they have a part (the
    engine gives them nothing elsewhere); the system only for the steps the
    code fires (those the rooms declared); anyone holding ``permission``.
    """
    declared = declares_family_states(required)
    allowed = family_states(required, workflow.content_type) if declared else None

    def holds(role):
        granted = set(state.granted(role))
        if role in FAMILY_ROLES:
            granted &= ROLE_FAMILY_PERMISSIONS[role]
            if allowed is not None and state.id not in allowed[role]:
                granted = set()
        return granted
    found = set()
    for role in t.roles:
        if role == 'system':
            fired = {r.id for r in required if r.kind == 'step'
                     and r.content_type == workflow.content_type}
            if not declared or t.id in fired:
                found.add(role)
        elif role in STAFF_ROLES and 'view' in holds(role):
            found.add(role)
        elif role in FAMILY_ROLES and holds(role):
            found.add(role)
    if t.permission:
        found |= {role for role in MAP_ROLES if t.permission in holds(role)}
    return found


#: The guard of the way out where nobody can sign off.
NO_SUPERVISOR_GUARD = 'client_has_no_supervisor'


def stuck_problems(workflow, required, say):
    """A state no staff role can see (its objects' pages answer "not
    found" to everyone at the clinic), and a state with steps out of which
    nobody can take any (its objects would stay there for good).  A final
    state (no steps out) is a way to end, not a trap."""
    for state in workflow.states:
        if not any('view' in state.granted(role) for role in STAFF_ROLES):
            say('Nobody at the clinic can see a document in "%s": give the therapist or the '
                'supervisor "view" there.' % state.id, state=state.id, field='perm_therapist')
        out = workflow.transitions_from(state.id)
        who = [(t, takers(workflow, t, state, required)) for t in out]
        if out and not any(roles for _, roles in who):
            say('Nobody can take a step out of "%s" (%s): give one of them a role that may see '
                'or act in "%s", or make it a final state.'
                % (state.id, _quoted(t.id for t in out), state.id), state=state.id)
        elif out and all(roles <= {'supervisor'} for _, roles in who):
            # Some clients have no supervisor (and some therapists none):
            # their documents would stay here for good.
            say('Only the supervisor can take a step out of "%s" (%s), and some clients have no '
                'supervisor: add a step out of "%s" that the therapist may take, with the '
                'guard "%s" (as "record_without_signoff" does in the disclosure workflow).'
                % (state.id, _quoted(t.id for t, roles in who if roles), state.id,
                   NO_SUPERVISOR_GUARD), state=state.id)


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
