"""Property tests: random definitions, random walks.

* The validator accepts a definition only if it is sound: every state
  reachable, every reference resolved, a final state, no family grant
  outside the family permissions, signature guard on every way into a
  consent-activating state.
* For any accepted definition and any sequence of firings, in every state
  reached the family never holds a staff permission, and a guardian who is
  not entitled (restricted) holds nothing.
* Any edit of a step of an accepted definition leaves it sound, or is
  refused and changes nothing -- the step and state ids the code relies on
  (requirements the rooms declare) included.
* With requirements declared, the validator accepts a sound definition
  exactly when it has every required step and state, leading where
  required; each problem names the id and gives the reason.
"""
import copy

from hypothesis import HealthCheck, assume, event, given, settings, strategies as st

from minorconsent.workflow.definition import parse, to_data
from minorconsent.workflow.editor import EditError, update_transition
from minorconsent.workflow.engine import Actor, available, fire, start
from minorconsent.workflow.requirements import requirement
from minorconsent.workflow.validate import (FAMILY_ROLES, MAP_ROLES, PERMISSIONS,
                                            ROLE_FAMILY_PERMISSIONS, SIGNATURE_GUARD,
                                            TRANSITION_ROLES, problems, reachable)
from pyramid.authorization import ACLHelper

from wfsupport import GUARDS, Doc, family_clinic, principals

STATE_IDS = ['s%d' % n for n in range(6)]
ROLE_POOL = list(MAP_ROLES) + ['janitor']
PERM_POOL = list(PERMISSIONS) + ['teleport']
GUARD_POOL = list(GUARDS) + ['phase_of_moon']


@st.composite
def definitions(draw):
    n = draw(st.integers(1, 5))
    states = STATE_IDS[:n]
    data = {'id': 'random', 'title': 'Random', 'content_type': 'summary',
            'initial_state': draw(st.sampled_from(states + ['nowhere'])),
            'states': {}, 'transitions': []}
    for sid in states:
        perms = draw(st.dictionaries(st.sampled_from(ROLE_POOL),
                                     st.lists(st.sampled_from(PERM_POOL), max_size=3),
                                     max_size=3))
        data['states'][sid] = {'title': sid.upper(), 'permissions': perms,
                               'activates_consent': draw(st.booleans())}
    for k in range(draw(st.integers(0, 7))):
        data['transitions'].append({
            'id': 't%d' % k, 'title': 'T%d' % k,
            'from': draw(st.lists(st.sampled_from(states + ['nowhere']), min_size=1, max_size=2)),
            'to': draw(st.sampled_from(states + ['nowhere'])),
            'roles': draw(st.lists(st.sampled_from(list(TRANSITION_ROLES) + ['janitor']),
                                   min_size=0, max_size=3)),
            'guards': draw(st.lists(st.sampled_from(GUARD_POOL), max_size=2)),
        })
    return data


def sound(workflow):
    """An independent statement of soundness, to check the validator by."""
    ids = {s.id for s in workflow.states}
    if workflow.initial_state not in ids:
        return False
    for t in workflow.transitions:
        if not set(t.from_states) <= ids or t.to_state not in ids:
            return False
        if not t.roles or not set(t.roles) <= set(TRANSITION_ROLES):
            return False
        if not set(t.guards) <= set(GUARDS):
            return False
        if workflow.state(t.to_state).activates_consent and SIGNATURE_GUARD not in t.guards:
            return False
        for role in set(t.roles) & set(FAMILY_ROLES):
            if any(not workflow.state(s).granted(role) for s in t.from_states):
                return False
    for s in workflow.states:
        for role, perms in s.permissions:
            if role not in MAP_ROLES or not set(perms) <= set(PERMISSIONS):
                return False
            if role in FAMILY_ROLES and not set(perms) <= ROLE_FAMILY_PERMISSIONS[role]:
                return False
    if reachable(workflow) != ids:
        return False
    if not any(not workflow.transitions_from(s) for s in ids):
        return False
    # Someone at the clinic sees every state; objects start where no guard
    # leads and nothing is in force; a state with steps out has one that
    # somebody can take (staff who can view it, a family member with a
    # part, the system).
    initial = workflow.state(workflow.initial_state)
    if initial.activates_consent or any(set(t.guards) - {'client_has_no_supervisor'}
                                        for t in workflow.transitions
                                        if t.to_state == initial.id):
        return False
    # ... and no family member sees or acts there.
    if any(initial.granted(role) for role in FAMILY_ROLES):
        return False
    for s in workflow.states:
        if not any('view' in s.granted(r) for r in ('therapist', 'supervisor')):
            return False
        out = workflow.transitions_from(s.id)

        def takers(t):
            return {r for r in t.roles if r == 'system' or (
                ('view' in s.granted(r)) if r in ('therapist', 'supervisor')
                else bool(set(s.granted(r)) & ROLE_FAMILY_PERMISSIONS.get(r, set())))}
        # Somebody can take one -- and not only the supervisor (some
        # clients have none).
        if out and all(takers(t) <= {'supervisor'} for t in out):
            return False
    return len({t.id for t in workflow.transitions}) == len(workflow.transitions)


