"""The family forms' schemas: signing, the consent to electronic records,
withdrawing consent, and asking for changes to a summary under review."""
import colander
import deform

from minorconsent.site.i18n import _


class SignSchema(colander.MappingSchema):
    consented_to_electronic = colander.SchemaNode(
        colander.Boolean(), title=_('I agree to sign this document electronically.'),
        missing=False)
    typed_name = colander.SchemaNode(
        colander.String(), title=_('Type your full name'),
        widget=deform.widget.TextInputWidget(attributes={'autocomplete': 'name'}),
        validator=colander.Length(2, 120))
    intent_to_sign = colander.SchemaNode(
        colander.Boolean(), title=_('I have read the text above and I intend to sign it.'),
        missing=False)
    text_sha256 = colander.SchemaNode(colander.String(), widget=deform.widget.HiddenWidget())


def _must_agree(node, value):
    if not value:
        raise colander.Invalid(node, _('Please tick the box to agree, or ask the practice '
                                       'for paper documents.'))


class DisclosureSchema(colander.MappingSchema):
    """The consumer's consent to electronic records (``agreements.esign``),
    under the disclosure it agrees to (``templates/esign_disclosure.pt``)."""
    agreed = colander.SchemaNode(
        colander.Boolean(), title=_('I have read this and I agree to receive and sign '
                                    'documents electronically.'),
        missing=False, validator=_must_agree)


class RevokeSchema(colander.MappingSchema):
    comment = colander.SchemaNode(
        colander.String(), title=_('Why are you withdrawing your consent?'),
        description=_("Your child's therapist will see this."),
        widget=deform.widget.TextAreaWidget(rows=3), validator=colander.Length(1, 1000))


class ChangesSchema(colander.MappingSchema):
    comment = colander.SchemaNode(
        colander.String(), title='What should change?',
        description='Only your therapist reads this.',
        widget=deform.widget.TextAreaWidget(rows=3), validator=colander.Length(1, 1000))
