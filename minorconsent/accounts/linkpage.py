"""The page a mailed single-use link opens (``/<view>/<token>``).

Password resets, email confirmations and invitations to sign share its
first steps: spend a token of the link's rate-limit door (a page view, so
no commit: ``security/ratelimit.py``), find the link by the token in the
path, and answer a link that is unknown, used, expired or cancelled with
a plain page and its status (404, 410 ...) before any form is built.
"""
from functools import partial

from minorconsent.security.ratelimit import too_many
from minorconsent.site.forms import FormView
from minorconsent.site.i18n import _, translate


def link_messages(used, cancelled, expired=_('Ask the practice to send you a new one.')):
    """A ``LinkPage``'s ``messages``: the title, the text (what to do now)
    and the status for a link that does not work; the texts after "used",
    "cancelled" and "expired" are the kind of link's own."""
    return {
        'unknown': (_('This link is not valid'),
                    _('Check that you copied the whole link from the email.'), 404),
        'expired': (_('This link has expired'), expired, 410),
        'used': (_('This link has already been used'), used, 410),
        'cancelled': (_('This link is no longer valid'), cancelled, 410),
    }


class LinkPage(FormView):
    """A ``FormView`` behind a single-use link.

    A subclass names its rate-limit ``door``, its ``messages`` (status ->
    title, text, HTTP status), how a token finds its link (``find``) and
    what the link's status is with whom it is for (``status_of``).  A
    valid link is on ``self.link``, its person on ``self.user``, for the
    schema, the page and the success methods.
    """

    door = None
    messages = {}

    def find(self, token):
        """The stored link of ``token`` (None: unknown)."""
        raise NotImplementedError

    def status_of(self, link):
        """``(status, person)``: 'valid', or why not."""
        raise NotImplementedError

    def before(self):
        limited = too_many(self.request, self.door)
        if limited is not None:
            return limited
        subpath = self.request.subpath
        self.link = self.find(subpath[0] if len(subpath) == 1 else '')
        status, self.user = self.status_of(self.link)
        if status != 'valid':
            return self.not_valid(status)
        return None

    def not_valid(self, status):
        """The plain page for a link that does not work (``messages``)."""
        t = partial(translate, self.request)
        title, text, code = self.messages[status]
        self.request.response.status = code
        return dict(self.not_valid_page(status), title=t(title), text=t(text), form=None)

    def not_valid_page(self, status):
        """What that page shows besides its title and text."""
        return {}