@settings(max_examples=300, deadline=None)
@given(definitions())
def test_validator_accepts_exactly_the_sound_definitions(data):
    workflow = parse(data)
    assert (problems(workflow, GUARDS) == []) == sound(workflow)


@st.composite
def sound_definitions(draw):
    data = draw(definitions())
    # Repair towards soundness so that many examples are accepted.
    states = list(data['states'])
    data['initial_state'] = states[0]
    data['states'][states[0]]['activates_consent'] = False
    for role in FAMILY_ROLES:       # documents start where no family member is
        data['states'][states[0]]['permissions'].pop(role, None)
    for sid, raw in data['states'].items():
        raw['permissions'] = {
            role: [p for p in perms if p in PERMISSIONS and
                   (role not in FAMILY_ROLES or p in ROLE_FAMILY_PERMISSIONS[role])]
            for role, perms in raw['permissions'].items() if role in MAP_ROLES}
        # Someone at the clinic sees it (and takes the chain's step on).
        raw['permissions']['therapist'] = sorted(
            set(raw['permissions'].get('therapist', ())) | {'view'})
    chain = []
    for a, b in zip(states, states[1:]):
        chain.append({'id': 'chain_%s' % b, 'title': 'To ' + b, 'from': [a], 'to': b,
                      'roles': ['therapist']})
    extra = [t for t in data['transitions']
             if set(t['from']) <= set(states) and t['to'] in states and t['roles']
             and set(t['roles']) <= set(TRANSITION_ROLES) and set(t['guards']) <= set(GUARDS)
             and states[-1] not in t['from']
             and not (t['to'] == states[0] and t['guards'])]
    for t in extra:   # family members act only where they have a part
        t['roles'] = [r for r in t['roles'] if r not in FAMILY_ROLES or all(
            data['states'][s]['permissions'].get(r) for s in t['from'])]
    data['transitions'] = chain + [t for t in extra if t['roles']]
    for t in data['transitions']:
        if data['states'][t['to']].get('activates_consent'):
            t['guards'] = sorted(set(t.get('guards', [])) | {SIGNATURE_GUARD})
    workflow = parse(data)
    assert problems(workflow, GUARDS) == [], problems(workflow, GUARDS)
    return workflow


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sound_definitions(), st.lists(st.tuples(st.integers(0, 10), st.sampled_from(
    ['therapist', 'supervisor', 'mother', 'teen', 'system'])), max_size=12),
       st.booleans())
def test_invariants_hold_in_every_reachable_state(workflow, steps, signed):
    clinic, client, people = family_clinic([workflow])
    doc = Doc()
    doc.signed = doc.assented = signed
    client['docs'].add(doc)
    start(doc, workflow.id)
    helper = ACLHelper()

    def check():
        for who, role in (('mother', 'guardian'), ('teen', 'adolescent'),
                          ('father', 'guardian')):
            held = {p for p in list(PERMISSIONS)
                    if helper.permits(doc, principals(people[who]), p)}
            assert held <= ROLE_FAMILY_PERMISSIONS[role]
            if who == 'father':
                assert not held   # restricted: nothing, in any state
        assert not helper.permits(doc, principals(people['stranger']), 'view')
    check()
    for pick, who in steps:
        actor = Actor.system() if who == 'system' else Actor(
            people[who].__name__, principals(people[who]))
        options = available(doc, actor, GUARDS)
        if not options:
            continue
        before = len(doc.history)
        transition = options[pick % len(options)]
        fire(doc, transition.id, actor, GUARDS, comment='because')
        assert len(doc.history) == before + 1
        if workflow.state(doc.state).activates_consent:
            assert signed
        check()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sound_definitions(), st.data())
