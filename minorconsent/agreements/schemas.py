"""The staff forms' schemas of the agreements room (the release's form is
the disclosures room's)."""
import colander
import deform

from minorconsent.site.forms import date_widget

from .kinds import SIGNERS


@colander.deferred
def _signer_widget(node, kw):
    return deform.widget.CheckboxChoiceWidget(values=kw['eligible'])


@colander.deferred
def _signer_validator(node, kw):
    return colander.ContainsOnly([gid for gid, _ in kw['eligible']])


@colander.deferred
def _kind_widget(node, kw):
    return deform.widget.RadioChoiceWidget(values=kw['kinds'])


@colander.deferred
def _kind_validator(node, kw):
    return colander.OneOf([kid for kid, _ in kw['kinds']])


class StartSchema(colander.MappingSchema):
    """Bound with ``kinds``: ``[(id, title)]`` the clinic offers."""
    kind = colander.SchemaNode(
        colander.String(), title='Document', widget=_kind_widget, validator=_kind_validator,
        description='A kind the clinic added says who signs it: where the client or the '
                    'therapist signs, no guardian below is asked; where both sign, the '
                    "client's own signature is asked too.")
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


class TemplateSchema(colander.MappingSchema):
    text = colander.SchemaNode(
        colander.String(), title='Text',
        description='Plain language. Saving creates a new version; documents '
                    'already sent keep the version they were sent with.',
        widget=deform.widget.TextAreaWidget(rows=25),
        validator=colander.Length(50, 50_000))
    text_es = colander.SchemaNode(
        colander.String(), title='Text in Spanish', missing='',
        description='A family whose signers all read Spanish gets this text; a family '
                    'that reads both languages gets both.',
        widget=deform.widget.TextAreaWidget(rows=25),
        validator=colander.Length(0, 50_000))
    validity_months = colander.SchemaNode(
        colander.Int(), title='An agreement on this text is in force for (months)',
        missing=None,
        description="Empty: the clinic's setting. 0: until it is revoked or replaced. "
                    'Agreements already in force keep the period they were signed with.',
        validator=colander.Range(0, 120, min_err='0 or more months.',
                                 max_err='At most 120 months.'))


@colander.deferred
def _workflow_widget(node, kw):
    return deform.widget.SelectWidget(values=kw['workflows'])


@colander.deferred
def _workflow_validator(node, kw):
    return colander.OneOf([wid for wid, _ in kw['workflows']])


def _title(title, description=''):
    return colander.SchemaNode(colander.String(), title=title, missing='',
                               description=description, validator=colander.Length(0, 80))


def _signers():
    return colander.SchemaNode(
        colander.String(), title='Who signs',
        widget=deform.widget.RadioChoiceWidget(values=SIGNERS),
        validator=colander.OneOf([s for s, _ in SIGNERS]))


def _workflow():
    return colander.SchemaNode(
        colander.String(), title='Workflow',
        description='The steps agreements of this kind go through (a consent or a '
                    'confidentiality agreement workflow).',
        widget=_workflow_widget, validator=_workflow_validator)


def _required():
    return colander.SchemaNode(
        colander.Boolean(), title='Required before the first session', missing=False,
        description='The client page says it is missing until an agreement of this kind '
                    'is active.')


def _text(title):
    return colander.SchemaNode(
        colander.String(), title=title, missing='',
        widget=deform.widget.TextAreaWidget(rows=15), validator=colander.Length(0, 50_000))


class KindSchema(colander.MappingSchema):
    """A kind's settings (bound with ``workflows``: ``[(id, title)]``);
    ``kinds`` refuses what a built-in kind may not change."""
    title = _title('Title')
    title_es = _title('Title in Spanish')
    signers = _signers()
    workflow_id = _workflow()
    required_first_session = _required()
    remove = colander.SchemaNode(
        colander.Boolean(), title='Stop offering this kind', missing=False,
        description='Agreements already started keep it and its text.')


class KindAddSchema(colander.MappingSchema):
    """A clinic's own kind and its first text (``kinds.add_kind`` checks
    the rest: a title and a text in both languages)."""
    title = _title('Title', 'E.g. Telehealth consent, Financial policy, Photo and '
                            'recording consent.')
    title_es = _title('Title in Spanish')
    signers = _signers()
    workflow_id = _workflow()
    required_first_session = _required()
    text = _text('Text')
    text_es = _text('Text in Spanish')
