"""The insurer export: the minimum necessary for billing, by construction.

``insurer_view`` copies, by name, the only fields an insurer receives:
who the client is (reference, legal name, date of birth, so the claim can
be matched), diagnosis codes, medications and dates of service.  Nothing
else of the record is read, so nothing else can appear in the export.
Every export is recorded as a disclosure whose text is the exact file sent.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date

from minorconsent.clients.model import ICD10  # noqa: F401  (the codes an export carries)
from minorconsent.site.csvsafe import cell

from .rules import start_disclosure
from .model import INSURER, Disclosure, DisclosureRefused, client_folder

COLUMNS = ('client_reference', 'legal_name', 'date_of_birth', 'diagnosis_codes',
           'medications', 'date_of_service')


@dataclass(frozen=True)
class InsurerView:
    client_reference: str
    legal_name: str
    date_of_birth: date
    diagnosis_codes: tuple
    medications: tuple
    dates_of_service: tuple


def insurer_view(client, first_day, last_day):
    """The whitelist projection of ``client`` for services in the period."""
    days = sorted({n.session_date for n in client['notes'].values()
                   if n.session_date and first_day <= n.session_date <= last_day})
    return InsurerView(
        client_reference=client.__name__,
        legal_name='%s %s' % (client.first_name, client.last_name),
        date_of_birth=client.date_of_birth,
        diagnosis_codes=tuple(client.diagnosis_codes),
        medications=tuple(client.medications),
        dates_of_service=tuple(days))


def as_csv(view):
    """One row per date of service."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\n')
    writer.writerow(COLUMNS)
    for day in view.dates_of_service:
        writer.writerow([cell(value) for value in (
            view.client_reference, view.legal_name, view.date_of_birth.isoformat(),
            ' '.join(view.diagnosis_codes), '; '.join(view.medications), day.isoformat())])
    return out.getvalue()


def export_for_insurer(client, registry, actor_id, insurer_name, first_day, last_day,
                       today=None):
    """Build the export, record it as a disclosure; return ``(view, csv)``."""
    insurer_name = ' '.join((insurer_name or '').split())
    if not insurer_name:
        raise DisclosureRefused('insurer', 'Name the insurer.')
    if last_day < first_day:
        raise DisclosureRefused('last_day', 'The end date is before the start date.')
    if not client.diagnosis_codes:
        raise DisclosureRefused('insurer', 'Record the diagnosis codes on the client '
                                'record first.')
    view = insurer_view(client, first_day, last_day)
    if not view.dates_of_service:
        raise DisclosureRefused('first_day', 'No sessions are recorded in this period.')
    text = as_csv(view)
    disclosure = Disclosure(INSURER, 'insurer', text, today or date.today(), actor_id,
                            recipient_name=insurer_name,
                            items=('diagnosis', 'medications', 'attendance'))
    client_folder(client, 'disclosures').add(disclosure)
    start_disclosure(disclosure, registry, actor_id)
    return view, text
