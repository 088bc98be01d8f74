"""Configurable workflows: definitions as data, a small engine, versions.

``includeme`` registers the built-in guards, reads every definition in
``workflows/`` and validates it; the app refuses to start with an invalid
file and says why.  A new database gets the files as version 1.

Rooms register guards (``config.add_workflow_guard``) and declare the step
and state ids their code fires or reads (``config.require_workflow_step``,
``config.require_workflow_state``; see ``requirements``): a definition
without them is refused like any other unsound one.
"""
from importlib.resources import files
from pathlib import Path

from pyramid.exceptions import ConfigurationError

from .definition import DefinitionError, loads
from .engine import Actor, fire
from .evolve import DEFAULTS_KEY
from .store import WorkflowRecord, WorkflowStore  # noqa: F401  (the room's API)
from .guards import BUILT_IN
from .requirements import REQUIREMENTS_KEY, FAMILY, STATE, STEP, declared_family_states, \
    declared_guards, family_requirement, family_states, merged, \
    requirement
from .validate import problems
from .vocabulary import FAMILY_ROLES

GUARDS_KEY = 'minorconsent.workflow_guards'


def register_named(config, key, name, value):
    """A config action that keeps ``value`` under ``name`` in the registry's
    ``key`` dictionary (two registrations of one name conflict)."""
    def register():
        config.registry.setdefault(key, {})[name] = value
    config.action((key, name), register)


def add_workflow_guard(config, name, condition):
    """Config directive: register a named guard ``condition(ctx) -> bool``."""
    register_named(config, GUARDS_KEY, name, condition)


def workflow_guards(registry):
    return registry.get(GUARDS_KEY, {})


def _require(config, required):
    def register():
        found = config.registry.setdefault(REQUIREMENTS_KEY, {})
        old = found.get(required.key)
        found[required.key] = required if old is None else merged(old, required)
    # No discriminator: two rooms may rely on the same id (their reasons add up).
    config.action(None, register)


def require_workflow_step(config, content_type, step_id, reason, from_states=(),
                          to_state='', from_initial=False, guards=()):
    """Config directive: the code fires the step ``step_id`` of the
    ``content_type``'s workflow (``reason``: why, in plain words, shown to
    the admin whose definition lacks it).  ``from_states``/``to_state``:
    where it must lead; ``from_initial``: it must start from the starting
    state (wherever objects can leave that state); ``guards``: the
    conditions it must name (the code relies on them holding)."""
    _require(config, requirement(content_type, STEP, step_id, reason, from_states, to_state,
                                 from_initial, guards=guards))


def require_workflow_state(config, content_type, state_id, reason, activates_consent=False,
                           guards_into=(), exempt_roles=()):
    """Config directive: the code reads the state ``state_id`` of the
    ``content_type``'s workflow by its id (``reason`` in plain words).

    ``activates_consent``: the code reads it as "in force", so the state
    must be flagged so (and the signature guard stands on every way in);
    ``guards_into``: every step into it must name these guards, except a
    step only ``exempt_roles`` may take."""
    _require(config, requirement(content_type, STATE, state_id, reason,
                                 guards=guards_into, exempt_roles=exempt_roles,
                                 activates_consent=activates_consent))


def declare_family_states(config, content_type, reason, **roles):
    """Config directive: the room that owns ``content_type`` says in which
    states each family role (``guardian=(...)``, ``adolescent=(...)``) may
    hold a permission, and why (plain words, shown to the admin whose
    definition grants more).  A role left out is in no state; a definition
    can narrow this, never widen it (the validator refuses, the engine
    drops the grant)."""
    for role, states in sorted(roles.items()):
        _require(config, family_requirement(content_type, role, states, reason))


def workflow_requirements(registry):
    """Every declared ``Requirement``, in a stable order."""
    return tuple(sorted(registry.get(REQUIREMENTS_KEY, {}).values(), key=lambda r: r.key))


def fire_posted_step(request, obj):
    """Fire the step a staff page POSTed (``step``, optional ``comment``)
    on ``obj`` as the requester; ``WorkflowError`` says why not."""
    return fire(obj, request.POST.get('step', ''), Actor.from_request(request),
                workflow_guards(request.registry), (request.POST.get('comment') or '')[:1000])


def read_definitions(directory, guards, required=()):
    """``{id: (source, Workflow)}`` for every ``*.toml`` in ``directory``.

    Raises ``DefinitionError`` naming the file and every problem in it
    (``required``: the declared ``Requirement``s).
    """
    found = {}
    for path in sorted(p for p in directory.iterdir() if p.name.endswith('.toml')):
        source = path.read_text(encoding='utf-8')
        workflow = loads(source, source='workflows/' + path.name)
        wrong = problems(workflow, guards, required)
        if wrong:
            raise DefinitionError(wrong, 'workflows/' + path.name)
        if workflow.id in found:
            raise DefinitionError(['Two files define the workflow "%s".' % workflow.id],
                                  'workflows/' + path.name)
        found[workflow.id] = (source, workflow)
    return found


def includeme(config):
    config.add_directive('add_workflow_guard', add_workflow_guard)
    config.add_directive('require_workflow_step', require_workflow_step)
    config.add_directive('require_workflow_state', require_workflow_state)
    config.add_directive('declare_family_states', declare_family_states)
    for name, condition in BUILT_IN.items():
        config.add_workflow_guard(name, condition)
    directory = config.registry.settings.get('minorconsent.workflows_dir')

    def load_defaults():
        where = Path(directory) if directory else files('minorconsent') / 'workflows'
        try:
            defaults = read_definitions(where, workflow_guards(config.registry),
                                        workflow_requirements(config.registry))
        except DefinitionError as exc:
            raise ConfigurationError('Invalid workflow definition: %s' % exc) from exc
        config.registry[DEFAULTS_KEY] = defaults
    # After every guard and requirement is registered (actions of a higher
    # order run later).
    config.action('minorconsent.workflow_defaults', load_defaults, order=10)
    config.include('.evolve')
    # The one step view for every workflowed document; each room registers
    # it for its content (a room included before this one calls the function).
    config.add_directive('add_step_view', 'minorconsent.workflow.views:add_step_view')
    config.scan('.views')
    config.scan('.editor_views')
