"""A careless admin's random workflow edits, as a hypothesis strategy.

The promise must survive any definition the validator accepts, so tests
that check it (the URL fuzzer, the leak property) let an admin publish one
random edit of a shipped workflow before their requests.  ``edits()``
draws an ``Edit``: one of the five workflows (``workflows/*.toml``) and
one to four operations an admin can make in the editor or a TOML file --
grant or take away any role's permissions in any state, add a state (with
a step into it and perhaps one out), add, change or remove a step (its
roles, guards, permission, from and to), remove a state or change its id,
rename the workflow, a state or a step, flip "activates consent", move the
initial state -- and, for the documents in a removed state, the state the
admin would like to move them to.  Every edit also tries to give a
family role something in a state its room does not declare (issue 14's
first item): the validator refuses that operation, so it matters only
when a regression lets it through, and then the tests see the leak.

``publish_edit`` plays the admin: it applies the operations one by one to
the clinic's current definition and keeps each only if the app's own
check accepts the result (``workflow.views.check_source``: the validator
with the app's guards, required steps and states and the rooms' family
states, as the draft, import and publish pages call it); an operation it
refuses is dropped, as the editor would refuse it.  It then publishes
through ``migrate.publish_with_migration``, the publish page's function,
trying the admin's wished state map first (refused, with nothing moved,
when it is not allowed) and otherwise a state the page offers, and moves
every document with ``run_batch``.  When every operation is refused the
admin publishes a new title, so each example publishes a version.  Most operations are generated to be
valid (family grants mostly within the rooms' declared states, staff keep
``view``), so most examples publish a real change;
``tests/workflow/test_random_edits.py`` checks that every kind of
operation gets published.
"""
import copy
import dataclasses
import pathlib

import tomli_w
from hypothesis import strategies as st

from minorconsent.agreements.model import FAMILY_STATES as AGREEMENT_FAMILY
from minorconsent.disclosures.model import FAMILY_STATES as DISCLOSURE_FAMILY
from minorconsent.summaries.model import FAMILY_STATES as SUMMARY_FAMILY
from minorconsent.workflow.definition import loads, to_data
from minorconsent.workflow.guards import BUILT_IN
from minorconsent.workflow.validate import (FAMILY_ROLES, PERMISSIONS,
                                            ROLE_FAMILY_PERMISSIONS, STAFF_ROLES,
                                            TRANSITION_ROLES)

SHIPPED_DIR = pathlib.Path(__file__).resolve().parent.parent / 'workflows'
#: The five shipped definitions, by id.
SHIPPED = {w.id: w for w in (loads(p.read_text(encoding='utf-8'), source=p.name)
                             for p in sorted(SHIPPED_DIR.glob('*.toml')))}
#: ``{content type: {family role: states}}`` as the rooms declare them.
FAMILY = dict(AGREEMENT_FAMILY, summary=SUMMARY_FAMILY, disclosure=DISCLOSURE_FAMILY)
#: Guards the app registers (the engine's and the rooms'); the strategy
#: names them without the registry, an unknown one is refused anyway.
GUARDS = sorted(set(BUILT_IN) | {'minor_agreed', 'minor_agreed_if_reviewed',
                                 'consenting_party_may_consent', 'no_such_guard'})
#: Ids of the states and steps an edit may add.
ADDED_STATES = ('extra_review', 'on_hold')
ADDED_STEPS = ('extra_step', 'hold', 'resume')

TITLES = st.one_of(
    st.sampled_from(['Supervisor review', 'Entwurf', 'Borrador <b>nuevo</b>', '"Quoted" & co',
                     "${request.user}", 'Ready ✓', '   padded   ', 'Ω' * 60]),
    st.text(st.characters(blacklist_categories=('Cs', 'Cc')), min_size=1, max_size=30)
    .filter(lambda s: s.strip()))


@dataclasses.dataclass(frozen=True)
class Edit:
    """What the admin does to one workflow: ``ops`` in order, and for the
    documents in a state the edit removes, ``wishes``: the state the admin
    picks first on the publish page (perhaps one it may not pick)."""
    workflow_id: str
    ops: tuple
    wishes: tuple = ()            # ((old state, wished new state), ...)


def _states(wid):
    return [s.id for s in SHIPPED[wid].states]


def _steps(wid):
    return [t.id for t in SHIPPED[wid].transitions]


def _any_state(wid):
    """A state of the shipped definition, or now and then one an
    earlier operation may have added."""
    return st.sampled_from(_states(wid) * 4 + list(ADDED_STATES))


def _any_step(wid):
    return st.sampled_from(_steps(wid) * 4 + list(ADDED_STEPS))


