"""Colander schemas for the workflow admin."""
import colander
import deform

from .vocabulary import TRANSITION_ROLES


class DraftSchema(colander.MappingSchema):
    source = colander.SchemaNode(
        colander.String(), title='Definition (TOML)',
        description='Edit the draft; it is checked when you save. Nothing '
                    'changes for anyone until you publish.',
        widget=deform.widget.TextAreaWidget(rows=30, css_class='code'),
        validator=colander.Length(1, 200_000))


class RequestTmpStore(dict):
    """deform's upload store for one request: the file is read in the
    same request, so nothing needs to outlive it."""

    def preview_url(self, uid):
        return None


@colander.deferred
def _upload_widget(node, kw):
    return deform.widget.FileUploadWidget(RequestTmpStore())


class ImportSchema(colander.MappingSchema):
    upload = colander.SchemaNode(
        deform.FileData(), title='Definition file (.toml)', widget=_upload_widget)


def _id_node(title, description, **kw):
    return colander.SchemaNode(
        colander.String(), title=title, description=description,
        validator=colander.Regex(r'^[a-z][a-z0-9_-]{0,62}$',
                                 'Use lower-case letters, digits, "-" or "_", starting with a letter.'),
        **kw)


class AddStateSchema(colander.MappingSchema):
    state_id = _id_node('State id', 'A short name used in files, e.g. supervisor_review.')
    title = colander.SchemaNode(colander.String(), title='Title',
                                validator=colander.Length(1, 80))
    description = colander.SchemaNode(colander.String(), title='What it means',
                                      missing='', validator=colander.Length(0, 500))


@colander.deferred
def _state_choices(node, kw):
    return deform.widget.SelectWidget(values=[(s, t) for s, t in kw['states']])


@colander.deferred
def _state_multi(node, kw):
    return deform.widget.CheckboxChoiceWidget(values=[(s, t) for s, t in kw['states']])


@colander.deferred
def _states_only(node, kw):
    return colander.OneOf([s for s, _ in kw['states']])


@colander.deferred
def _state_set_only(node, kw):
    return colander.All(colander.Length(min=1, min_err='Choose at least one starting state.'),
                        colander.ContainsOnly([s for s, _ in kw['states']]))


@colander.deferred
def _guard_choices(node, kw):
    return deform.widget.CheckboxChoiceWidget(
        values=[(g, g.replace('_', ' ')) for g in sorted(kw['guards'])])


@colander.deferred
def _guards_only(node, kw):
    return colander.ContainsOnly(sorted(kw['guards']))


_ROLE_TITLES = {'therapist': 'Therapist', 'supervisor': 'Supervisor',
                'guardian': 'Guardian', 'adolescent': 'Adolescent client',
                'system': 'The system (automatic)'}
#: Who may fire a step, as the forms offer it: every role the validator
#: knows (a role added there without a title here fails at import).
STEP_ROLES = tuple((role, _ROLE_TITLES[role]) for role in TRANSITION_ROLES)


class StepSchema(colander.MappingSchema):
    """A step's parts an admin may change: everything but its id."""
    title = colander.SchemaNode(colander.String(), title='Title',
                                validator=colander.Length(1, 80))
    from_states = colander.SchemaNode(colander.Set(), title='From', widget=_state_multi,
                                      validator=_state_set_only)
    to_state = colander.SchemaNode(colander.String(), title='To', widget=_state_choices,
                                   validator=_states_only)
    roles = colander.SchemaNode(
        colander.Set(), title='Who may do it',
        widget=deform.widget.CheckboxChoiceWidget(values=STEP_ROLES),
        validator=colander.All(
            colander.Length(min=1, min_err='Choose who may do it.'),
            colander.ContainsOnly(list(TRANSITION_ROLES))))
    guards = colander.SchemaNode(colander.Set(), title='Conditions', missing=set(),
                                 widget=_guard_choices, validator=_guards_only)
    comment_required = colander.SchemaNode(colander.Boolean(), title='A comment is required',
                                           missing=False)


class AddStepSchema(StepSchema):
    step_id = _id_node('Step id', 'A short name, e.g. send_to_supervisor.',
                       insert_before='title')


def state_schema(roles, permissions):
    """Title, description, consent flag and one permission set per role.

    Family roles are only offered the permissions they may ever hold, so
    the form cannot even express a grant the invariants forbid.
    """
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(colander.String(), name='title', title='Title',
                                   validator=colander.Length(1, 80)))
    schema.add(colander.SchemaNode(colander.String(), name='description',
                                   title='What it means', missing='',
                                   validator=colander.Length(0, 500)))
    schema.add(colander.SchemaNode(colander.Boolean(), name='activates_consent',
                                   title='Entering this state activates consent', missing=False))
    for role, allowed in roles:
        choices = [(p, '%s (%s)' % (p, permissions[p])) for p in sorted(allowed)]
        schema.add(colander.SchemaNode(
            colander.Set(), name='perm_' + role, title='%s may' % role.capitalize(),
            missing=set(), widget=deform.widget.CheckboxChoiceWidget(values=choices),
            validator=colander.ContainsOnly(sorted(allowed))))
    return schema
