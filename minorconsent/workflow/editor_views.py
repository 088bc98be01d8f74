"""The structured draft editor: states, their permission maps, and steps."""
import tomllib

import colander
import deform
import tomli_w
from pyramid.httpexceptions import HTTPFound, HTTPNotFound

from minorconsent.site.forms import FormHandler, FormView
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from . import workflow_guards, workflow_requirements
from .diagram import render_svg
from .editor import EditError, add_state, add_transition, find_transition, remove_state, \
    remove_transition, rename_state, set_initial, update_state, update_transition
from .schemas import AddStateSchema, AddStepSchema, StepSchema, state_schema
from .requirements import STATE, STEP, of_content_type
from .store import WorkflowRecord
from .vocabulary import FAMILY_ROLES, MAP_ROLES, PERMISSIONS, ROLE_FAMILY_PERMISSIONS
from .views import check_source


def draft_data(record):
    return tomllib.loads(record.draft or record.versions[record.current])


def save_draft(record, data):
    record.draft = tomli_w.dumps(data)


def state_choices(data):
    return [(sid, raw.get('title') or sid) for sid, raw in data['states'].items()]


def needed(request, record, kind):
    """``{id: reason}`` of the steps or states (``kind``) of this workflow
    that the code relies on, to say so beside them in the editor."""
    content_type = record.definition().content_type
    return {r.id: r.reason for r in of_content_type(
        workflow_requirements(request.registry), content_type) if r.kind == kind}


@clinic_view(context=WorkflowRecord, name='edit', permission='administer',
             renderer='templates/workflow_edit.pt')
def workflow_edit(request):
    record = request.context
    data = draft_data(record)
    guards = workflow_guards(request.registry)
    add_state_form = FormHandler(request, AddStateSchema(), buttons=('add state',),
                                 formid='add_state')
    add_step_form = FormHandler(request, AddStepSchema(), buttons=('add step',),
                                formid='add_step', states=state_choices(data), guards=guards)
    for form, apply in ((add_state_form, lambda v: add_state(
            data, v['state_id'], v['title'], v['description'])),
                        (add_step_form, lambda v: add_transition(
            data, v['step_id'], v['title'], v['from_states'], v['to_state'], v['roles'],
            v['guards'], v['comment_required']))):
        if form.submitted:
            values = form.validate()
            if values is not None:
                try:
                    apply(values)
                except EditError as exc:
                    form.fail('state_id' if form is add_state_form else 'step_id', str(exc))
                else:
                    save_draft(record, data)
                    return redirect(request, request.clinic_url(record, 'edit'), 'saved')
    workflow, problems = check_source(record, tomli_w.dumps(data), request.registry)
    return {'record': record, 'data': data, 'problems': problems,
            'diagram': render_svg(workflow) if workflow else '',
            'needed_steps': needed(request, record, STEP),
            'needed_states': needed(request, record, STATE),
            'add_state_form': add_state_form.render(), 'add_step_form': add_step_form.render()}


@clinic_view(context=WorkflowRecord, name='state', permission='administer',
             renderer='templates/workflow_state.pt')
def workflow_state(request):
    record = request.context
    data = draft_data(record)
    state_id = request.params.get('id', '')
    if state_id not in data['states']:
        return HTTPFound(location=request.clinic_url(record, 'edit'))
    back = request.clinic_url(record, 'edit')
    op = request.POST.get('op') if request.method == 'POST' else None
    error = None
    if op in ('remove', 'make-initial', 'rename'):
        try:
            if op == 'rename':
                rename_state(data, state_id, (request.POST.get('new_id') or '').strip())
            elif op == 'remove':
                remove_state(data, state_id)
            else:
                set_initial(data, state_id, known_guards=workflow_guards(request.registry),
                            required=workflow_requirements(request.registry))
        except EditError as exc:
            error = str(exc)
            request.response.status = 400
        else:
            save_draft(record, data)
            return redirect(request, back, 'state-removed' if op == 'remove' else 'saved')
    raw = data['states'][state_id]
    roles = [(role, ROLE_FAMILY_PERMISSIONS[role] if role in FAMILY_ROLES else set(PERMISSIONS))
             for role in MAP_ROLES]
    appstruct = {'title': raw.get('title', ''), 'description': raw.get('description', ''),
                 'activates_consent': bool(raw.get('activates_consent'))}
    for role, _ in roles:
        appstruct['perm_' + role] = set(raw.get('permissions', {}).get(role, ()))
    form = FormHandler(request, state_schema(roles, PERMISSIONS), appstruct=appstruct,
                       formid='state')
    refused = []
    if form.submitted and op is None:
        values = form.validate()
        if values is not None:
            try:
                update_state(data, state_id, values['title'], values['description'],
                             values['activates_consent'],
                             {role: values['perm_' + role] for role, _ in roles},
                             known_guards=workflow_guards(request.registry),
                             required=workflow_requirements(request.registry))
            except EditError as exc:
                # Each sentence next to the field it is about (all at the top too).
                refused = exc.problems or [str(exc)]
                fail_fields(form, refused)
            else:
                save_draft(record, data)
                return redirect(request, back, 'saved')
    return {'form': form.render(), 'heading': 'State "%s" in the draft' % raw.get('title'),
            'back': back, 'state_id': state_id, 'refused': refused,
            # A refused "make this the starting state" is said beside its button.
            'error': error if op != 'make-initial' else None,
            'initial_error': error if op == 'make-initial' else None,
            'problems': [p for p in check_source(record, tomli_w.dumps(data),
                                                 request.registry)[1]
                         if getattr(p, 'state', None) == state_id] if not refused else [],
            'is_initial': data['initial_state'] == state_id,
            'needed': needed(request, record, STATE).get(state_id)}


