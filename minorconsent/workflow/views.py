"""Workflow admin: list, read (diagram, who-sees-what), edit a draft,
import and export, publish a new version; and the one step view every
workflowed document's page posts to (``add_step_view``)."""
import difflib
import functools

from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.response import Response

from minorconsent.site.forms import FormView
from minorconsent.site.messages import redirect
from minorconsent.site import ROUTE
from minorconsent.site.views import clinic_view

from . import fire_posted_step, register_named, workflow_guards, workflow_requirements
from .definition import DefinitionError, loads
from .diagram import render_svg
from .diff import changes
from .engine import WorkflowError
from .migrate import (MigrationError, allowed_targets, declared_family, plan,
                      publish_with_migration, run_batch)
from .schemas import DraftSchema, ImportSchema
from .store import WorkflowRecord, WorkflowStore
from .validate import problems as definition_problems, visibility
from .vocabulary import MAP_ROLES, PERMISSIONS


#: ``{content class: noun}``: what the step view's documents are called
#: on its refusal page ("Back to the summary").
STEP_NOUNS_KEY = 'minorconsent.workflow_step_nouns'


def document_noun(request):
    """What the document of this request is called: the noun its room's
    step view was registered with (``add_step_view``), else "document"."""
    nouns = request.registry.get(STEP_NOUNS_KEY, {})
    for kind in type(request.context).__mro__:
        if kind in nouns:
            return nouns[kind]
    return 'document'


def step_refused(request, message):
    """The page of a step on a document that cannot be done (400, nothing
    changed): ``message`` says why, with a way back to the document, named
    as what it is (an agreement, a summary, a disclosure)."""
    response = render_to_response(
        'minorconsent:workflow/templates/step_refused.pt',
        {'message': message, 'back': request.clinic_url(request.context),
         'noun': document_noun(request)}, request=request)
    response.status = 400
    return response


def fire_step(context, request):
    """POST ``<document>/step``: fire the step the document's page chose
    (``step``, optional ``comment``) as the requester, then back to the
    document with "Done."; a step that cannot be taken says why
    (``step_refused``).  What a step sets off is not here: the owning
    room's ``subscribers.py`` hears it (``workflow.events.AfterTransition``),
    whichever way the step was fired."""
    try:
        fire_posted_step(request, context)
    except WorkflowError as exc:
        return step_refused(request, str(exc))
    return redirect(request, request.clinic_url(context), 'step-done')


def add_step_view(config, content, noun=None):
    """``config.add_step_view(Content)``: the step view for a room's
    workflowed ``Content``, registered for that class (so each kind keeps
    its own row in the authorization matrix and its own audit action,
    ``POST <Content>.step``) with the document's ``view`` permission; the
    workflow's own permission map and guards decide whether the step may be
    taken.  The refusal page calls the document by ``noun``: the class's
    own name (a domain name: agreement, summary, disclosure) unless the
    room gives another."""
    config.add_view(fire_step, context=content, name='step', permission='view',
                    request_method='POST', route_name=ROUTE)
    register_named(config, STEP_NOUNS_KEY, content, noun or content.__name__.lower())


def check_source(record, source, registry):
    """``(workflow, problems)`` for a proposed new version of ``record``:
    the validator's (the declared requirements included) and the record's
    own (its id and content type stay)."""
    current = record.definition()
    try:
        workflow = loads(source, version=record.versions.maxKey() + 1)
    except DefinitionError as exc:
        return None, exc.problems
    found = definition_problems(workflow, workflow_guards(registry),
                                workflow_requirements(registry))
    if workflow.id != current.id:
        found.append('The id must stay "%s" (it was changed to "%s").' % (current.id, workflow.id))
    if workflow.content_type != current.content_type:
        found.append('The content type must stay "%s".' % current.content_type)
    return workflow, found


@clinic_view(context=WorkflowStore, permission='administer',
             renderer='templates/workflows.pt')
def workflow_list(request):
    rows = []
    for record in request.context.values():
        definition = record.definition()
        rows.append({'record': record, 'definition': definition,
                     'objects': sum(record.population().values())})
    return {'rows': rows}


@clinic_view(context=WorkflowRecord, permission='administer',
             renderer='templates/workflow.pt')
def workflow_page(request):
    record = request.context
    definition = record.definition()
    population = record.population()
    return {
        'record': record, 'definition': definition,
        'diagram': render_svg(definition),
        'matrix': visibility(definition), 'roles': MAP_ROLES,
        'permission_titles': PERMISSIONS,
        'counts': {state: n for (version, state), n in population.items()
                   if version == record.current},
        'versions': list(record.versions.keys()),
    }


