"""The layout around a Chameleon page: one layout for both engines.

``templates/layout.jinja2`` is the only layout.  Jinja pages extend it;
``templates/layout.pt`` (the macro every Chameleon page uses) writes the
pieces of ``templates/chrome.jinja2`` (the layout with a marker in each
slot) around its own title, before-main and content slots.  The pieces are
rendered when a page first writes one, from the same values the layout
gets on a Jinja page, so a header or footer change is made once.
"""
import secrets

from markupsafe import Markup

from .jinja import render_template

CHROME = 'minorconsent.site:templates/chrome.jinja2'
#: The marker in each slot: random per process, so no value a person typed
#: (a name, a clinic's portal name) can contain it and move a slot.
SLOT = '\x00%s\x00' % secrets.token_hex(16)


class Chrome:
    """``chrome[n]``: the layout's n-th piece (0 to 3) for this render.

    It keeps no attribute that leads to the app (the registry is only in
    the closure that renders): a template sees the layout's values, which
    it has anyway, and the pieces."""

    __slots__ = ('_render', '_values', '_pieces')

    def __init__(self, registry, values):
        self._render = lambda values: render_template(registry, CHROME, values.get('lang'),
                                                      values)
        self._values = values
        self._pieces = None

    def __getitem__(self, n):
        if self._pieces is None:
            pieces = self._render(dict(self._values, slot=Markup(SLOT)))
            self._pieces = pieces.split(SLOT)
            if len(self._pieces) != 4:     # the layout lost or repeated a block
                raise ValueError('the layout must have exactly three slots')
        return self._pieces[n]