def _perms(role, strict):
    """A set of permissions for ``role``: within what the role may be
    given when ``strict``, otherwise any (the validator refuses those)."""
    if role in FAMILY_ROLES and strict:
        pool = sorted(ROLE_FAMILY_PERMISSIONS[role])
    else:
        pool = sorted(PERMISSIONS)
    return st.lists(st.sampled_from(pool), unique=True, max_size=3).map(tuple)


@st.composite
def _grant(draw, wid):
    """Set one role's permissions in one state (empty: take them away)."""
    content_type = SHIPPED[wid].content_type
    role = draw(st.sampled_from(STAFF_ROLES + FAMILY_ROLES))
    declared = sorted(FAMILY[content_type].get(role, ()))
    if declared and draw(st.booleans()):
        # Half the time where the room lets the role see anything
        # (accepted), half the time anywhere (refused outside the declared
        # states: the careless admin of issue 14's first item).
        state = draw(st.sampled_from(declared))
    else:
        state = draw(_any_state(wid))
    perms = draw(_perms(role, strict=draw(st.integers(0, 5)) > 0))
    if role in STAFF_ROLES and draw(st.integers(0, 3)) and 'view' not in perms:
        perms = perms + ('view',)     # staff usually keep their view
    return ('grant', state, role, tuple(sorted(perms)))


@st.composite
def _step_roles(draw):
    """Who may take a step: mostly staff or the system; now and then a
    family member too (refused where they have no part)."""
    pool = TRANSITION_ROLES if not draw(st.integers(0, 3)) else STAFF_ROLES + ('system',)
    return tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))


@st.composite
def _add_state(draw, wid):
    sid = draw(st.sampled_from(ADDED_STATES))
    grants = {'therapist': ('view',) + (('edit',) if draw(st.booleans()) else ())}
    if draw(st.booleans()):
        grants['supervisor'] = ('view',)
    if not draw(st.integers(0, 4)):
        role = draw(st.sampled_from(FAMILY_ROLES))
        grants[role] = draw(_perms(role, strict=True))      # refused: no room declares it
    into = tuple(draw(st.lists(st.sampled_from(_states(wid)), min_size=1, max_size=2,
                               unique=True)))
    out = draw(st.one_of(st.none(), st.sampled_from(_states(wid))))
    return ('add_state', sid, draw(TITLES), tuple(sorted(grants.items())), into,
            draw(_step_roles()), out, draw(_step_roles()))


@st.composite
def _add_step(draw, wid):
    return ('add_step', draw(st.sampled_from(ADDED_STEPS)), draw(TITLES),
            tuple(draw(st.lists(_any_state(wid), min_size=1, max_size=3, unique=True))),
            draw(_any_state(wid)), draw(_step_roles()),
            tuple(draw(st.lists(st.sampled_from(GUARDS), max_size=2, unique=True))),
            draw(st.sampled_from(['', '', '', 'view', 'edit', 'sign', 'review'])),
            draw(st.booleans()))


@st.composite
def _edit_step(draw, wid):
    step = draw(_any_step(wid))
    field = draw(st.sampled_from(['roles', 'roles', 'from', 'to', 'guards', 'guards',
                                  'permission', 'title', 'comment_required']))
    if field == 'roles':
        value = list(draw(_step_roles()))
    elif field == 'from':
        value = draw(st.lists(_any_state(wid), min_size=1, max_size=3, unique=True))
    elif field == 'to':
        value = draw(_any_state(wid))
    elif field == 'guards':
        value = draw(st.lists(st.sampled_from(GUARDS), max_size=2, unique=True))
    elif field == 'permission':
        value = draw(st.sampled_from(['', 'view', 'edit', 'sign', 'review', 'view-published']))
    elif field == 'title':
        value = draw(TITLES)
    else:
        value = draw(st.booleans())
    return ('edit_step', step, field, tuple(value) if isinstance(value, list) else value)


def _ops(wid):
    return st.one_of(
        _grant(wid), _grant(wid), _grant(wid), _grant(wid),
        _add_state(wid), _add_state(wid),
        _add_step(wid), _edit_step(wid), _edit_step(wid),
        st.tuples(st.just('remove_step'), _any_step(wid)),
        st.tuples(st.just('remove_step'), _any_step(wid)),
        # Removing a state: the steps into it now lead to another (or go).
        st.tuples(st.just('remove_state'), _any_state(wid),
                  st.one_of(st.none(), _any_state(wid))),
        st.tuples(st.just('remove_state'), _any_state(wid),
                  st.one_of(st.none(), _any_state(wid))),
        # A state's id changed: a new state with its staff grants and steps.
        st.tuples(st.just('replace_state'), st.sampled_from(_states(wid)),
                  st.sampled_from(ADDED_STATES), TITLES),
        st.tuples(st.just('rename'), st.sampled_from(
            ['workflow'] + _states(wid) + ['step:' + t for t in _steps(wid)]), TITLES),
        st.tuples(st.just('activates_consent'), _any_state(wid), st.booleans()),
        st.tuples(st.just('initial'), _any_state(wid)))


