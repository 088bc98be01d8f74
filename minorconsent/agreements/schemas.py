"""The staff forms' schemas of the agreements room (the release's form is
the disclosures room's)."""
import colander
import deform

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
