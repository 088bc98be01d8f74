"""The admin edits agreement texts: every save is a new version, with its
own SHA-256; agreements already started keep the text they were started
with, so a signed text never changes."""
import colander
import deform

from minorconsent.site.forms import FormView
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .model import AgreementTemplate, AgreementTemplates


class TemplateSchema(colander.MappingSchema):
    text = colander.SchemaNode(
        colander.String(), title='Text',
        description='Plain language. Saving creates a new version; documents '
                    'already sent keep the version they were sent with.',
        widget=deform.widget.TextAreaWidget(rows=25),
        validator=colander.Length(50, 50_000))


@clinic_view(context=AgreementTemplates, permission='administer',
             renderer='templates/templates.pt')
def template_list(request):
    return {'templates': list(request.context.values())}


@clinic_view(context=AgreementTemplate, permission='administer',
             renderer='templates/template_edit.pt')
class TemplateEdit(FormView):
    schema = TemplateSchema()
    buttons = ('save as a new version',)

    def appstruct(self):
        return {'text': self.context.current.text}

    def page(self):
        return {'template': self.context,
                'versions': list(reversed(list(self.context.versions.values())))}

    def save_as_a_new_version_success(self, values):
        template = self.context
        if values['text'].replace('\r\n', '\n').strip() + '\n' == template.current.text:
            return self.fail('text', 'This is the current text already.')
        template.add_version(values['text'], self.request.authenticated_userid)
        return redirect(self.request, self.request.clinic_url(template), 'saved')
