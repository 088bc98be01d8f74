"""The admin's form to register an API client (``admin_views``).

The key set is pasted or uploaded (one of the two); the model checks it
(``keys.parse_jwks``) and the page puts the sentence next to the field
the admin used.  Scopes are chosen from the list the API serves, so no
free-text scope is ever stored.
"""
import colander
import deform

from .clients import MAX_NAME, SCOPES
from .keys import MAX_JWKS_BYTES


class RequestTmpStore(dict):
    """deform's upload store for one request: the page reads the file in
    the same request and keeps only its checked JSON."""

    def preview_url(self, uid):
        return None


@colander.deferred
def _upload_widget(node, kw):
    return deform.widget.FileUploadWidget(RequestTmpStore(),
                                          accept='.json,.jwks,application/json')


def _one_key_set(node, values):
    if bool((values.get('jwks') or '').strip()) == bool(values.get('jwks_file')):
        exc = colander.Invalid(node, '')
        exc['jwks'] = 'Paste the key set here, or upload it as a file (one of the two).'
        raise exc


class RegisterClientSchema(colander.MappingSchema):
    name = colander.SchemaNode(
        colander.String(), title='Name',
        description='Your label for the system, e.g. "Clinic EHR (production)". '
                    'It stays on this page: the audit trail names the client by its id.',
        validator=colander.Length(1, MAX_NAME))
    jwks = colander.SchemaNode(
        colander.String(), title='Public key set (JWKS)', missing='',
        description='{"keys": [...]}: public keys only, each with its "kid" and '
                    '"alg" RS384 or ES384. Never paste a private key.',
        widget=deform.widget.TextAreaWidget(rows=10),
        validator=colander.Length(0, MAX_JWKS_BYTES))
    jwks_file = colander.SchemaNode(
        deform.FileData(), title='Or upload the JWKS file', missing=None,
        widget=_upload_widget)
    scopes = colander.SchemaNode(
        colander.Set(), title='What it may read',
        description='SMART scopes: read and search of each kind of resource.',
        widget=deform.widget.CheckboxChoiceWidget(values=[(s, s) for s in SCOPES]),
        validator=colander.All(colander.ContainsOnly(SCOPES),
                               colander.Length(1, min_err='Choose at least one.')))

    def __init__(self, *args, **kw):
        kw.setdefault('validator', _one_key_set)
        super().__init__(*args, **kw)
