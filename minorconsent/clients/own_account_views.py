"""Staff pages of the client's own sign-in: invite the client (or link the
account they already have), send a new set-up link, end it.  The rules
are in ``own_account``; the set-up link and its mail in
``accounts.setup``."""
from pyramid.httpexceptions import HTTPSeeOther

from minorconsent.accounts.model import normalize_email
from minorconsent.accounts.setup import issue_setup_link
from minorconsent.audit.recorder import note
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .model import Client
from .own_account import (NOT_AVAILABLE, OwnAccountRefused, account_for_address,
                          end_own_account, link_own_account, may_become_own_account,
                          may_mail_client, offer_refusal, own_account)
from .schemas import OwnAccountSchema
from .views import ClientForm

NO_EMAIL = ("The client's contact preferences say no email, so no invitation can be "
            'sent. Change them first if the client agrees.')


def display_name_of(client):
    return ' '.join(filter(None, (client.preferred_name or client.first_name,
                                  client.last_name)))


@clinic_view(context=Client, name='own-account', permission='edit-clinical',
             renderer='templates/own_account.pt')
class OwnAccountPage(ClientForm):
    """Where the therapist gives the client their own sign-in; once given,
    what state it is in, and the ways to renew or end it."""

    heading = "The client's own sign-in"
    schema = OwnAccountSchema()
    buttons = ('invite client',)

    def before(self):
        clinic = self.request.clinic
        self.account = own_account(clinic, self.context)
        self.refusal = offer_refusal(self.context, clinic.settings)
        if self.account is None and not self.refusal:
            return None
        if self.request.method == 'POST':    # the invitation form, posted anyway
            self.request.response.status = 400
        return dict(self.page(), form=None)

    def page(self):
        account = self.account if hasattr(self, 'account') else None
        return dict(super().page(), refusal=self.refusal, account=account,
                    link_pending=account is not None and account.password_hash is None)

    def invite_client_success(self, values):
        request, client = self.request, self.context
        clinic = request.clinic
        email = normalize_email(values['email'])
        # Refusals come before anything is written: nothing to undo.  An
        # address that may not be the client's is refused first, with the
        # one sentence (the no-email answer must not tell a therapist that
        # some other person's records say "no email").
        existing = clinic['users'].find_by_email(email)
        if existing is not None and not may_become_own_account(existing, client):
            return self.fail('email', NOT_AVAILABLE)
        needs_mail = existing is None or existing.password_hash is None
        if needs_mail and not (client.contact.email_ok and (
                existing is None or may_mail_client(clinic, client, existing))):
            return self.fail('email', NO_EMAIL)
        try:
            account, _created = account_for_address(clinic, client, email,
                                                    display_name_of(client))
            link_own_account(clinic, client, account, request.authenticated_userid)
        except OwnAccountRefused as exc:
            return self.fail(exc.field or 'email', str(exc))
        if values['language'] and account.language is None:
            account.language = values['language']
        if account.password_hash is None:
            issue_setup_link(request, account)
            return redirect(request, request.clinic_url(client, 'own-account'),
                            'own-account-invited')
        return redirect(request, request.clinic_url(client, 'own-account'),
                        'own-account-linked')


@clinic_view(context=Client, name='own-account-resend', permission='edit-clinical',
             request_method='POST')
def own_account_resend(request):
    """A new set-up link (the earlier one stops working), while the client
    has not chosen a password yet."""
    client = request.context
    account = own_account(request.clinic, client)
    if account is None or account.password_hash is not None \
            or not may_mail_client(request.clinic, client, account):
        return HTTPSeeOther(request.clinic_url(client, 'own-account'))
    issue_setup_link(request, account)
    note(client, 'client.own_account_link_sent', actor=request.authenticated_userid)
    return redirect(request, request.clinic_url(client, 'own-account'), 'setup-sent')


@clinic_view(context=Client, name='own-account-end', permission='edit-clinical',
             request_method='POST')
def own_account_end(request):
    client = request.context
    ended = end_own_account(request.clinic, client, request.authenticated_userid)
    return redirect(request, request.clinic_url(client, 'own-account'),
                    'own-account-ended' if ended else None)
