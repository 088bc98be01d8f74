"""The staff forms' schemas of the agreements room (the release's form is
the disclosures room's)."""
import colander
import deform

from minorconsent.site.forms import date_widget

from .model import GENERAL_KINDS, KINDS


@colander.deferred
def _signer_widget(node, kw):
    return deform.widget.CheckboxChoiceWidget(values=kw['eligible'])


@colander.deferred
def _signer_validator(node, kw):
    return colander.ContainsOnly([gid for gid, _ in kw['eligible']])


class StartSchema(colander.MappingSchema):
    kind = colander.SchemaNode(
        colander.String(), title='Document',
        widget=deform.widget.RadioChoiceWidget(values=[(k, KINDS[k][0]) for k in GENERAL_KINDS]),
        validator=colander.OneOf(GENERAL_KINDS))
    guardians = colander.SchemaNode(
        colander.Set(), title='Guardians who sign', missing=set(),
        description='Only guardians with legal authority and no restriction can sign.',
        widget=_signer_widget, validator=_signer_validator)
    assent_required = colander.SchemaNode(
        colander.Boolean(), title="Ask for the client's assent", missing=False)
    minor_consents = colander.SchemaNode(
        colander.Boolean(), title='The client consents on their own (no guardian signs)',
        missing=False)


class RequestTmpStore(dict):
    """deform's upload store for one request: the scan is read in the
    request that posts it, so nothing needs to outlive it."""

    def preview_url(self, uid):
        return None


@colander.deferred
def _paper_signer_widget(node, kw):
    return deform.widget.SelectWidget(values=[('', 'Choose who signed')] + kw['signers'])


@colander.deferred
def _paper_signer_validator(node, kw):
    return colander.OneOf([uid for uid, _ in kw['signers']])


@colander.deferred
def _scan_widget(node, kw):
    return deform.widget.FileUploadWidget(
        RequestTmpStore(), accept='application/pdf,image/png,image/jpeg')


class PaperSignatureSchema(colander.MappingSchema):
    """A signature made on paper (``paper.record_paper_signature`` checks
    the rest: the signer, the scan's type and size, the day)."""
    signer = colander.SchemaNode(
        colander.String(), title='Who signed', widget=_paper_signer_widget,
        validator=_paper_signer_validator)
    scan = colander.SchemaNode(
        deform.FileData(), title='Scan of the signed page', missing=None,
        description='A PDF, PNG or JPEG file. It is kept with the agreement; staff can '
                    'download it, the family never sees it.',
        widget=_scan_widget)
    witness = colander.SchemaNode(
        colander.String(), title='Witnessed by', missing='',
        description='The name of the person who saw the signature made.',
        validator=colander.Length(0, 120))
    signed_on = colander.SchemaNode(
        colander.Date(), title='Day signed', widget=date_widget())