@clinic_view(context=WorkflowRecord, name='export', permission='administer')
def workflow_export(request):
    record = request.context
    try:
        version = int(request.params.get('version', record.current))
        source = record.versions[version]
    except (ValueError, KeyError):
        raise HTTPNotFound() from None
    response = Response(source, content_type='application/toml', charset='utf-8')
    response.content_disposition = 'attachment; filename="%s-v%d.toml"' % (
        record.__name__, version)
    return response


#: Registers a ``DefinitionForm`` page: ``<workflow>/<name>``, the admin's.
definition_form = functools.partial(clinic_view, context=WorkflowRecord,
                                    permission='administer',
                                    renderer='templates/workflow_form.pt')


class DefinitionForm(FormView):
    """A form that replaces the draft of a workflow: back to the workflow."""

    heading = ''

    def page(self):
        return {'heading': self.heading % self.context.definition().title,
                'back': self.request.clinic_url(self.context)}

    def save_as_draft(self, field, source):
        """Keep ``source`` as the draft and go on to publishing it, or say
        next to ``field`` what is wrong with it."""
        _, found = check_source(self.context, source, self.request.registry)
        if found:
            return self.fail(field, ' '.join(found))
        self.context.draft = source
        return redirect(self.request, self.request.clinic_url(self.context, 'publish'),
                        'saved')


@definition_form(name='draft')
class WorkflowDraft(DefinitionForm):
    heading = 'Edit the draft of "%s"'
    schema = DraftSchema()
    buttons = ('save draft',)

    def appstruct(self):
        record = self.context
        return {'source': record.draft or record.versions[record.current]}

    def save_draft_success(self, values):
        return self.save_as_draft('source', values['source'])


@definition_form(name='import')
class WorkflowImport(DefinitionForm):
    heading = 'Import a definition as the draft of "%s"'
    schema = ImportSchema()
    buttons = ('import as draft',)

    def import_as_draft_success(self, values):
        try:
            source = values['upload']['fp'].read(200_001).decode('utf-8')
        except UnicodeDecodeError:
            return self.fail('upload', 'The file is not UTF-8 text.')
        return self.save_as_draft('upload', source)


#: Objects moved within the publishing request; more are left to
#: ``minorconsent-migrate`` (and keep working under their old version).
IN_REQUEST_BATCH = 2000


@clinic_view(context=WorkflowRecord, name='publish', permission='administer',
             renderer='templates/workflow_publish.pt')
def workflow_publish(request):
    """Show the draft's changes and the dry run of moving objects; on POST,
    publish it as a new version and move the objects."""
    record = request.context
    if record.draft is None:
        return redirect(request, request.clinic_url(record, 'draft'))
    current = record.definition()
    draft, found = check_source(record, record.draft, request.registry)
    mapping = {key[4:]: value for key, value in request.POST.items()
               if key.startswith('map.') and value}
    error, refused = None, {}
    if request.method == 'POST' and found:
        request.response.status = 400     # the problems are listed; nothing changes
    if request.method == 'POST' and not found:
        try:
            publish_with_migration(record, record.draft, draft, mapping,
                                   request.authenticated_userid,
                                   (request.POST.get('comment') or '')[:500])
        except MigrationError as exc:
            error, refused = str(exc), exc.problems
            request.response.status = 400
        else:
            run_batch(record, IN_REQUEST_BATCH)
            return redirect(request, request.clinic_url(record), 'workflow-published')
    text_diff = '\n'.join(difflib.unified_diff(
        record.versions[record.current].splitlines(), record.draft.splitlines(),
        'version %d' % record.current, 'draft', lineterm=''))
    return {'record': record, 'current': current, 'problems': found,
            'changes': changes(current, draft) if draft else [],
            'moves': plan(record, draft, mapping) if draft else [],
            'new_states': draft.states if draft else (), 'error': error,
            'refused': refused,
            'allowed': set(allowed_targets(draft, declared_family(draft))) if draft else set(),
            'kept': {s.id for s in draft.states} if draft else set(),
            'mapping': mapping, 'text_diff': text_diff,
            'diagram': render_svg(draft) if draft else ''}


@clinic_view(context=WorkflowRecord, name='discard', permission='administer',
             request_method='POST')
def workflow_discard(request):
    request.context.draft = None
    return redirect(request, request.clinic_url(request.context), 'draft-discarded')
