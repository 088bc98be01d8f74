"""The admin's caseload upload form."""
import colander
import deform


class RequestTmpStore(dict):
    """deform's upload store for one request: the page copies the file to
    its own place (``uploads``) in the same request."""

    def preview_url(self, uid):
        return None


@colander.deferred
def _upload_widget(node, kw):
    return deform.widget.FileUploadWidget(
        RequestTmpStore(),
        accept='.csv,.xlsx,text/csv,'
               'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')


@colander.deferred
def _texts_widget(node, kw):
    return deform.widget.CheckboxChoiceWidget(values=kw['texts'])


@colander.deferred
def _texts_validator(node, kw):
    return colander.ContainsOnly([key for key, _ in kw['texts']])


class UploadSchema(colander.MappingSchema):
    upload = colander.SchemaNode(
        deform.FileData(), title='Caseload file (CSV or XLSX)', widget=_upload_widget,
        description='One row per guardian link; the columns are in docs/CASELOAD.md '
                    '(a template and an example are there too). The file is checked '
                    'first: nothing is imported until you confirm.')
    valid_rows_only = colander.SchemaNode(
        colander.Boolean(), title='Import the valid rows only', missing=False,
        description='Rows with problems are left out and listed. Without this, a file '
                    'with any problem imports nothing.')
    create_accounts = colander.SchemaNode(
        colander.Boolean(), title='Make accounts for unknown therapists', missing=False,
        description='New therapists, guardians and clients are mailed a link to choose '
                    'their password (the mail names only the portal).')
    invite = colander.SchemaNode(
        colander.Set(), title='Ask the families to sign', missing=(),
        description='Each client of the file without such an agreement waiting or in '
                    'force gets one, sent by their therapist.',
        widget=_texts_widget, validator=_texts_validator)
