"""An agreement from its start to its supersession: starting one for a
client, a person's workflow step, the system's activation once the last
signature is in, and which agreements of a client stand for the same
thing (so that a newer one supersedes an older one).

What a step sets off (the event recorded, the PDF kept, the invitations,
the older agreement superseded) is in ``subscribers``: it follows the step
whatever fired it.
"""
from datetime import date

from minorconsent.site.folder import Folder
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, available, fire, start

from .kinds import kinds_of
from .model import KINDS, Agreement, assent_expected, custody_policy, default_signers


class StartRefused(ValueError):
    """An agreement that cannot be started; ``field`` is the start form's
    field the reason belongs next to."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def start_agreement(clinic, client, kind, actor_id, required_guardians=None,
                    assent_required=None, minor_consents=False, today=None):
    """A new agreement for ``client`` in its workflow's first state.

    Who signs is the kind's (``kinds``): the guardians (and the client's
    assent or own consent where asked), the client alone, the guardians
    and the client, or the therapist who starts it."""
    settings = clinic.settings
    today = today or date.today()
    found = kinds_of(clinic).get(kind)
    if found is None or (found.retired and kind not in KINDS):
        raise StartRefused('This kind of agreement is not offered.', 'kind')
    if found.signers == 'client':
        if not client.self_account_id:
            raise StartRefused('The client needs their own sign-in to sign this agreement.',
                               'kind')
        # The client signs alone: their own consent where they may give it,
        # else their assent (no guardian signs either way).
        minor_consents = client.may_self_consent(settings, today)
        assent_required = not minor_consents
        required_guardians = []
    elif found.signers == 'therapist':
        if actor_id not in client.therapist_ids:
            raise StartRefused("Only the client's therapist can start an agreement the "
                               'therapist signs.', 'kind')
        minor_consents, assent_required, required_guardians = False, False, []
    elif found.signers == 'both':
        minor_consents, assent_required = False, True
    eligible = default_signers(client, settings, today)
    if found.signers in ('client', 'therapist'):
        required, needed = [], 0
    elif minor_consents:
        if not client.may_self_consent(settings, today):
            raise StartRefused('The client cannot yet consent on their own here.',
                               'minor_consents')
        if not client.self_account_id:
            raise StartRefused('The client needs their own sign-in to consent.', 'minor_consents')
        required, needed = [], 0
    else:
        required = eligible if required_guardians is None else list(required_guardians)
        not_allowed = set(required) - set(eligible)
        if not_allowed:
            raise StartRefused('Only guardians with legal authority and no restriction can '
                               'sign.', 'guardians')
        if not required:
            raise StartRefused('No guardian with legal authority can sign for this client.',
                               'guardians')
        needed = len(required) if custody_policy(client, settings) == 'all' else 1
    if assent_required is None:
        # Assent is collected through the client's own sign-in; without one
        # the therapist records it on paper and the form says so.
        assent_required = (not minor_consents and bool(client.self_account_id)
                           and assent_expected(client, settings, today))
    if assent_required and not client.self_account_id:
        raise StartRefused("The client's assent needs their own sign-in.", 'assent_required')
    version = clinic['agreement-templates'][kind].current
    languages = signer_languages(clinic, client, required,
                                 assent_required or minor_consents)
    agreement = Agreement(kind, version, required, needed, assent_required, minor_consents,
                          text=version.text_for(languages))
    if found.signers == 'therapist':
        agreement.therapist_signer = actor_id
    if not found.builtin:
        agreement.issued_title = issued_title(found, languages)
    if 'agreements' not in client:
        client.add(Folder(), 'agreements')
    client['agreements'].add(agreement)
    start(agreement, found.workflow_id, actor_id)
    agreement.add_event('started', actor_id, 'version %d' % version.number)
    return agreement


def signer_languages(clinic, client, guardian_ids, client_signs):
    """The languages of the people who sign (a person who chose none
    reads English)."""
    users = clinic['users']
    ids = list(guardian_ids) + ([client.self_account_id] if client_signs else [])
    return [users[uid].language or 'en' for uid in ids if uid and uid in users]


def issued_title(kind, languages):
    """A clinic kind's title in the languages its text was issued in."""
    wanted = {lang for lang in languages if lang in ('en', 'es')}
    if not kind.title_es or not wanted or wanted == {'en'}:
        return kind.title
    if wanted == {'es'}:
        return kind.title_es
    return '%s / %s' % (kind.title, kind.title_es)


#: The e-signature event a workflow step stands for (others keep their id).
EVENT_OF = {'send': 'sent', 'propose': 'sent', 'decline': 'declined',
            'revoke': 'revoked'}


def act(agreement, registry, transition_id, actor, comment='', event=None, announce=True):
    """Fire a workflow step for a person.  The step is recorded among the
    events, and does what it sets off, by ``subscribers``; where the person
    took it from comes from their request.  ``event``, where a caller still
    names it, must be the step's own (``EVENT_OF``).  ``announce=False``
    replays the step without mailing anyone (the demo seed)."""
    if event is not None and event != EVENT_OF.get(transition_id, transition_id):
        raise ValueError('The step "%s" is recorded as "%s", not "%s".'
                         % (transition_id, EVENT_OF.get(transition_id, transition_id), event))
    fire(agreement, transition_id, actor, workflow_guards(registry), comment,
         registry=registry, announce=announce)


def activate_if_complete(agreement, registry, now=None):
    """Fire 'activate' as the system once every signature and assent is in
    (``subscribers`` keeps the PDF and supersedes the older agreement)."""
    guards = workflow_guards(registry)
    if any(t.id == 'activate' for t in available(agreement, Actor.system(), guards)):
        fire(agreement, 'activate', Actor.system(), guards, now=now, registry=registry)
        return True
    return False


def same_kind(agreement):
    """The client's other agreements of the same kind (for a release: to the
    same recipient; releases to different recipients stand side by side)."""
    client = agreement.workflow_client()
    recipient = _recipient(agreement)
    return [a for a in client['agreements'].values()
            if a is not agreement and a.kind == agreement.kind
            and _recipient(a) == recipient]


def _recipient(agreement):
    terms = getattr(agreement, 'terms', None)
    return terms.recipient.casefold() if terms is not None else None


def newer_issued(agreement):
    """Was a newer agreement of the same kind sent or activated since?"""
    return any(other.created > agreement.created
               and other.state in ('sent', 'proposed', 'active')
               for other in same_kind(agreement))

