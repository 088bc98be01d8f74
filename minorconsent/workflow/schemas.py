"""Colander schemas for the workflow admin."""
import colander
import deform


class DraftSchema(colander.MappingSchema):
    source = colander.SchemaNode(
        colander.String(), title='Definition (TOML)',
        description='Edit the draft; it is checked when you save. Nothing '
                    'changes for anyone until you publish.',
        widget=deform.widget.TextAreaWidget(rows=30, css_class='code'),
        validator=colander.Length(1, 200_000))


class RequestTmpStore(dict):
    """deform's upload store for one request: the file is read in the
    same request, so nothing needs to outlive it."""

    def preview_url(self, uid):
        return None


@colander.deferred
def _upload_widget(node, kw):
    return deform.widget.FileUploadWidget(RequestTmpStore())


class ImportSchema(colander.MappingSchema):
    upload = colander.SchemaNode(
        deform.FileData(), title='Definition file (.toml)', widget=_upload_widget)
