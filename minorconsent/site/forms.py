"""deform + colander helpers shared by every room's views.

``FormHandler`` gives every form the same behaviour: a CSRF token field,
validation errors rendered next to their fields with a 400 status, and
nothing changed unless the whole submission is valid.
"""
import itertools

import colander
import deform
from importlib.resources import files
from pyramid.csrf import get_csrf_token


def use_clinic_templates():
    """Look up deform templates in ours first (accessible error labels)."""
    from .i18n import deform_translator
    deform.Form.set_zpt_renderer([
        str(files("minorconsent") / "site" / "templates" / "deform"),
        str(files("deform") / "templates"),
    ], translator=deform_translator)


@colander.deferred
def _csrf_default(node, kw):
    return get_csrf_token(kw['request'])


def csrf_node():
    return colander.SchemaNode(colander.String(), name='csrf_token',
                               widget=deform.widget.HiddenWidget(),
                               default=_csrf_default, missing='')


def button(name, title):
    """A deform button whose label can be translated (its value stays ``name``)."""
    return deform.Button(name=name.replace(' ', '_'), title=title, value=name.replace(' ', '_'))


def date_widget():
    """A native date picker (phones show their own); the value is ISO text."""
    return deform.widget.TextInputWidget(attributes={'type': 'date'})


class FormHandler:
    """Build, validate and render one deform form for one request."""

    def __init__(self, request, schema, buttons=('save',), appstruct=None,
                 formid='form', **bind):
        self.request = request
        schema = schema.clone()
        schema.add(csrf_node())
        # One id counter per request: two forms on a page must not both
        # have a "deformField1" (labels would point at the wrong field).
        counter = request.__dict__.setdefault('_mc_deform_counter', itertools.count())
        self.form = deform.Form(schema.bind(request=request, **bind),
                                buttons=buttons, formid=formid, counter=counter)
        self.appstruct = appstruct or {}
        self.error = None

    @property
    def submitted(self):
        """A POST of this form (pages with several forms tell them apart
        by deform's ``__formid__``)."""
        if self.request.method != 'POST':
            return False
        formid = self.request.POST.get('__formid__')
        return formid is None or formid == self.form.formid

    def validate(self):
        """The valid appstruct, or None (errors kept for ``render``)."""
        try:
            values = self.form.validate(self.request.POST.items())
        except deform.ValidationFailure as failure:
            self.error = failure
            self.request.response.status = 400
            return None
        values.pop('csrf_token', None)
        return values

    def fail(self, field, message):
        """Put ``message`` next to ``field`` after model-level validation."""
        exc = colander.Invalid(self.form.schema, '')
        exc[field] = message
        self.form.widget.handle_error(self.form, exc)
        self.error = deform.ValidationFailure(self.form, self.form.cstruct, exc)
        self.request.response.status = 400

    def render(self):
        if self.error is not None:
            return self.error.render()
        return self.form.render(self.appstruct)
