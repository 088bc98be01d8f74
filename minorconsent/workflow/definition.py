"""Workflow definitions: plain, immutable data read from TOML.

A definition is data an admin can read and edit: states with a permission
map, transitions with who may fire them and which named guards must hold.
It never contains code.  ``parse`` turns the TOML mapping into frozen
dataclasses and reports *shape* problems (missing keys, wrong types); the
rules about soundness and confidentiality live in ``validate``.
"""
import tomllib
from dataclasses import dataclass


class DefinitionError(ValueError):
    """A definition that must not be activated; ``problems`` says why."""

    def __init__(self, problems, source=None):
        self.problems = list(problems)
        self.source = source
        prefix = '%s: ' % source if source else ''
        super().__init__(prefix + '; '.join(self.problems))


@dataclass(frozen=True)
class State:
    id: str
    title: str
    description: str = ''
    #: role -> permissions an object in this state grants that role
    permissions: tuple = ()          # ((role, (perm, ...)), ...), sorted
    activates_consent: bool = False

    def granted(self, role):
        return dict(self.permissions).get(role, ())


@dataclass(frozen=True)
class Transition:
    id: str
    title: str
    from_states: tuple
    to_state: str
    roles: tuple = ()
    permission: str = ''
    guards: tuple = ()
    comment_required: bool = False


@dataclass(frozen=True)
class Workflow:
    id: str
    title: str
    content_type: str
    initial_state: str
    states: tuple                     # (State, ...) in file order
    transitions: tuple                # (Transition, ...) in file order
    description: str = ''
    version: int = 1

    def state(self, state_id):
        for state in self.states:
            if state.id == state_id:
                return state
        raise KeyError(state_id)

    def has_state(self, state_id):
        return any(s.id == state_id for s in self.states)

    def transitions_from(self, state_id):
        return [t for t in self.transitions if state_id in t.from_states]

    def transition(self, transition_id):
        for transition in self.transitions:
            if transition.id == transition_id:
                return transition
        raise KeyError(transition_id)


def _text(data, key, where, problems, required=True):
    value = data.get(key, '')
    if not isinstance(value, str):
        problems.append('%s: "%s" must be text.' % (where, key))
        return ''
    if required and not value.strip():
        problems.append('%s needs a %s.' % (where, key.replace('_', ' ')))
    return value.strip()


def _names(data, key, where, problems):
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append('%s: "%s" must be a list of names.' % (where, key))
        return ()
    return tuple(value)


def parse(data, version=1, source=None):
    """A ``Workflow`` from a TOML mapping, or ``DefinitionError``."""
    problems = []
    if not isinstance(data, dict):
        raise DefinitionError(['The definition is not a table.'], source)
    wid = _text(data, 'id', 'The workflow', problems)
    title = _text(data, 'title', 'The workflow', problems)
    content_type = _text(data, 'content_type', 'The workflow', problems)
    initial = _text(data, 'initial_state', 'The workflow', problems)
    states = []
    raw_states = data.get('states', {})
    if not isinstance(raw_states, dict) or not raw_states:
        problems.append('The workflow has no states.')
        raw_states = {}
    for sid, raw in raw_states.items():
        where = 'State "%s"' % sid
        if not isinstance(raw, dict):
            problems.append('%s must be a table.' % where)
            continue
        perms = raw.get('permissions', {})
        if not isinstance(perms, dict):
            problems.append('%s: "permissions" must be a table of role = [permissions].' % where)
            perms = {}
        grants = []
        for role, granted in sorted(perms.items()):
            names = _names({'p': granted}, 'p', '%s, role "%s"' % (where, role), problems)
            grants.append((role, tuple(sorted(set(names)))))
        activates = raw.get('activates_consent', False)
        if not isinstance(activates, bool):
            problems.append('%s: "activates_consent" must be true or false.' % where)
            activates = False
        states.append(State(sid, _text(raw, 'title', where, problems),
                            _text(raw, 'description', where, problems, required=False),
                            tuple(grants), activates))
    transitions = []
    raw_transitions = data.get('transitions', [])
    if not isinstance(raw_transitions, list):
        problems.append('"transitions" must be a list of [[transitions]] tables.')
        raw_transitions = []
    for n, raw in enumerate(raw_transitions, 1):
        if not isinstance(raw, dict):
            problems.append('Transition %d must be a table.' % n)
            continue
        tid = raw.get('id') if isinstance(raw.get('id'), str) else ''
        where = 'Transition "%s"' % tid if tid else 'Transition %d' % n
        if not tid:
            problems.append('%s needs an id.' % where)
        comment = raw.get('comment_required', False)
        if not isinstance(comment, bool):
            problems.append('%s: "comment_required" must be true or false.' % where)
            comment = False
        transitions.append(Transition(
            tid, _text(raw, 'title', where, problems),
            _names(raw, 'from', where, problems),
            _text(raw, 'to', where, problems),
            _names(raw, 'roles', where, problems),
            _text(raw, 'permission', where, problems, required=False),
            _names(raw, 'guards', where, problems),
            comment))
    if problems:
        raise DefinitionError(problems, source)
    return Workflow(wid, title, content_type, initial, tuple(states),
                    tuple(transitions), _text(data, 'description', '', [], False),
                    version)


def loads(text, version=1, source=None):
    """Parse TOML text into a ``Workflow``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(['This is not valid TOML (%s).' % exc], source) from exc
    except RecursionError as exc:
        # tomllib parses nested arrays recursively: "x = [[[[..." answered 500.
        raise DefinitionError(['This is not valid TOML (it is nested too deeply).'],
                              source) from exc
    return parse(data, version, source)


def to_data(workflow):
    """The TOML-ready mapping of a ``Workflow`` (inverse of ``parse``)."""
    data = {'id': workflow.id, 'title': workflow.title,
            'description': workflow.description,
            'content_type': workflow.content_type,
            'initial_state': workflow.initial_state, 'states': {},
            'transitions': []}
    for state in workflow.states:
        raw = {'title': state.title, 'description': state.description}
        if state.activates_consent:
            raw['activates_consent'] = True
        raw['permissions'] = {role: list(perms) for role, perms in state.permissions}
        data['states'][state.id] = raw
    for t in workflow.transitions:
        raw = {'id': t.id, 'title': t.title, 'from': list(t.from_states), 'to': t.to_state,
               'roles': list(t.roles)}
        if t.permission:
            raw['permission'] = t.permission
        if t.guards:
            raw['guards'] = list(t.guards)
        if t.comment_required:
            raw['comment_required'] = True
        data['transitions'].append(raw)
    return data
