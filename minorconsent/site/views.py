"""Site-wide views: home, the language buttons, not-found, forbidden and
the other error pages, the clinic settings page, and the layout every page
renders into.
"""
import functools
import logging
from urllib.parse import unquote_to_bytes

from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, NewRequest, subscriber
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken, URLDecodeError
from pyramid.httpexceptions import HTTPBadRequest, HTTPException, HTTPFound
from pyramid.interfaces import IRoutesMapper
from pyramid.location import lineage
from pyramid.renderers import get_renderer, render_to_response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.traversal import split_path_info
from pyramid.view import view_config

from minorconsent.audit.recorder import describe, note

from .chrome import Chrome
from .dates import for_request as reader_formats
from .forms import FormView
from .i18n import CODES, LANGUAGES, _, translate
from .jurisdictions import format_retention_table, format_table
from .memo import per_app
from .messages import pop_message, redirect
from .model import Clinic
from .route import ROUTE
from .schemas import SettingsSchema, validate_settings
from .settings import SettingsChanged

log = logging.getLogger(__name__)

#: ``view_config`` for views under the clinic's route.
clinic_view = functools.partial(view_config, route_name=ROUTE)

NAV = (
    # (role, view path from the clinic root, label); a role's first entry
    # is where it lands (``home_url``): the to-do list (worklist room).
    ('therapist', 'todo', 'To-do'),
    ('supervisor', 'todo', 'To-do'),
    ('therapist', 'clients', 'Clients'),
    ('supervisor', 'supervision', 'Supervision'),
    ('guardian', 'family', 'My family'),
    ('admin', 'users', 'Accounts'),
    ('admin', 'settings', 'Clinic settings'),
    ('admin', 'workflows', 'Workflows'),
    ('admin', 'agreement-templates', 'Agreement texts'),
    ('admin', 'caseload-import', 'Import caseload'),
    ('admin', 'api-clients', 'API clients'),
    ('admin', 'audit', 'Audit trail'),
    ('admin', 'todo', 'To-do'),
    ('privacy_officer', 'audit', 'Audit trail'),
    ('privacy_officer', 'disclosure-accounting', 'Accounting of disclosures'),
    ('privacy_officer', 'api-client-approvals', 'API clients awaiting approval'),
)


#: The menu of each set of roles under each clinic address, and the static
#: files' address under each application address: built once per app (a
#: host app may mount the clinic under a prefix beside another), not on
#: every page (a dozen URLs through the route each time).  Bounded: role
#: sets and the addresses the gate lets in are few.
_REMEMBERED_LIMIT = 1000


def remembered(request, name):
    """This app's memo ``name`` (a dict on the registry)."""
    return per_app(request.registry, name)


def navigation(request):
    identity = request.identity
    if identity is None:
        return []
    clinic = request.clinic
    user = identity.user
    base = request.clinic_url(clinic)
    key = (frozenset(user.roles), base)
    menus = remembered(request, 'menus')
    items = menus.get(key)
    if items is None:
        found = []
        for role, path, label in NAV:
            if role in key[0]:
                url = request.clinic_url(clinic, path)
                if (url, label) not in found:      # one entry per page for two roles
                    found.append((url, label))
        items = tuple(found)
        if len(menus) < _REMEMBERED_LIMIT:
            menus[key] = items
    items = list(items)
    if user.has_role('adolescent') and user.client_id:
        client = clinic['clients'].get(user.client_id)
        if client is not None:
            items.append((request.clinic_url(client, 'mine'), 'My page'))
    return items


def static_base(request):
    """``request.static_url('minorconsent:static/')``, remembered per app
    and application address."""
    bases = remembered(request, 'static_bases')
    key = request.application_url
    found = bases.get(key)
    if found is None:
        found = request.static_url('minorconsent:static/')
        if len(bases) < _REMEMBERED_LIMIT:
            bases[key] = found
    return found


def cached_template(registry, spec):
    """The Chameleon template object of ``spec``, looked up once per app.

    ``get_renderer`` walks the caller's stack and the renderer lookup on
    every call; every page asks for the layout.  The object is the one
    Pyramid would hand back each time (Chameleon reloads its own source
    when ``pyramid.reload_templates`` is on)."""
    cache = per_app(registry, 'templates')
    template = cache.get(spec)
    if template is None:
        template = cache[spec] = get_renderer(spec, registry=registry).implementation()
    return template


