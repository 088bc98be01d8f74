"""Edits an admin makes to a draft, as plain functions on its data.

Each function takes the draft's mapping (``definition.to_data``), changes
it and returns nothing, or raises ``EditError`` with a sentence for the
form.  A draft may be unsound between edits (a new state is unreachable
until a step leads to it); the validator's problems are shown beside the
draft and publishing waits until there are none.  Changing a step in place
(``update_transition``) is stricter: it is refused when it would add a
problem (a door the invariants close, a state cut off), and the admin is
told why at once rather than at publishing.

Removing or renaming a step or state the code relies on (a requirement a
room declared, ``requirements``) is allowed in a draft like any other
half-done reshaping: the problem is listed beside the draft, with the
room's reason, and publishing waits until the draft has the id again.
"""
import copy

from .definition import DefinitionError, parse
from .validate import problems, reachable
from .vocabulary import ID, MAP_ROLES, PERMISSIONS, UNREACHABLE, Problem


class EditError(ValueError):
    """An edit refused; the message is a sentence for the form.

    ``field`` names the form field the message belongs next to (when one
    does) and ``problems`` lists the validator's sentences that refused it.
    """

    def __init__(self, message, field=None, problems=()):
        super().__init__(message)
        self.field = field
        self.problems = list(problems)


def _check_id(value, kind):
    if not ID.match(value or ''):
        raise EditError('A %s id uses lower-case letters, digits, "-" or "_", '
                        'and starts with a letter.' % kind)


def add_state(data, state_id, title, description=''):
    _check_id(state_id, 'state')
    if state_id in data['states']:
        raise EditError('There is already a state "%s".' % state_id)
    data['states'][state_id] = {'title': title, 'description': description,
                                'permissions': {}}


def update_state(data, state_id, title, description, activates_consent, permissions,
                 known_guards=None, required=()):
    """Rename, describe and set the permission map of a state.

    With ``known_guards`` (the registered guard names; ``required`` the
    declared requirements) the edit is checked like a step's: refused with
    ``EditError`` when it would add a problem about this state -- a family
    grant in a state the owning room does not declare family-visible, a
    state no staff role can see, one nobody can leave -- and ``data`` is
    then exactly as it was."""
    candidate = copy.deepcopy(data) if known_guards is not None else data
    state = candidate['states'][state_id]
    state['title'] = title
    state['description'] = description
    if activates_consent:
        state['activates_consent'] = True
    else:
        state.pop('activates_consent', None)
    state['permissions'] = {role: sorted(set(perms)) for role, perms in permissions.items()
                            if role in MAP_ROLES and perms
                            and set(perms) <= set(PERMISSIONS)}
    if known_guards is None:
        return
    new = _new_problems(data, candidate, known_guards, required)
    if new:
        field = next((p.field for p in new if p.field), None)
        raise EditError(' '.join(new), field=field, problems=new)
    data['states'][state_id] = state


def remove_state(data, state_id):
    """Remove a state and every step into it; steps out of it lose it."""
    if state_id not in data['states']:
        raise EditError('There is no state "%s".' % state_id)
    if data['initial_state'] == state_id:
        raise EditError('New objects start in this state: make another state '
                        'the starting state first.')
    del data['states'][state_id]
    kept = []
    for t in data['transitions']:
        if t['to'] == state_id:
            continue
        t['from'] = [s for s in t['from'] if s != state_id]
        if t['from']:
            kept.append(t)
    data['transitions'] = kept


def set_initial(data, state_id, known_guards=None, required=()):
    """Make ``state_id`` the starting state.  With ``known_guards``
    (``required``: the declared requirements) refused with ``EditError``
    when that adds a problem about the state -- a state a family member
    sees, one behind a guard, one that activates consent: every new
    document would be there without a step -- and ``data`` unchanged."""
    if state_id not in data['states']:
        raise EditError('There is no state "%s".' % state_id)
    if known_guards is not None:
        candidate = copy.deepcopy(data)
        candidate['initial_state'] = state_id
        new = [p for p in _new_problems(data, candidate, known_guards, required)
               if p.state == state_id and p.field != UNREACHABLE]
        if new:
            raise EditError(' '.join(new), problems=new)
    data['initial_state'] = state_id


def add_transition(data, transition_id, title, from_states, to_state, roles,
                   guards=(), comment_required=False):
    _check_id(transition_id, 'step')
    if any(t['id'] == transition_id for t in data['transitions']):
        raise EditError('There is already a step "%s".' % transition_id)
    raw = {'id': transition_id, 'title': title, 'from': sorted(from_states),
           'to': to_state, 'roles': sorted(roles)}
    if guards:
        raw['guards'] = sorted(guards)
    if comment_required:
        raw['comment_required'] = True
    data['transitions'].append(raw)


