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


class DraftEdit(FormView):
    """A page that changes the draft in place: the draft's data on
    ``self.data`` and the registered guards on ``self.guards`` for the
    form; saved, and back to the draft's page, when an edit is done."""

    def before(self):
        self.data = draft_data(self.context)
        self.guards = workflow_guards(self.request.registry)
        return None

    def required(self):
        return workflow_requirements(self.request.registry)

    def back(self):
        return self.request.clinic_url(self.context, 'edit')

    def saved(self, message='saved'):
        save_draft(self.context, self.data)
        return redirect(self.request, self.back(), message)


@clinic_view(context=WorkflowRecord, name='edit', permission='administer',
             renderer='templates/workflow_edit.pt')
class WorkflowEdit(DraftEdit):
    """The draft editor's page: the draft's states and steps, its problems
    and diagram, and two forms, "Add a step" (this page's form) and "Add a
    state" (posted here too, handled in ``before``).  An edit the editor
    refuses is said next to the new id (400), and the draft is unchanged."""

    schema = AddStepSchema()
    buttons = ('add step',)
    formid = 'add_step'

    def before(self):
        super().before()
        self.add_state_form = FormHandler(self.request, AddStateSchema(),
                                          buttons=('add state',), formid='add_state')
        if self.add_state_form.submitted:
            values = self.add_state_form.validate()
            if values is not None:
                return self.edited(self.add_state_form, 'state_id', add_state,
                                   values['state_id'], values['title'], values['description'])
        return None

    def bind(self):
        return {'states': state_choices(self.data), 'guards': self.guards}

    def add_step_success(self, values):
        return self.edited(self.form, 'step_id', add_transition, values['step_id'],
                           values['title'], values['from_states'], values['to_state'],
                           values['roles'], values['guards'], values['comment_required'])

    def edited(self, form, field, edit, *args):
        """``edit(data, *args)`` saved, or refused next to ``field``."""
        try:
            edit(self.data, *args)
        except EditError as exc:
            form.fail(field, str(exc))
            return None
        return self.saved()

    def show(self):
        record, request = self.context, self.request
        workflow, problems = check_source(record, tomli_w.dumps(self.data), request.registry)
        return {'record': record, 'data': self.data, 'problems': problems,
                'diagram': render_svg(workflow) if workflow else '',
                'needed_steps': needed(request, record, STEP),
                'needed_states': needed(request, record, STATE),
                'add_state_form': self.add_state_form.render(),
                'add_step_form': self.form.render()}


#: The buttons below a state's form, each a small form of its own that
#: posts ``op`` to the state's page.
STATE_OPS = ('remove', 'make-initial', 'rename')


@clinic_view(context=WorkflowRecord, name='state', permission='administer',
             renderer='templates/workflow_state.pt')
class WorkflowState(DraftEdit):
    """One state of the draft (``?id=``; an unknown id goes back to the
    draft): its title, description and permission map (this page's form),
    and the buttons that remove it, make it the starting state or change
    its id (posted here with ``op``, handled in ``before``).  A refused
    edit answers 400 with the reason, next to the field or button it is
    about, and the draft is left as it was."""

    formid = 'state'

    def before(self):
        super().before()
        request = self.request
        self.state_id = request.params.get('id', '')
        if self.state_id not in self.data['states']:
            return HTTPFound(location=self.back())
        self.raw = self.data['states'][self.state_id]
        self.roles = [(role, ROLE_FAMILY_PERMISSIONS[role] if role in FAMILY_ROLES
                       else set(PERMISSIONS)) for role in MAP_ROLES]
        self.refused, self.error = [], None
        self.op = request.POST.get('op') if request.method == 'POST' else None
        if self.op is None:
            return None
        # A button's post is not the state's form: answer it here.
        if self.op in STATE_OPS:
            try:
                self.apply_op(self.op)
            except EditError as exc:
                self.error = str(exc)
                request.response.status = 400
            else:
                return self.saved('state-removed' if self.op == 'remove' else 'saved')
        self.form = self.make_form()
        return self.show()

    def apply_op(self, op):
        if op == 'rename':
            rename_state(self.data, self.state_id,
                         (self.request.POST.get('new_id') or '').strip())
        elif op == 'remove':
            remove_state(self.data, self.state_id)
        else:
            set_initial(self.data, self.state_id, known_guards=self.guards,
                        required=self.required())

    def make_schema(self):
        return state_schema(self.roles, PERMISSIONS)

    def appstruct(self):
        raw = self.raw
        appstruct = {'title': raw.get('title', ''), 'description': raw.get('description', ''),
                     'activates_consent': bool(raw.get('activates_consent'))}
        for role, _ in self.roles:
            appstruct['perm_' + role] = set(raw.get('permissions', {}).get(role, ()))
        return appstruct

    def save_success(self, values):
        try:
            update_state(self.data, self.state_id, values['title'], values['description'],
                         values['activates_consent'],
                         {role: values['perm_' + role] for role, _ in self.roles},
                         known_guards=self.guards, required=self.required())
        except EditError as exc:
            # Each sentence next to the field it is about (all at the top too).
            self.refused = exc.problems or [str(exc)]
            fail_fields(self.form, self.refused)
            return None
        return self.saved()

    def page(self):
        record, op, error = self.context, self.op, self.error
        return {'heading': 'State "%s" in the draft' % self.raw.get('title'),
                'back': self.back(), 'state_id': self.state_id, 'refused': self.refused,
                # A refused "make this the starting state" is said beside its button.
                'error': error if op != 'make-initial' else None,
                'initial_error': error if op == 'make-initial' else None,
                'problems': [p for p in check_source(record, tomli_w.dumps(self.data),
                                                     self.request.registry)[1]
                             if getattr(p, 'state', None) == self.state_id]
                if not self.refused else [],
                'is_initial': self.data['initial_state'] == self.state_id,
                'needed': needed(self.request, record, STATE).get(self.state_id)}


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
class WorkflowStep(DraftEdit):
    """Change one step of the draft in place (``?id=`` names it; an unknown
    id is a 404).  ``update_transition`` refuses an edit that would add a
    problem to the draft: the page answers 400 with the reason at the top
    and next to the field, and the draft is left as it was."""

    schema = StepSchema()
    formid = 'step'

    def before(self):
        super().before()
        self.step_id = self.request.params.get('id', '')
        try:
            self.raw = find_transition(self.data, self.step_id)
        except EditError:
            raise HTTPNotFound() from None
        self.refused = []
        return None

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
                              required=self.required())
        except EditError as exc:
            self.refused = exc.problems or [str(exc)]
            return self.fail(exc.field or 'title', str(exc))
        return self.saved()
