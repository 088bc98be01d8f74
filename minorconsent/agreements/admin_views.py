"""The admin edits agreement texts and the clinic's kinds of agreement.

Every save of a text is a new version, with its own SHA-256; agreements
already started keep the text they were started with, so a signed text
never changes.  A kind of the clinic's own (``kinds``) is added with its
first text in English and Spanish; the built-in kinds cannot be removed
and keep their signers and workflow (refused next to the field)."""
from minorconsent.site.forms import FormView
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .kinds import SIGNER_WORDS, KindRefused, add_kind, agreement_workflows, change_kind, \
    kinds_of, remove_kind
from .model import AgreementTemplate, AgreementTemplates
from .schemas import KindAddSchema, KindSchema, TemplateSchema
from .validity import set_validity


@clinic_view(context=AgreementTemplates, permission='administer',
             renderer='templates/templates.pt')
def template_list(request):
    clinic = request.clinic
    kinds = kinds_of(clinic)
    workflows = {wid: r.definition().title for wid, r in clinic['workflows'].items()}
    rows = [(t, kinds.get(t.kind)) for t in request.context.values()]
    return {'rows': sorted(rows, key=lambda r: (r[1] is None or not r[1].builtin,
                                                r[0].title.casefold())),
            'signer_words': SIGNER_WORDS, 'workflows': workflows}


@clinic_view(context=AgreementTemplate, permission='administer',
             renderer='templates/template_edit.pt')
class TemplateEdit(FormView):
    """A new version of the text, and how long an agreement on it is in
    force (``validity``): either may change alone."""
    schema = TemplateSchema()
    buttons = ('save as a new version',)

    def appstruct(self):
        values = {'text': self.context.current.text, 'text_es': self.context.current.text_es}
        if self.context.validity_months is not None:
            values['validity_months'] = self.context.validity_months
        return values

    def page(self):
        return {'template': self.context, 'kind': kinds_of(self.request.clinic).get(
                    self.context.kind),
                'versions': list(reversed(list(self.context.versions.values())))}

    def save_as_a_new_version_success(self, values):
        template = self.context
        text, text_es = values['text'], values['text_es'] or ''
        kind = kinds_of(self.request.clinic).get(template.kind)
        if kind is not None and not kind.builtin and not text_es.strip():
            return self.fail('text_es', 'Give the text in Spanish: the families of a '
                                        "clinic's own kind read it in their language.")
        current = template.current
        actor = self.request.authenticated_userid
        period_changed = set_validity(template, values.get('validity_months'), actor)
        if _plain(text) == current.text and (_plain(text_es) if text_es.strip() else '') \
                == current.text_es:
            if period_changed:
                return redirect(self.request, self.request.clinic_url(template), 'saved')
            return self.fail('text', 'This is the current text already.')
        template.add_version(text, actor, text_es)
        return redirect(self.request, self.request.clinic_url(template), 'saved')


def _plain(text):
    return text.replace('\r\n', '\n').strip() + '\n'


def _workflows(request):
    return agreement_workflows(request.clinic)


@clinic_view(context=AgreementTemplates, name='add-kind', permission='administer',
             renderer='templates/kind_form.pt')
class KindAdd(FormView):
    """A kind of the clinic's own, with its first text."""
    schema = KindAddSchema()
    buttons = ('add the kind',)

    def bind(self):
        return {'workflows': _workflows(self.request)}

    def appstruct(self):
        return {'signers': 'guardians', 'workflow_id': 'consent-to-treatment'}

    def page(self):
        return {'heading': 'A new kind of agreement', 'kind': None,
                'back': self.request.clinic_url(self.context)}

    def add_the_kind_success(self, values):
        try:
            kind = add_kind(self.request.clinic, self.request.authenticated_userid,
                            values['title'], values['title_es'], values['text'],
                            values['text_es'], values['signers'], values['workflow_id'],
                            values['required_first_session'])
        except KindRefused as exc:
            return self.fail(exc.field, str(exc))
        return redirect(self.request, self.request.clinic_url(self.context[kind.id]), 'saved')


@clinic_view(context=AgreementTemplate, name='kind', permission='administer',
             renderer='templates/kind_form.pt')
class KindEdit(FormView):
    """A kind's title, signers, workflow and whether it is required before
    the first session; or stop offering it."""
    schema = KindSchema()
    buttons = ('save',)

    def kind(self):
        return kinds_of(self.request.clinic)[self.context.kind]

    def bind(self):
        # A built-in kind's own workflow is offered even where no clinic
        # kind may follow it (the release's): it is the one that stays.
        workflows = _workflows(self.request)
        own = self.kind().workflow_id
        if own not in dict(workflows) and own in self.request.clinic['workflows']:
            workflows.append((own, self.request.clinic['workflows'][own].definition().title))
        return {'workflows': workflows}

    def appstruct(self):
        kind = self.kind()
        return {'title': kind.title, 'title_es': kind.title_es, 'signers': kind.signers,
                'workflow_id': kind.workflow_id,
                'required_first_session': kind.required_first_session, 'remove': False}

    def page(self):
        return {'heading': 'Kind of agreement: %s' % self.kind().title, 'kind': self.kind(),
                'back': self.request.clinic_url(self.context.__parent__)}

    def save_success(self, values):
        clinic, actor = self.request.clinic, self.request.authenticated_userid
        kind = self.kind()
        try:
            if values['remove']:
                remove_kind(clinic, actor, kind.id)
            else:
                change_kind(clinic, actor, kind.id, values['title'],
                            values['title_es'] or '', values['signers'],
                            values['workflow_id'], values['required_first_session'])
        except KindRefused as exc:
            return self.fail(exc.field, str(exc))
        return redirect(self.request, self.request.clinic_url(self.context.__parent__), 'saved')
