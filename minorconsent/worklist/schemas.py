"""The staff member's choice of how notices reach them."""
import colander
import deform

from .notices import CHOICES


class NoticePreferenceSchema(colander.Schema):
    delivery = colander.SchemaNode(
        colander.String(), title='Email me about things that wait for me',
        widget=deform.widget.RadioChoiceWidget(values=CHOICES),
        validator=colander.OneOf([value for value, _title in CHOICES]),
        missing=colander.required,
        missing_msg='Choose how you want to be told.')
