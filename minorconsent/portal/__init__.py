"""The guardian and adolescent portal.

Guardian pages render only ``parentview`` objects; see that module.  Their
templates do not even have the traversal context or the request in their
namespace (``hide_record_from_family_templates``), so a template edit
cannot reach the client record.
"""
from pyramid.events import BeforeRender

from minorconsent.summaries.views import set_summary_preview
from minorconsent.workflow import require_workflow_state, require_workflow_step

from .preview import staff_preview


def is_family_renderer(event):
    """True for templates of views declared in this package."""
    info = event.get('renderer_info')
    package = getattr(getattr(info, 'package', None), '__name__', '')
    return package == __name__ or package.startswith(__name__ + '.')


def hide_record_from_family_templates(event):
    """Blank out Pyramid's system values for family-facing templates.

    A Jinja2 page extends the layout itself, so it gets neither the
    Chameleon layout nor the layout's pieces (``chrome``): nothing in its
    namespace leads to the app."""
    if is_family_renderer(event):
        jinja_page = str(getattr(event.get('renderer_info'), 'name', '')).endswith('.jinja2')
        for name in ("context", "request", "req", "view", "renderer_info",
                     'get_csrf_token'):
            event[name] = None
        if jinja_page:
            event['chrome'] = None
            event['layout'] = None


def includeme(config):
    config.add_subscriber(hide_record_from_family_templates, BeforeRender)
    # Called, not config.*: the portal is included before the workflow room.
    require_workflow_step(config, 'summary', 'return_to_draft', 'when the client asks for '
                          'changes to a summary they are reviewing, this step sends it back '
                          'to the therapist', from_states=('minor_review',), to_state='draft')
    require_workflow_state(config, 'summary', 'published', 'the family pages show a summary '
                           'from the day it reached this state')
    # Called, not config.*: the summaries room, which adds the directive,
    # is included after the portal.
    set_summary_preview(config, staff_preview)
    config.scan('.views')
    config.scan('.signing')
    config.scan('.invitations')
    config.scan('.review')
