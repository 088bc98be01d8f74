"""The audit viewer: filters, pages newest first, CSV export; and the
privacy officer's accounting of disclosures.

Entries name clients by their opaque id (a therapist gives the privacy
officer the reference from the client's page).  The privacy officer reads
the whole trail; the admin reads staff and system actions without client
references or details (``scope``): checking what staff did must not teach
the admin who the clinic's clients are or what was disclosed about whom.
"""
import csv
import io
from datetime import date

import colander
import deform
from pyramid.response import Response
from pyramid_zodbconn import get_connection

from minorconsent.site import Clinic
from minorconsent.site.csvsafe import cell
from minorconsent.site.forms import date_widget
from minorconsent.site.views import clinic_view, page_number

from .chain import FIELDS, log_of
from .officer import WHAT, disclosure_seqs
from .scope import scope_for

PAGE_SIZE = 50
CSV_LIMIT = 100_000


def audit_log(request):
    return log_of(get_connection(request, 'audit').root(), create=False)


@colander.deferred
def _action_widget(node, kw):
    actions = kw['actions']
    return deform.widget.SelectWidget(values=[('', 'Any action')] + [(a, a) for a in actions])


class FilterSchema(colander.MappingSchema):
    record = colander.SchemaNode(
        colander.String(), title='Client reference', missing='',
        validator=colander.Length(max=64),
        description='The reference shown on the client\'s page.')
    email = colander.SchemaNode(
        colander.String(), title='Person (email address)', missing='',
        validator=colander.Length(max=254))
    action = colander.SchemaNode(colander.String(), title='Action', missing='',
                                 widget=_action_widget)
    first_day = colander.SchemaNode(colander.Date(), title='From', missing=None,
                                    widget=date_widget())
    last_day = colander.SchemaNode(colander.Date(), title='To', missing=None,
                                   widget=date_widget())

    def validator(self, node, values):
        first, last = values.get('first_day'), values.get('last_day')
        if first and last and last < first:
            exc = colander.Invalid(node, '')
            exc['last_day'] = 'The end date is before the start date.'
            raise exc


def _sent(request, form):
    """``(values, failure)`` of a GET filter form: ``({}, None)`` when the
    page was opened without it, ``(None, failure)`` (and a 400) when what
    was sent is not valid."""
    if 'filter' not in request.GET and '__formid__' not in request.GET:
        return {}, None
    try:
        return form.validate(request.GET.items()), None
    except deform.ValidationFailure as failure:
        request.response.status = 400
        return None, failure


def _days(values):
    """The filters' first and last day as ISO dates (None: open)."""
    return {key: values[key].isoformat() if values[key] else None
            for key in ('first_day', 'last_day')}


def _staff_names(request, entries):
    """Actor id -> name for the page: staff by name; a family account by
    its opaque id only (the teen's own account name is the client's name,
    a parent's often shares it)."""
    users = request.clinic['users']
    names = {}
    for entry in entries:
        user = users.get(entry['actor'])
        names[entry['actor']] = user.display_name if user is not None and user.is_staff else ''
    return names


def _filters(request, audit, scope):
    """(deform form, error, filter kwargs or None when the input is bad).

    The admin's form has no client reference, and offers only the actions
    of the entries the admin may see."""
    schema = FilterSchema()
    if not scope.whole:
        schema = schema.clone()
        del schema['record']
    schema = schema.bind(actions=scope.actions(audit))
    form = deform.Form(schema, method='GET', buttons=('filter',), formid='audit-filter')
    values, failure = _sent(request, form)
    if not values:
        return form, failure, values
    found = {}
    if values['email']:
        user = request.clinic['users'].find_by_email(values['email'])
        if user is None:
            exc = colander.Invalid(form.schema, '')
            exc['email'] = 'No account has this address.'
            form.widget.handle_error(form, exc)
            request.response.status = 400
            return form, deform.ValidationFailure(form, form.cstruct, exc), None
        found['actor'] = user.__name__
    found['record'] = values['record'].strip() if scope.whole else ''
    found['action'] = values['action']
    found.update(_days(values))
    return form, None, found