@subscriber(BeforeRender)
def add_layout_globals(event):
    request = event.get('request')
    if request is None or 'layout' in event:
        return
    event['layout'] = cached_template(request.registry, 'minorconsent.site:templates/layout.pt')
    identity = request.identity
    # Plain strings only: family templates get nothing persistent.
    event['signed_in'] = identity is not None
    event['signed_in_name'] = identity.user.display_name if identity else ''
    event['csrf_token'] = get_csrf_token(request) if identity is not None else ''
    event['nav'] = navigation(request)
    event['portal_name'] = request.clinic.settings.portal_name
    event['message'] = pop_message(request)
    event['clinic_url'] = request.clinic_url(request.clinic)
    event['static_url'] = static_base(request)
    event['lang'] = request.locale_name
    event['t'] = lambda text, mapping=None: translate(request, text, mapping)
    event['languages'] = LANGUAGES
    # Dates and times as the reader reads them (``site.dates``).
    event['on'], event['at'] = reader_formats(request)
    # The layout's pieces, for a Chameleon page (``site.chrome``).
    event['chrome'] = Chrome(request.registry, event)


def page_number(request, name='page'):
    """A 1-based page number from the request (the form for POSTs, the
    query string for GETs); nonsense reads as page 1, at most 10,000."""
    params = request.POST if request.method == 'POST' else request.GET
    try:
        return min(max(int(params.get(name, 1)), 1), 10_000)
    except (TypeError, ValueError):
        return 1


def home_url(request):
    """Where a signed-in person starts, by their first role."""
    identity = request.identity
    clinic = request.clinic
    if identity is None:
        return request.clinic_url(clinic, 'login')
    user = identity.user
    for role, path, _label in NAV:
        if user.has_role(role):
            return request.clinic_url(clinic, path)
    if user.has_role('adolescent') and user.client_id in clinic['clients']:
        return request.clinic_url(clinic['clients'][user.client_id], 'mine')
    return request.clinic_url(clinic, 'password')


@clinic_view(context=Clinic, permission=NO_PERMISSION_REQUIRED)
def home(request):
    return HTTPFound(location=home_url(request))


@clinic_view(context=Clinic, name='language', request_method='POST',
             permission='signed-in')
def set_language(request):
    """Save the signed-in person's language (the footer's buttons)."""
    language = request.POST.get('language')
    if language not in CODES:
        raise HTTPBadRequest()
    user = request.identity.user
    if user.language != language:
        user.language = language
    return redirect(request, home_url(request), 'saved')


# --- not found and forbidden -----------------------------------------------

def plain_page(request, status, title, text):
    """A page that depends on nothing about the user or the record: no
    layout, no navigation, no names.  404 and error pages use it."""
    values = {'layout': None, 'title': translate(request, title),
              'text': translate(request, text), 'lang': request.locale_name,
              'static_url': static_base(request),
              'home': request.route_url(ROUTE, traverse=())}
    response = render_to_response('templates/plain.pt', values, request=request)
    response.status = status
    return response


def not_found(request):
    """The one answer for "does not exist" *and* "not yours to see", so an
    unauthorized client URL and a made-up one are byte-for-byte the same."""
    return plain_page(request, 404, _('Page not found'),
                      _('There is no page at this address.'))


def server_error(exc, request):
    """Any unexpected error: a plain apology, logged, nothing revealed.

    Registered only for non-retryable errors and for the last attempt at a
    retryable one, so pyramid_retry still retries a ``ConflictError``.
    """
    log.exception('unexpected error', exc_info=exc)
    return plain_page(request, 500, _('Something went wrong'),
                      _('Nothing was saved. Please try again in a moment.'))


def http_exception(exc, request):
    """Pyramid's HTTP exceptions (redirects, 400s) are their own response;
    the catch-all below is only for real errors."""
    return exc


def csrf_failed(exc, request):
    """A stale or missing CSRF token, usually a form left open too long."""
    return plain_page(request, 400, _('This form has expired'),
                      _('Nothing was saved. Go back, reload the page and try again.'))


#: Registry key: {segments below the clinic's root: renderer}, filled by
#: ``config.add_refusal_renderer`` (``minorconsent.security.gate``).
REFUSAL_RENDERERS = 'minorconsent.refusal_renderers'


def clinic_segments(registry, environ):
    """The raw path's segments below the clinic's root (after a host app's
    ``route_prefix``), as traversal reads them; None when the path is not
    under the clinic's route.  Reads the raw ``PATH_INFO`` (bytes as
    latin-1): a path that is not UTF-8 must be placed too."""
    route = registry.getUtility(IRoutesMapper).get_route(ROUTE)
    if route is None:
        return None
    prefix = [s for s in route.pattern.split('*', 1)[0].split('/') if s]
    parts = [s for s in environ.get('PATH_INFO', '').split('/') if s]
    if len(parts) < len(prefix):
        return None
    for mine, theirs in zip(prefix, parts):
        # A prefix's ``{placeholder}`` matches any one segment.
        if not mine.startswith('{') and mine.encode('utf-8').decode('latin-1') != theirs:
            return None
    return tuple(split_path_info('/'.join(parts[len(prefix):])))


