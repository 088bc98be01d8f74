"""Configurable workflows: definitions as data, a small engine, versions.

``includeme`` registers the built-in guards, reads every definition in
``workflows/`` and validates it; the app refuses to start with an invalid
file and says why.  A new database gets the files as version 1.
"""
from importlib.resources import files

from pyramid.exceptions import ConfigurationError

from .definition import DefinitionError, loads
from .guards import BUILT_IN
from .store import WorkflowRecord, WorkflowStore
from .validate import problems

GUARDS_KEY = 'minorconsent.workflow_guards'
DEFAULTS_KEY = 'minorconsent.workflow_defaults'


def add_workflow_guard(config, name, condition):
    """Config directive: register a named guard ``condition(ctx) -> bool``."""
    def register():
        config.registry.setdefault(GUARDS_KEY, {})[name] = condition
    config.action(('minorconsent.workflow_guard', name), register)


def workflow_guards(registry):
    return registry.get(GUARDS_KEY, {})


def fire_posted_step(request, obj):
    """Fire the step a staff page POSTed (``step``, optional ``comment``)
    on ``obj`` as the requester; ``WorkflowError`` says why not."""
    from .engine import Actor, fire
    return fire(obj, request.POST.get('step', ''), Actor.from_request(request),
                workflow_guards(request.registry), (request.POST.get('comment') or '')[:1000])


def read_definitions(directory, guards):
    """``{id: (source, Workflow)}`` for every ``*.toml`` in ``directory``.

    Raises ``DefinitionError`` naming the file and every problem in it.
    """
    found = {}
    for path in sorted(p for p in directory.iterdir() if p.name.endswith('.toml')):
        source = path.read_text(encoding='utf-8')
        workflow = loads(source, source='workflows/' + path.name)
        wrong = problems(workflow, guards)
        if wrong:
            raise DefinitionError(wrong, 'workflows/' + path.name)
        if workflow.id in found:
            raise DefinitionError(['Two files define the workflow "%s".' % workflow.id],
                                  'workflows/' + path.name)
        found[workflow.id] = (source, workflow)
    return found


def includeme(config):
    config.add_directive('add_workflow_guard', add_workflow_guard)
    for name, condition in BUILT_IN.items():
        config.add_workflow_guard(name, condition)
    directory = config.registry.settings.get('minorconsent.workflows_dir')

    def load_defaults():
        from pathlib import Path
        where = Path(directory) if directory else files('minorconsent') / 'workflows'
        try:
            defaults = read_definitions(where, workflow_guards(config.registry))
        except DefinitionError as exc:
            raise ConfigurationError('Invalid workflow definition: %s' % exc) from exc
        config.registry[DEFAULTS_KEY] = defaults
    # After every guard is registered (actions of a higher order run later).
    config.action('minorconsent.workflow_defaults', load_defaults, order=10)
    config.add_evolve_step('0004-workflow-definitions', _install_defaults)
    config.add_evolve_step('0009-workflow-new-defaults', install_missing_defaults)
    config.scan('.views')
    config.scan('.editor_views')


def _install_defaults(root, registry):
    store = WorkflowStore()
    root.add(store, 'workflows')
    install_missing_defaults(root, registry)


def install_missing_defaults(root, registry):
    """Add each shipped definition the clinic does not have yet (a new
    room's workflow); the clinic's own versions of the others are kept."""
    store = root['workflows']
    for wid, (source, _) in sorted(registry[DEFAULTS_KEY].items()):
        if wid not in store:
            store.add(WorkflowRecord(source), wid)
