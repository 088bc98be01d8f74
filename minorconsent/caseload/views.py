"""The admin's caseload import page: upload, read the check, confirm.

Thin: the rules are ``importer`` (check, dry run, import) and ``uploads``
(the checked file kept by its SHA-256 until it is confirmed).  The page
speaks of the rows of the admin's own file and of counts, never of a
stored client record (the admin sees none).  Other roles get the answer a
made-up URL gets (``administer``; ``site.views.forbidden``).
"""
from minorconsent.agreements.kinds import kinds_of
from minorconsent.security.headers import upload_limit
from minorconsent.site import Clinic
from minorconsent.site.forms import FormView
from minorconsent.site.views import clinic_view

from .importer import Options, run_import
from .schemas import UploadSchema
from .uploads import UnsafeFolder, UploadTooLarge, discard, find, keep

#: The most the page takes: 1 MB, about 8,000 rows, imported in the one
#: transaction of the request (a larger caseload goes through the console
#: script, which commits in batches).  The request gate holds this page to
#: ``minorconsent.max_upload_bytes`` (the room allows uploads to it, so a
#: 1 MB file with the form's framing passes) and answers a larger body 413
#: before the page sees it; the page says the smaller of the two and
#: refuses a file over it with a message naming the console script.
PAGE_LIMIT = 1024 * 1024
#: Room for the form's other fields and the multipart framing.
FRAMING = 16 * 1024


def size_words(limit):
    if limit < 1024 * 1024:
        return '%d KB' % max(1, limit // 1024)
    return '%d MB' % (limit // (1024 * 1024))


@clinic_view(context=Clinic, name='caseload-import', permission='administer',
             renderer='templates/import.pt')
class CaseloadImport(FormView):
    schema = UploadSchema()
    buttons = ('check file',)

    def limit(self):
        return min(PAGE_LIMIT, upload_limit(self.request.registry.settings) - FRAMING)

    def bind(self):
        return {'texts': [(kind.id, kind.title)
                          for kind in kinds_of(self.request.clinic).offered()]}

    def page(self):
        return {'report': None, 'pending': '', 'imported': False,
                'limit': size_words(self.limit())}

    def before(self):
        if self.request.method == 'POST' and self.request.POST.get('__formid__') == 'confirm':
            return self.confirm()
        return None

    def check_file_success(self, values):
        request = self.request
        settings = request.registry.settings
        userid = request.authenticated_userid
        options = {'valid_rows_only': values['valid_rows_only'],
                   'create_accounts': values['create_accounts'],
                   'invite': sorted(values['invite'])}
        try:
            token = keep(values['upload']['fp'], userid, options, self.limit(), settings)
        except UploadTooLarge:
            return self.fail('upload', 'The file is larger than %s. Import a larger caseload '
                             'with the console script minorconsent-import.'
                             % size_words(self.limit()))
        except UnsafeFolder:
            return self.fail('upload', 'The server cannot keep the file safely (its upload '
                             'folder is not private): ask the operator.')
        path, _sha, options = find(userid, token, settings)
        report = run_import(request.clinic, path, Options(dry_run=True, **_opts(options)),
                            actor_id=userid)
        if report.blocked:
            # Nothing to confirm: the file (names, addresses) goes at once.
            discard(userid, token, settings)
        return dict(self.page(), form=self.form.render(), report=report.lines(),
                    pending='' if report.blocked else token)

    def confirm(self):
        request = self.request
        settings = request.registry.settings
        self.form = self.make_form()
        userid = request.authenticated_userid
        token = request.POST.get('pending', '')
        try:
            found = find(userid, token, settings)
        except UnsafeFolder:
            found = None
        if found is None:
            request.response.status = 400
            return dict(self.page(), form=self.form.render(), report=[
                'The checked file is no longer here: upload it again.'])
        path, _sha, options = found
        report = run_import(request.clinic, path, Options(**_opts(options)), actor_id=userid,
                            request=request)
        # Removed once the import is committed (a retried request finds it).
        request.tm.get().addAfterCommitHook(
            lambda ok: ok and discard(userid, token, settings))
        return dict(self.page(), form=self.form.render(), report=report.lines(),
                    imported=report.written)


def _opts(stored):
    return {'valid_rows_only': bool(stored.get('valid_rows_only')),
            'create_accounts': bool(stored.get('create_accounts')),
            'invite': tuple(stored.get('invite') or ())}