def refusal_renderer(registry, environ):
    """The renderer a room registered for the part of the clinic this
    path is in (``/fhir/``, ``/auth/token``: the API answers in its own
    format), or None: then the clinic's own page answers.

    A renderer is ``fn(request, status, reason, headers)`` returning a
    response; ``reason`` is one of ``method``, ``host``, ``form``,
    ``address`` (not UTF-8) and ``too-large``; ``headers`` a tuple of
    (name, value) pairs the answer should carry (``Allow``)."""
    table = registry.get(REFUSAL_RENDERERS)
    if not table:
        return None
    segments = clinic_segments(registry, environ)
    if segments is None:
        return None
    for start in sorted(table, key=len, reverse=True):
        if segments[:len(start)] == start:
            return table[start]
    return None


def bad_url(exc, request):
    """A URL that is not valid UTF-8 once decoded: the clinic's plain 400,
    or the API's own error where the path is the API's."""
    render = refusal_renderer(request.registry, request.environ)
    if render is not None:
        return render(request, 400, 'address', ())
    return plain_page(request, 400, _('This address is not valid'),
                      _('Check the link, or go to the start page.'))


def refuse_undecodable_query(event):
    """A query string that is not UTF-8 once unquoted (``?page=%ff``) is a
    bad address, answered like one (``bad_url``, 400) before any view reads
    ``request.GET`` and fails on it (found by the URL fuzzer)."""
    query = event.request.query_string
    if not query:
        return
    try:
        unquote_to_bytes(query.replace('+', ' ')).decode('utf-8')
    except UnicodeDecodeError as exc:
        raise URLDecodeError(exc.encoding, exc.object, exc.start, exc.end, exc.reason)


def is_unacknowledged(context):
    """A page of a record whose existence is not told to whoever may not
    see it: a client's file (the trail's ``describe`` names its client),
    or a resource whose class says ``not_acknowledged = True`` (an
    account: ``/users/<id>``).  A refusal there answers like a made-up id
    (404), even to a signed-out visitor."""
    if any(getattr(type(node), 'not_acknowledged', False) for node in lineage(context)):
        return True
    return bool(describe(context)[0])


def forbidden(request):
    """Anonymous on a page that is not a record's: sign in.  Everything
    else: 404."""
    if request.identity is None and not is_unacknowledged(request.context):
        return HTTPFound(location=request.clinic_url(request.clinic, 'login'))
    return not_found(request)


# --- clinic settings ---------------------------------------------------------

@clinic_view(context=Clinic, name='settings', permission='administer',
             renderer='templates/settings.pt')
class ClinicSettingsPage(FormView):
    PLACEHOLDER_WORDS = {'name': 'name', 'contact_phone': 'phone number',
                         'contact_email': 'email address for families'}

    def page(self):
        return {'placeholders': [self.PLACEHOLDER_WORDS[key]
                                 for key in self.context.settings.placeholders_left()]}

    def make_schema(self):
        return SettingsSchema(validator=validate_settings)

    def appstruct(self):
        settings = self.context.settings
        appstruct = settings.as_dict()
        appstruct['self_consent_ages'] = format_table(settings.consent_age_table())
        appstruct['retention_table'] = format_retention_table(settings.retention_table or {})
        return appstruct

    def save_success(self, values):
        clinic = self.context
        settings = clinic.settings
        before = settings.as_dict()
        settings.update(**values)
        after = settings.as_dict()
        changed = sorted(key for key in after if before.get(key) != after[key])
        note(clinic, 'admin.settings', detail='changed: ' + ', '.join(changed))
        self.request.registry.notify(SettingsChanged(clinic, tuple(changed), self.request))
        return redirect(self.request, self.request.clinic_url(clinic, 'settings'), 'saved')


def includeme(config):
    config.add_notfound_view(not_found, route_name=ROUTE)
    config.add_forbidden_view(forbidden, route_name=ROUTE)
    config.add_exception_view(http_exception, context=HTTPException, route_name=ROUTE)
    config.add_exception_view(bad_url, context=URLDecodeError)
    config.add_subscriber(refuse_undecodable_query, NewRequest)
    config.add_exception_view(csrf_failed, context=BadCSRFToken, route_name=ROUTE)
    config.add_exception_view(csrf_failed, context=BadCSRFOrigin, route_name=ROUTE)
    config.add_exception_view(server_error, context=Exception, route_name=ROUTE,
                              retryable_error=False)
    config.add_exception_view(server_error, context=Exception, route_name=ROUTE,
                              last_retry_attempt=True)
    config.scan('.views')
