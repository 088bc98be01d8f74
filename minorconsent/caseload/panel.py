"""The client page's "From the clinic's caseload file" section: the
clinic's own id of an imported client and what each import did to the
record (``store.history``), so staff can tell where a record came from.

Staff-only: the client page shows panels to those who may see the record
(``clients.views.add_client_panel``); a client made in the app shows none.
"""
from pyramid.renderers import render

from .columns import external_id
from .store import history

PANEL = 'minorconsent.caseload:templates/panel.pt'


def caseload_panel(request, client):
    ext = external_id(client)
    if not ext:
        return ''
    return render(PANEL, {'external_id': ext, 'marks': history(client)}, request=request)
