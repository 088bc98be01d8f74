"""Edits an admin makes to a draft, as plain functions on its data.

Each function takes the draft's mapping (``definition.to_data``), changes
it and returns nothing, or raises ``EditError`` with a sentence for the
form.  A draft may be unsound between edits (a new state is unreachable
until a step leads to it); the validator's problems are shown beside the
draft and publishing waits until there are none.
"""
from .validate import ID, MAP_ROLES, PERMISSIONS


class EditError(ValueError):
    pass


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


def update_state(data, state_id, title, description, activates_consent, permissions):
    """Rename, describe and set the permission map of a state."""
    state = data['states'][state_id]
    state['title'] = title
    state['description'] = description
    if activates_consent:
        state['activates_consent'] = True
    else:
        state.pop('activates_consent', None)
    state['permissions'] = {role: sorted(set(perms)) for role, perms in permissions.items()
                            if role in MAP_ROLES and perms
                            and set(perms) <= set(PERMISSIONS)}


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


def set_initial(data, state_id):
    if state_id not in data['states']:
        raise EditError('There is no state "%s".' % state_id)
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