def test_a_step_edit_keeps_a_sound_definition_sound_or_changes_nothing(workflow, data):
    assume(workflow.transitions)
    draft = to_data(workflow)
    states = list(draft['states']) + ['nowhere']
    step_id = data.draw(st.sampled_from([t['id'] for t in draft['transitions']]))
    now = [t for t in draft['transitions'] if t['id'] == step_id][0]

    def kept_or(key, strategy):      # many edits touch one or two parts
        return data.draw(st.one_of(st.just(copy.deepcopy(now.get(key, ()))), strategy))
    change = {
        'title': data.draw(st.sampled_from(['New title', ' ', 'T'])),
        'from_states': kept_or('from', st.lists(st.sampled_from(states), max_size=3)),
        'to_state': kept_or('to', st.sampled_from(states)),
        'roles': kept_or('roles', st.lists(st.sampled_from(
            list(TRANSITION_ROLES) + ['janitor']), max_size=3)),
        'guards': kept_or('guards', st.lists(st.sampled_from(GUARD_POOL), max_size=2)),
        'comment_required': data.draw(st.booleans()),
    }
    required = data.draw(requirements_met_by(workflow))
    before = copy.deepcopy(draft)
    try:
        update_transition(draft, step_id, known_guards=GUARDS, required=required, **change)
    except EditError as refused:
        event('refused')
        assert draft == before
        # Each reason is about this step, or about the shape of the graph.
        for problem in refused.problems:
            assert problem.transition in (step_id, None), problem
    else:
        event('accepted')
        edited = parse(draft)
        assert problems(edited, GUARDS, required) == [] and sound(edited)
        assert meets(edited, required)
        assert [t['id'] for t in draft['transitions']] == [t['id'] for t in before['transitions']]


def meets(workflow, required):
    """An independent statement of the requirements, to check the validator by."""
    ids = {s.id for s in workflow.states}
    for req in required:
        if req.content_type != workflow.content_type:
            continue
        if req.kind == 'state':
            if req.id not in ids:
                return False
            continue
        if req.from_initial and not workflow.transitions_from(workflow.initial_state):
            continue
        steps = [t for t in workflow.transitions if t.id == req.id]
        if not steps or not set(req.from_states) <= set(steps[0].from_states):
            return False
        if req.to_state and steps[0].to_state != req.to_state:
            return False
        if req.from_initial and workflow.initial_state not in steps[0].from_states:
            return False
    return True


REASON = 'the code needs %s'


@st.composite
def requirements(draw, step_ids):
    """Random declarations about a definition's ids (and ids it lacks);
    some for another content type, which must not count."""
    found = []
    for _ in range(draw(st.integers(0, 4))):
        content_type = draw(st.sampled_from(['summary', 'summary', 'consent']))
        if draw(st.booleans()):
            sid = draw(st.sampled_from(STATE_IDS + ['nowhere']))
            found.append(requirement(content_type, 'state', sid, REASON % sid))
            continue
        tid = draw(st.sampled_from(list(step_ids) + ['missing_step']))
        from_initial = draw(st.booleans()) and draw(st.booleans())
        found.append(requirement(
            content_type, 'step', tid, REASON % tid,
            () if from_initial else draw(st.lists(st.sampled_from(STATE_IDS), max_size=2)),
            draw(st.sampled_from([''] + STATE_IDS)), from_initial))
    return found


@st.composite
def requirements_met_by(draw, workflow):
    """Declarations a sound ``workflow`` meets: some of its states, some of
    its steps where they lead now."""
    found = [requirement('summary', 'state', s.id, REASON % s.id)
             for s in workflow.states if draw(st.booleans())]
    for t in workflow.transitions:
        if draw(st.booleans()):
            found.append(requirement(
                'summary', 'step', t.id, REASON % t.id,
                draw(st.lists(st.sampled_from(t.from_states), max_size=2)),
                draw(st.sampled_from(['', t.to_state])),
                workflow.initial_state in t.from_states and draw(st.booleans())))
    assert meets(workflow, found)
    return found


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sound_definitions(), st.data())
def test_requirements_are_met_exactly_or_named(workflow, data):
    required = data.draw(requirements([t.id for t in workflow.transitions]))
    found = problems(workflow, GUARDS, required)
    assert (found == []) == meets(workflow, required)
    event('met' if not found else 'refused')
    for problem in found:
        # Each names the id and says why, in the room's words.
        req = problem.requirement
        assert req is not None and req.content_type == 'summary'
        assert '"%s"' % req.id in problem and problem.endswith(': %s.' % req.reason)
