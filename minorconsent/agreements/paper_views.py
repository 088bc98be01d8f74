"""Staff pages of paper signatures: record one, download a scan.

Both need ``view`` on the agreement, which only the client's therapists
and supervisors hold: a family member, or anyone else, gets the answer a
made-up address gets.  The rules are ``paper``'s.
"""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response

from minorconsent.security.headers import upload_limit
from minorconsent.site.forms import FormView
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view
from minorconsent.workflow.views import step_refused

from .model import Agreement
from .paper import PaperSignatureError, paper_signers, record_paper_signature, scan_limit, \
    size_words
from .schemas import PaperSignatureSchema


@clinic_view(context=Agreement, name='paper-signature', permission='view',
             renderer='templates/paper_signature.pt')
class PaperSignaturePage(FormView):
    """Record a signature made on paper: who signed (one of the signers the
    agreement still waits for), the scan, the witness, the day."""
    schema = PaperSignatureSchema()
    buttons = ('record signature',)

    def before(self):
        users = self.request.clinic['users']
        self.signers = paper_signers(self.context, users)
        if not self.signers:
            return step_refused(self.request, 'This agreement is not waiting for a signature '
                                'that can be recorded.')
        return None

    def bind(self):
        client = self.context.workflow_client()
        choices = []
        for user in self.signers:
            link = client['guardians'].get(user.__name__)
            who = link.relationship_title if link is not None else 'the client'
            choices.append((user.__name__, '%s (%s)' % (user.display_name, who)))
        return {'signers': choices}

    def limit(self):
        return scan_limit(upload_limit(self.request.registry.settings))

    def page(self):
        return {'agreement': self.context, 'limit': size_words(self.limit()),
                'back': self.request.clinic_url(self.context)}

    def record_signature_success(self, values):
        request, agreement = self.request, self.context
        signer = request.clinic['users'].get(values['signer'])
        scan = values['scan']
        try:
            record_paper_signature(agreement, request.registry, signer,
                                   request.authenticated_userid,
                                   scan['fp'] if scan else None, values['witness'],
                                   values['signed_on'], limit=self.limit())
        except PaperSignatureError as exc:
            return self.fail(exc.field, str(exc))
        return redirect(request, request.clinic_url(agreement), 'step-done')


@clinic_view(context=Agreement, name='paper-scan', permission='view')
def paper_scan(request):
    """``<agreement>/paper-scan/<signer id>``: the scan, as a download only
    (never shown in the browser: it is whatever a scanner made)."""
    scans = request.context.paper_scans
    if len(request.subpath) != 1 or scans is None or request.subpath[0] not in scans:
        raise HTTPNotFound()
    scan = scans[request.subpath[0]]
    response = Response(scan.read(), content_type=scan.content_type)
    response.content_disposition = 'attachment; filename="%s"' % scan.filename
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response