def remove_transition(data, transition_id):
    before = len(data['transitions'])
    data['transitions'] = [t for t in data['transitions'] if t['id'] != transition_id]
    if len(data['transitions']) == before:
        raise EditError('There is no step "%s".' % transition_id)


def rename_state(data, old_id, new_id):
    """Give a state a new id everywhere the draft names it.

    Objects in the old state are not touched here: publishing maps them
    (the publish page proposes nothing for a vanished id; the admin chooses).
    """
    _check_id(new_id, 'state')
    if old_id not in data['states']:
        raise EditError('There is no state "%s".' % old_id)
    if new_id in data['states']:
        raise EditError('There is already a state "%s".' % new_id)
    data['states'] = {(new_id if sid == old_id else sid): raw
                      for sid, raw in data['states'].items()}
    if data['initial_state'] == old_id:
        data['initial_state'] = new_id
    for t in data['transitions']:
        t['from'] = [new_id if s == old_id else s for s in t['from']]
        if t['to'] == old_id:
            t['to'] = new_id


def find_transition(data, transition_id):
    """The draft's mapping of the step ``transition_id``, or ``EditError``."""
    for raw in data['transitions']:
        if raw.get('id') == transition_id:
            return raw
    raise EditError('There is no step "%s".' % transition_id)


def update_transition(data, transition_id, title, from_states, to_state, roles, guards=(),
                      comment_required=False, *, known_guards, required=()):
    """Change a step in place: title, starting states, target state, who
    may fire it, its conditions, whether a comment is required.

    The id cannot change here.  Code fires some steps by id (consent's
    ``activate`` and ``supersede``, an adolescent's ``return_to_draft``,
    a disclosure's ``record_without_signoff``), agreements file some as
    e-signature events (``send``, ``decline``, ``revoke``), and every
    object's history names the steps it went through: a renamed step would
    quietly stop doing what the code expects of it.  A new id is a new
    step: add it and remove the old one.  A ``permission`` the step may
    have (a file can name one; the form does not offer it) is kept.

    Checked by the validator before anything changes, ``known_guards``
    being the registered guard names and ``required`` the declared
    requirements: the edit is refused if it would add a problem to the
    draft -- a family member acting where they have no part, a way into a
    consent-activating state without the signature guard, a state that
    can no longer be reached, no final state left, a step the code fires
    no longer leading where the code expects.
    Problems the draft already had do not block it (a draft may be half
    reshaped; the editor lists them and publishing waits), and an edit may
    fix them.  On refusal ``data`` is exactly as it was.
    """
    raw = find_transition(data, transition_id)
    title = ' '.join((title or '').split())
    if not title:
        raise EditError('The step "%s" needs a title.' % transition_id, field='title')
    if not to_state:
        raise EditError('Choose the state the step "%s" goes to.' % transition_id,
                        field='to_state')
    edited = {key: value for key, value in raw.items()
              if key not in ('title', 'from', 'to', 'roles', 'guards', 'comment_required')}
    edited.update({'title': title, 'from': sorted(set(from_states)), 'to': to_state,
                   'roles': sorted(set(roles))})
    if guards:
        edited['guards'] = sorted(set(guards))
    if comment_required:
        edited['comment_required'] = True
    candidate = copy.deepcopy(data)
    candidate['transitions'] = [edited if t.get('id') == transition_id else t
                                for t in candidate['transitions']]
    new = _new_problems(data, candidate, known_guards, required)
    if new:
        moved_from = edited['from'] != sorted(raw.get('from', []))
        moved_to = edited['to'] != raw.get('to')
        fallback = 'from_states' if moved_from and not moved_to else 'to_state'
        field = next((p.field for p in new if p.field and p.field != UNREACHABLE),
                     None) or fallback
        raise EditError(' '.join(new), field=field, problems=new)
    raw.clear()
    raw.update(edited)     # in place: the step keeps its place in the file


def _soundness(data, guards, required=()):
    """``(problems, unreachable state ids)`` of a draft mapping."""
    try:
        workflow = parse(data)
    except DefinitionError as exc:
        return [Problem(p) for p in exc.problems], set()
    ids = {s.id for s in workflow.states}
    unreachable = ids - reachable(workflow) if workflow.initial_state in ids else set()
    return problems(workflow, guards, required), unreachable


def _new_problems(before, after, guards, required=()):
    """The problems ``after`` has that ``before`` did not.

    The validator only looks for unreachable states once nothing else is
    wrong, so reachability is compared here directly: a state that was
    already unreachable is an old problem, one that becomes so is new,
    whatever else the draft has.
    """
    old, old_unreachable = _soundness(before, guards, required)
    found, unreachable = _soundness(after, guards, required)
    new = [p for p in found if p not in old and p.field != UNREACHABLE]
    initial = after.get('initial_state')
    for sid in sorted(unreachable - old_unreachable):
        new.append(Problem('State "%s" cannot be reached from the initial state "%s".'
                           % (sid, initial), state=sid, field=UNREACHABLE))
    return new
