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

from .i18n import deform_translator
from .memo import per_app


def use_clinic_templates():
    """Look up deform templates in ours first (accessible error labels)."""
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


#: Empty forms rendered once, per app (on its registry): (view class,
#: language) -> (the HTML with the CSRF token replaced by ``_TOKEN``, the
#: deform id counter after it).  Bounded by the classes that opt in times
#: the languages.
_TOKEN = '\x00csrf-token\x00'


def empty_form(view):
    """The empty form of ``view`` (a ``FormView`` with ``empty_form_cached``)
    for this request: made and rendered on the first GET in a language,
    afterwards the same HTML with this request's CSRF token.  Exact by
    construction: the key holds everything the rendering depends on (the
    app, the form's class, the language; the id counter starts afresh, since the
    form is the request's first), and the token is put in, not kept."""
    request = view.request
    token = get_csrf_token(request)
    empty_forms = per_app(request.registry, 'empty_forms')
    key = (type(view), request.locale_name)
    found = empty_forms.get(key)
    if found is None or '_mc_deform_counter' in request.__dict__:
        fresh = '_mc_deform_counter' not in request.__dict__
        view.form = view.make_form()
        html = view.form.render()
        if not fresh:                     # not the request's first form
            return html
        used = next(request.__dict__['_mc_deform_counter'])
        found = empty_forms[key] = (html.replace(token, _TOKEN), used)
    html, used = found
    request.__dict__['_mc_deform_counter'] = itertools.count(used)
    return html.replace(_TOKEN, token)


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


class FormView:
    """One form page, in the manner of pyramid_deform's ``FormView``.

    A subclass names its ``schema`` (or overrides ``make_schema`` when the
    schema depends on the request), its ``buttons``, the initial values in
    ``appstruct()`` and what the page shows besides the form in ``page()``;
    a valid POST calls ``<button>_success(values)`` for the button pressed
    (the first button when none is named, as a browser's Enter key does).
    ``<button>_success`` returns a response (usually a redirect), or None
    to show the page again, e.g. after ``fail(field, message)``.

    Two hooks let a page answer before the form does its part:

    * ``before()`` runs first, before the form is built: a page that is
      not there for everyone (a link that expired, a person already signed
      in, a half sign-in that is gone) returns its answer, a response or
      the renderer's values (with ``request.response.status`` set); None
      goes on.  What it finds out (the link, whose it is) it keeps on
      ``self`` for the schema and the page.  A page with a second form
      that posts to it handles that form here.
    * ``on_submit()`` runs for a POST of this form before it is validated:
      a rate limit's 429 (``security.ratelimit.too_many``), or None.

    ``make_form()`` builds the ``FormHandler``; a page whose form is built
    elsewhere too (shown on another page, posted here) returns that one.

    Everything ``FormHandler`` promises holds: the CSRF field, errors next
    to their fields with a 400, nothing changed unless the submission is
    valid, one id counter per request.  Register a subclass like a view
    function (``@clinic_view(...)`` on the class).
    """

    schema = None
    buttons = ('save',)
    formid = 'form'
    #: True for a form whose empty rendering is a function of its class
    #: and the reader's language alone: a static ``schema``, no deferred
    #: value but the CSRF token, nothing in ``appstruct()`` or ``bind()``
    #: and a ``page()`` that does not read ``self.form``.  Its GET is then
    #: rendered once per language and the request's own token put in
    #: (``empty_form``): the sign-in page, the most requested form, spent
    #: half its time building and rendering the same empty form.
    empty_form_cached = False

    def __init__(self, context, request):
        self.context = context
        self.request = request
        self.form = None

    def before(self):
        """An answer that comes before the form (see the class), or None."""
        return None

    def on_submit(self):
        """An answer to a POST of this form before validation, or None."""
        return None

    def make_schema(self):
        """A fresh schema for this request (``FormHandler`` clones it)."""
        return self.schema

    def bind(self):
        """Extra values the schema's deferred nodes are bound with."""
        return {}

    def appstruct(self):
        """The values the form shows before anything is submitted."""
        return {}

    def page(self):
        """What the page's template shows besides the form."""
        return {}

    def make_form(self):
        return FormHandler(self.request, self.make_schema(), buttons=self.buttons,
                           appstruct=self.appstruct(), formid=self.formid, **self.bind())

    def __call__(self):
        result = self.before()
        if result is not None:
            return result
        if self.empty_form_cached and self.request.method == 'GET':
            return dict(self.page(), form=empty_form(self))
        self.form = self.make_form()
        if self.form.submitted:
            result = self.on_submit()
            if result is not None:
                return result
            values = self.form.validate()
            if values is None:
                result = self.failure()
            else:
                result = getattr(self, self.pressed() + '_success')(values)
        if result is None:
            result = self.show()
        return result

    def pressed(self):
        """The name of the button this POST was sent with."""
        buttons = self.form.form.buttons
        for button in buttons:
            if button.name in self.request.POST:
                return button.name
        return buttons[0].name

    def failure(self):
        """An invalid submission: the page again, errors in place (400)."""
        return None

    def fail(self, field, message):
        """Model-level validation refused ``values``: ``message`` next to
        ``field``, status 400, nothing changed.  Returns None so that
        ``return self.fail(...)`` shows the page again."""
        self.form.fail(field, message)
        return None

    def show(self):
        return dict(self.page(), form=self.form.render())