def fail_fields(form, refused):
    """Put each refused ``Problem`` next to the form field it names (those
    naming none next to the title); 400."""
    fields = {node.name for node in form.form.schema}
    by_field = {}
    for problem in refused:
        field = problem.field if getattr(problem, 'field', None) in fields else 'title'
        by_field.setdefault(field, []).append(str(problem))
    exc = colander.Invalid(form.form.schema, '')
    for field, sentences in by_field.items():
        exc[field] = ' '.join(sentences)
    form.form.widget.handle_error(form.form, exc)
    form.error = deform.ValidationFailure(form.form, form.form.cstruct, exc)
    form.request.response.status = 400


@clinic_view(context=WorkflowRecord, name='remove-step', permission='administer',
             request_method='POST')
def workflow_remove_step(request):
    record = request.context
    data = draft_data(record)
    try:
        remove_transition(data, request.POST.get('step', ''))
    except EditError:
        return redirect(request, request.clinic_url(record, 'edit'))
    save_draft(record, data)
    return redirect(request, request.clinic_url(record, 'edit'), 'step-removed')


@clinic_view(context=WorkflowRecord, name='step', permission='administer',
             renderer='templates/workflow_step.pt')
class WorkflowStep(FormView):
    """Change one step of the draft in place (``?id=`` names it; an unknown
    id is a 404).  ``update_transition`` refuses an edit that would add a
    problem to the draft: the page answers 400 with the reason at the top
    and next to the field, and the draft is left as it was."""

    schema = StepSchema()
    formid = 'step'

    def __call__(self):
        self.data = draft_data(self.context)
        self.step_id = self.request.params.get('id', '')
        try:
            self.raw = find_transition(self.data, self.step_id)
        except EditError:
            raise HTTPNotFound() from None
        self.guards = workflow_guards(self.request.registry)
        self.refused = []
        return super().__call__()

    def back(self):
        return self.request.clinic_url(self.context, 'edit')

    def bind(self):
        return {'states': state_choices(self.data), 'guards': self.guards}

    def appstruct(self):
        raw = self.raw
        return {'title': raw.get('title', ''), 'from_states': set(raw.get('from', ())),
                'to_state': raw.get('to', ''), 'roles': set(raw.get('roles', ())),
                'guards': set(raw.get('guards', ())),
                'comment_required': bool(raw.get('comment_required'))}

    def page(self):
        return {'heading': 'Step "%s" in the draft' % self.raw.get('title'),
                'back': self.back(), 'step_id': self.step_id, 'refused': self.refused,
                'needed': needed(self.request, self.context, STEP).get(self.step_id)}

    def save_success(self, values):
        try:
            update_transition(self.data, self.step_id, values['title'], values['from_states'],
                              values['to_state'], values['roles'], values['guards'],
                              values['comment_required'], known_guards=self.guards,
                              required=workflow_requirements(self.request.registry))
        except EditError as exc:
            self.refused = exc.problems or [str(exc)]
            return self.fail(exc.field or 'title', str(exc))
        save_draft(self.context, self.data)
        return redirect(self.request, self.back(), 'saved')