@st.composite
def _widening(draw, wid):
    """The first item of issue 14: a family role given something in a
    state its room does not declare (a guardian reading drafts)."""
    content_type = SHIPPED[wid].content_type
    role = draw(st.sampled_from(('guardian', 'guardian', 'adolescent')))
    hidden = [s for s in _states(wid) if s not in FAMILY[content_type].get(role, ())]
    if not hidden:
        return None
    perms = {'view-published'} | set(draw(st.sets(
        st.sampled_from(sorted(ROLE_FAMILY_PERMISSIONS[role])))))
    return ('grant', draw(st.sampled_from(hidden)), role, tuple(sorted(perms)))


@st.composite
def _edit(draw, wid):
    states = _states(wid) + list(ADDED_STATES)
    ops = draw(st.lists(_ops(wid), min_size=1, max_size=4))
    # Every edit also tries to widen what a family sees (refused by the
    # validator; kept only if a regression lets it through).
    widening = draw(_widening(wid))
    if widening:
        ops.insert(draw(st.integers(0, len(ops))), widening)
    wishes = draw(st.lists(st.tuples(st.sampled_from(states), st.sampled_from(states)),
                           max_size=2, unique_by=lambda w: w[0]))
    return Edit(wid, tuple(ops), tuple(wishes))


def edits(workflow_ids=None):
    """An ``Edit`` of one of ``workflow_ids`` (default: all five)."""
    return st.sampled_from(sorted(workflow_ids or SHIPPED)).flatmap(_edit)


# --- applying an operation to a definition's data ---------------------------------

def _step(data, step_id):
    return next((t for t in data['transitions'] if t['id'] == step_id), None)


def apply(data, op):
    """``op`` applied to a copy of ``data`` (``definition.to_data``), or
    None when it does not apply (a state or step that is not there)."""
    data = copy.deepcopy(data)
    kind, states = op[0], data['states']
    if kind == 'grant':
        _, sid, role, perms = op
        if sid not in states:
            return None
        if perms:
            states[sid]['permissions'][role] = list(perms)
        else:
            states[sid]['permissions'].pop(role, None)
    elif kind == 'add_state':
        _, sid, title, grants, into, in_roles, out, out_roles = op
        if sid in states:
            return None
        states[sid] = {'title': title, 'description': '',
                       'permissions': {role: list(p) for role, p in grants if p}}
        data['transitions'].append({'id': 'to_' + sid, 'title': 'To ' + title,
                                    'from': list(into), 'to': sid, 'roles': list(in_roles)})
        if out:
            data['transitions'].append({'id': 'from_' + sid, 'title': 'Out of ' + title,
                                        'from': [sid], 'to': out, 'roles': list(out_roles)})
    elif kind == 'add_step':
        _, tid, title, from_, to, roles, guards, permission, comment = op
        if _step(data, tid):
            return None
        step = {'id': tid, 'title': title, 'from': list(from_), 'to': to, 'roles': list(roles)}
        if guards:
            step['guards'] = list(guards)
        if permission:
            step['permission'] = permission
        if comment:
            step['comment_required'] = True
        data['transitions'].append(step)
    elif kind == 'edit_step':
        _, tid, field, value = op
        step = _step(data, tid)
        if step is None:
            return None
        if field in ('guards', 'permission', 'comment_required') and not value:
            step.pop(field, None)
        else:
            step[field] = list(value) if isinstance(value, tuple) else value
    elif kind == 'remove_step':
        step = _step(data, op[1])
        if step is None:
            return None
        data['transitions'].remove(step)
    elif kind == 'remove_state':
        _, sid, redirect = op
        if sid not in states:
            return None
        del states[sid]
        _drop_state(data, sid, redirect if redirect in states else None)
    elif kind == 'replace_state':
        _, sid, new_id, title = op
        if sid not in states or new_id in states:
            return None
        old = states.pop(sid)
        states[new_id] = {'title': title, 'description': old.get('description', ''),
                          'permissions': {role: perms for role, perms
                                          in old['permissions'].items()
                                          if role in STAFF_ROLES}}
        if old.get('activates_consent'):
            states[new_id]['activates_consent'] = True
        for step in data['transitions']:
            step['from'] = [new_id if s == sid else s for s in step['from']]
        _drop_state(data, sid, new_id)
        if data['initial_state'] == sid:
            data['initial_state'] = new_id
    elif kind == 'rename':
        _, what, title = op
        if what == 'workflow':
            data['title'] = title
        elif what.startswith('step:'):
            step = _step(data, what[5:])
            if step is None:
                return None
            step['title'] = title
        elif what in states:
            states[what]['title'] = title
        else:
            return None
    elif kind == 'activates_consent':
        _, sid, flag = op
        if sid not in states:
            return None
        if flag:
            states[sid]['activates_consent'] = True
        else:
            states[sid].pop('activates_consent', None)
    elif kind == 'initial':
        data['initial_state'] = op[1]
    else:
        raise ValueError(op)
    return data