def _selected(audit, scope, filters):
    """The seqs the filters pick among what the reader may see (None:
    every entry, the privacy officer unfiltered)."""
    if scope.whole and not any(filters.values()):
        return None
    return audit.select(within=None if scope.whole else scope.seqs, **filters)


@clinic_view(context=Clinic, name='audit', permission='read-audit',
             renderer='templates/audit.pt')
def audit_viewer(request):
    audit = audit_log(request)
    scope = scope_for(request, audit)
    form, failure, filters = _filters(request, audit, scope)
    entries, total = [], 0
    page = page_number(request)
    if audit is not None and filters is not None:
        seqs = _selected(audit, scope, filters)
        entries, total = audit.newest(seqs, start=(page - 1) * PAGE_SIZE, count=PAGE_SIZE)
        entries = [scope.shown(entry) for entry in entries]
    names = _staff_names(request, entries)
    # The admin's filter has no client reference: a link does not carry one.
    query = {key: value for key, value in request.GET.items()
             if key != 'page' and (scope.whole or key != 'record')}
    return {
        'form': failure.render() if failure is not None else form.render(
            {k: v for k, v in (filters or {}).items() if k in ('record', 'action') and v}),
        'entries': entries,
        'whole': scope.whole,
        'names': names,
        'total': total,
        'head': scope.head(audit),
        'next_page': page + 1 if page * PAGE_SIZE < total else None,
        'page': page,
        'query': query,
        'csv_url': request.clinic_url(request.clinic, 'audit.csv', query=query),
    }


@clinic_view(context=Clinic, name='audit.csv', permission='read-audit')
def audit_csv(request):
    """The filtered entries, oldest first, hashes included, as CSV.  The
    admin's rows about a client have its reference, path, detail and hash
    blank, and every admin's row its ``prev`` (audit/scope.py says why);
    the privacy officer's export shows the sealed entries in full."""
    audit = audit_log(request)
    scope = scope_for(request, audit)
    form, failure, filters = _filters(request, audit, scope)
    if failure is not None:
        return Response('Check the filters: ' + '; '.join(
            '%s: %s' % item for item in failure.error.asdict().items()),
            status=400, content_type='text/plain')
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS + ('hash',))
    if audit is not None:
        seqs = _selected(audit, scope, filters)
        for count, seq in enumerate(audit.entries.keys() if seqs is None else seqs):
            if count >= CSV_LIMIT:
                break
            entry = scope.shown(audit.get(seq))
            writer.writerow([cell(entry[name]) for name in FIELDS + ('hash',)])
    response = Response(out.getvalue(), content_type='text/csv', charset='utf-8')
    response.content_disposition = 'attachment; filename="audit-%s.csv"' % date.today().isoformat()
    return response


def accounting_filter_schema():
    """The viewer's filters less person and action."""
    schema = FilterSchema().clone()
    del schema['email']
    del schema['action']
    return schema


@clinic_view(context=Clinic, name='disclosure-accounting', permission='read-whole-audit',
             renderer='templates/accounting.pt')
def disclosure_accounting(request):
    """The privacy officer's accounting of disclosures (``officer``)."""
    audit = audit_log(request)
    form = deform.Form(accounting_filter_schema(), method='GET', buttons=('filter',),
                       formid='accounting-filter')
    values, failure = _sent(request, form)
    filters = dict(_days(values), record=values['record'].strip()) if values else {}
    entries, total = [], 0
    page = page_number(request)
    if audit is not None and failure is None:
        entries, total = audit.newest(disclosure_seqs(audit, **filters),
                                      start=(page - 1) * PAGE_SIZE, count=PAGE_SIZE)
    names = _staff_names(request, entries)
    if failure is not None:
        rendered = failure.render()
    else:
        rendered = form.render({'record': filters['record']} if filters.get('record') else {})
    query = {key: value for key, value in request.GET.items() if key != 'page'}
    return {
        'form': rendered,
        'entries': entries, 'names': names, 'what': WHAT, 'total': total, 'page': page,
        'next_page': page + 1 if page * PAGE_SIZE < total else None, 'query': query,
    }
