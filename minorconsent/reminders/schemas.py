"""The forms of the reminders panel: pausing a family's reminders needs a
reason (it is the record of why a family was not reminded)."""
import colander
import deform

from .model import REASON_MAX


def _no_control_characters(node, value):
    if any((ord(ch) < 32 and ch not in '\r\n\t') or ord(ch) == 127 for ch in value):
        raise colander.Invalid(node, 'Remove the invisible control characters.')


class PauseSchema(colander.MappingSchema):
    reason = colander.SchemaNode(
        colander.String(), title='Why pause the reminders (for staff only)',
        description='E.g. "Custody dispute: wait for the court\'s decision". '
                    'Kept on the client\'s record.',
        widget=deform.widget.TextAreaWidget(rows=2),
        validator=colander.All(colander.Length(1, REASON_MAX), _no_control_characters))
