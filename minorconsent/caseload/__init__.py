"""Caseload: the clinic's clients, guardians and therapists come in from a
file and go out again (issue 18).

``columns``: the one list of caseload columns and their vocabularies, shared
by the import and the export (so import -> export -> import changes nothing).
The import: ``reading`` (CSV or XLSX, rows named), ``checking`` (every row
before anything is written), ``applying`` (one row through the app's own
rules), ``invite`` (``--invite``), ``importer`` (the two passes, batches,
the report, the one audit entry), ``store`` (the clinic's own ids and each
record's import history), ``uploads`` and ``views`` (the admin's page),
``panel`` (the client page's section).  The export writes the same columns
plus the agreements, summaries, audit trail and a FHIR Bundle.  This module
registers the admin's upload page and the client page's section.
"""
from minorconsent.clients.views import add_client_panel

from .panel import caseload_panel


def includeme(config):
    # The client page shows where an imported record came from, without
    # importing this room.
    config.include('.evolve')
    add_client_panel(config, caseload_panel)
    # The request gate lets the admin's caseload file through, up to
    # ``minorconsent.max_upload_bytes``.
    config.allow_uploads_to('caseload-import', on='clinic')
    config.scan('.')