def _drop_state(data, sid, redirect):
    """Steps no longer start from ``sid``; those into it go to
    ``redirect``, or go altogether."""
    kept = []
    for step in data['transitions']:
        step['from'] = [s for s in step['from'] if s != sid]
        if step['to'] == sid and redirect:
            step['to'] = redirect
        if step['from'] and step['to'] != sid:
            kept.append(step)
    data['transitions'] = kept


# --- the admin at work ----------------------------------------------------------------

#: What the admin publishes when the check refused every change of an edit.
FALLBACK = ('rename', 'workflow', 'Edited by the admin')


@dataclasses.dataclass
class Published:
    """What ``publish_edit`` did, for ``event`` and for assertions."""
    version: int = 0                 # the new version (0: nothing published)
    accepted: tuple = ()             # the operations kept
    refused: tuple = ()              # the operations the check refused
    mapping: dict = dataclasses.field(default_factory=dict)
    wish_refused: bool = False       # the admin's first state map was refused


def accepted_source(record, edit, registry):
    """``(source, workflow, accepted, refused)``: ``edit``'s operations
    applied one by one to ``record``'s current definition, each kept only
    if the app's check accepts the result."""
    from minorconsent.workflow.views import check_source
    data = to_data(record.definition())
    accepted, refused = [], []
    source, workflow = tomli_w.dumps(data), record.definition()
    for op in edit.ops:
        candidate = apply(data, op)
        if candidate is None:
            continue
        text = tomli_w.dumps(candidate)
        checked, found = check_source(record, text, registry)
        if found:
            refused.append(op)
            continue
        data, source, workflow = candidate, text, checked
        accepted.append(op)
    return source, workflow, tuple(accepted), tuple(refused)


def publish_edit(clinic, registry, edit, actor_id):
    """Publish ``edit`` to ``clinic`` as the admin ``actor_id`` would
    through the publish page, and move every document; ``Published``."""
    from minorconsent.workflow.migrate import (MigrationError, allowed_targets,
                                               declared_family, occupied,
                                               publish_with_migration, run_batch)
    record = clinic['workflows'][edit.workflow_id]
    source, workflow, accepted, refused = accepted_source(record, edit, registry)
    if not accepted:
        # Every change refused: the admin publishes a new title anyway, so
        # every example publishes a version and moves every document.
        source, workflow, accepted, _ = accepted_source(
            record, Edit(edit.workflow_id, (FALLBACK,)), registry)
    done = Published(accepted=accepted, refused=refused)
    removed = sorted(s for s in occupied(record) if not workflow.has_state(s))
    wished = {s: t for s, t in edit.wishes if s in occupied(record) and t != s}
    if wished:
        before = (record.current, dict(record.population()))
        try:
            done.version = publish_with_migration(record, source, workflow, wished, actor_id,
                                                  'random edit')
            done.mapping = wished
        except MigrationError:
            # Refused: nothing published, nothing moved.
            assert (record.current, dict(record.population())) == before
            done.wish_refused = True
    if not done.version:
        allowed = allowed_targets(workflow, declared_family(workflow))
        if removed and not allowed:
            return done
        done.mapping = {s: wished[s] if wished.get(s) in allowed else allowed[0]
                        for s in removed}
        done.version = publish_with_migration(record, source, workflow, done.mapping,
                                              actor_id, 'random edit')
    while run_batch(record):
        pass
    assert all(version == record.current for version, _ in record.population())
    return done


def describe(done):
    """A short line for ``hypothesis.event``."""
    if not done.version:
        return 'nothing published'
    if done.accepted == (FALLBACK,):
        return 'every change refused: a new title published'
    kinds = sorted({op[0] for op in done.accepted})
    return 'published: %s%s' % (', '.join(kinds), ' (a state map)' if done.mapping else '')
