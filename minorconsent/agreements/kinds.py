"""The kinds of agreement a clinic uses: the three the code relies on, and
the clinic's own (a telehealth consent, a financial policy, a photo
consent ...), each with a title, who signs, the stored workflow it follows
and whether it must be active before the first session.

``clinic.agreement_kinds`` keeps them (``AgreementKinds``); the text of
each kind is its template in ``clinic['agreement-templates']`` under the
same id, versioned like every agreement text.

A clinic's kind follows a stored workflow whose content type is a consent
or a confidentiality agreement: those are the workflows the room's code
drives (it fires their ``send``/``propose``, ``activate`` and
``supersede`` steps, which the validator keeps in every definition of
those content types), so a clinic's kind needs no code of its own.  A
release has terms (recipient, items, end date) only the disclosures room
sets, so no clinic kind follows its workflow.

The built-in kinds cannot be removed, and their signers and workflow do
not change: other rooms read them by id ('consent' decides guardian
access, 'release' what may be shared).  Only whether they are required
before the first session is the admin's to set.
"""
import re
import unicodedata
from dataclasses import dataclass, replace

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from minorconsent.audit.recorder import note
from minorconsent.site import find_clinic

from .model import KINDS, AgreementTemplate

#: Who signs an agreement of a kind, in the admin's words.
SIGNERS = (
    ('guardians', 'The guardians (as for the consent to treatment)'),
    ('client', 'The client alone'),
    ('both', 'The guardians and the client'),
    ('therapist', "The client's therapist"),
)
SIGNER_WORDS = dict(SIGNERS)
#: ... on the therapist's start form, after "signed by".
SIGNED_BY = {'guardians': 'the guardians', 'client': 'the client',
             'both': 'the guardians and the client', 'therapist': 'the therapist'}
#: The content types of the workflows a clinic's kind may follow.
KIND_CONTENT_TYPES = ('consent', 'confidentiality')
#: The step that sends an agreement out, by its workflow's content type.
SENDING_STEP = {'consent': 'send', 'confidentiality': 'propose', 'release': 'send'}
#: Built-in kinds: the workflow each follows, by id.
BUILTIN_WORKFLOWS = {kind: workflow_id for kind, (_title, workflow_id) in KINDS.items()}
#: Why a built-in kind stays as it is (shown next to the field).
BUILTIN_REASON = {
    'consent': 'The consent to treatment is how guardians gain access: the code relies on it.',
    'confidentiality': 'The confidentiality agreement is one the code relies on.',
    'release': 'A release of information decides what may be shared: the code relies on it.',
}
SLUG = re.compile(r'^[a-z][a-z0-9-]{0,47}$')


class KindRefused(ValueError):
    """A change to the kinds that is not made; ``field`` is the form's."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AgreementKind:
    id: str
    title: str
    title_es: str
    signers: str               # one of SIGNERS
    workflow_id: str
    required_first_session: bool = False
    builtin: bool = False
    retired: bool = False      # no longer offered; agreements already made stay


class AgreementKinds(Persistent):
    """``clinic.agreement_kinds``: every kind, by id."""

    def __init__(self):
        self.by_id = OOBTree()
        for kind, (title, workflow_id) in KINDS.items():
            self.by_id[kind] = AgreementKind(kind, title, '', 'guardians', workflow_id,
                                             builtin=True)

    def get(self, kind_id):
        return self.by_id.get(kind_id)

    def __getitem__(self, kind_id):
        return self.by_id[kind_id]

    def __contains__(self, kind_id):
        return kind_id in self.by_id

    def all(self):
        return list(self.by_id.values())

    def offered(self):
        """The kinds a therapist starts from the general form (a release has
        its own form, a retired kind none)."""
        builtin = [self.by_id[k] for k in KINDS if k != 'release' and k in self.by_id]
        own = sorted((k for k in self.by_id.values() if not k.builtin and not k.retired),
                     key=lambda k: k.title.casefold())
        return builtin + own

    def put(self, kind):
        self.by_id[kind.id] = kind


def kinds_of(clinic):
    return clinic.agreement_kinds


def kind_of(agreement_or_template):
    """The ``AgreementKind`` of an agreement or template (a built-in one
    described from the code where the clinic has no store yet)."""
    clinic = find_clinic(agreement_or_template)
    store = getattr(clinic, 'agreement_kinds', None) if clinic is not None else None
    kind_id = agreement_or_template.kind
    found = store.get(kind_id) if store is not None else None
    if found is None and kind_id in KINDS:
        title, workflow_id = KINDS[kind_id]
        return AgreementKind(kind_id, title, '', 'guardians', workflow_id, builtin=True)
    return found


def agreement_workflows(clinic):
    """``[(workflow id, title)]``: the stored workflows a clinic's kind may
    follow."""
    found = []
    for wid, record in sorted(clinic['workflows'].items()):
        workflow = record.definition()
        if workflow.content_type in KIND_CONTENT_TYPES:
            found.append((wid, workflow.title))
    return found


def sending_step(clinic, workflow_id):
    return SENDING_STEP[clinic['workflows'][workflow_id].definition().content_type]


def slug_for(title, taken):
    """An id for a new kind from its title: plain lowercase letters, digits
    and hyphens (what the URL of its text shows), unused."""
    plain = unicodedata.normalize('NFKD', title).encode('ascii', 'ignore').decode('ascii')
    slug = re.sub(r'[^a-z0-9]+', '-', plain.lower()).strip('-')[:40].strip('-')
    if not slug or not slug[0].isalpha():
        slug = 'kind-' + slug if slug else 'kind'
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = '%s-%d' % (slug, n), n + 1
    return candidate


def _check(clinic, title, title_es, signers, workflow_id):
    if not ' '.join(title.split()):
        raise KindRefused('title', 'Give the kind a title.')
    if not ' '.join(title_es.split()):
        raise KindRefused('title_es', 'Give the kind a title in Spanish.')
    if signers not in SIGNER_WORDS:
        raise KindRefused('signers', 'Choose who signs.')
    if workflow_id not in dict(agreement_workflows(clinic)):
        raise KindRefused('workflow_id', 'Choose a workflow for agreements.')
    return ' '.join(title.split()), ' '.join(title_es.split())


def add_kind(clinic, actor_id, title, title_es, text, text_es, signers, workflow_id,
             required_first_session=False):
    """A new kind of the clinic's and its text (version 1, in English and
    Spanish); ``KindRefused`` with the field, nothing changed, otherwise."""
    title, title_es = _check(clinic, title, title_es, signers, workflow_id)
    store = kinds_of(clinic)
    if any(k.title.casefold() == title.casefold() for k in store.all()):
        raise KindRefused('title', 'There is a kind with this title already.')
    if not text.strip():
        raise KindRefused('text', 'Give the text in English.')
    if not text_es.strip():
        raise KindRefused('text_es', 'Give the text in Spanish.')
    templates = clinic['agreement-templates']
    slug = slug_for(title, set(store.by_id) | set(templates.keys()))
    kind = AgreementKind(slug, title, title_es, signers, workflow_id,
                         bool(required_first_session))
    store.put(kind)
    templates.add(AgreementTemplate(slug, text, actor_id, text_es=text_es), slug)
    note(clinic, 'agreement-kind.added', actor=actor_id,
         detail='%s: signers %s, workflow %s' % (slug, signers, workflow_id))
    return kind


def change_kind(clinic, actor_id, kind_id, title, title_es, signers, workflow_id,
                required_first_session):
    """Change a kind.  A built-in kind keeps its title, signers and
    workflow (refused with the reason next to the field that would
    change); only whether it is required before the first session moves."""
    store = kinds_of(clinic)
    kind = store[kind_id]
    if kind.builtin:
        reason = BUILTIN_REASON[kind.id]
        if workflow_id != kind.workflow_id:
            raise KindRefused('workflow_id', reason + ' Its workflow cannot change.')
        if signers != kind.signers:
            raise KindRefused('signers', reason + ' Who signs it cannot change.')
        if ' '.join(title.split()) != kind.title:
            raise KindRefused('title', reason + ' Its title cannot change.')
        if ' '.join(title_es.split()) != kind.title_es:
            raise KindRefused('title_es', 'The Spanish title of a built-in kind comes with '
                                          'the application and cannot change here.')
        changed = replace(kind, required_first_session=bool(required_first_session))
    else:
        title, title_es = _check(clinic, title, title_es, signers, workflow_id)
        if any(k.id != kind.id and k.title.casefold() == title.casefold()
               for k in store.all()):
            raise KindRefused('title', 'There is a kind with this title already.')
        changed = replace(kind, title=title, title_es=title_es, signers=signers,
                          workflow_id=workflow_id,
                          required_first_session=bool(required_first_session))
    if changed != kind:
        store.put(changed)
        note(clinic, 'agreement-kind.changed', actor=actor_id,
             detail='%s: signers %s, workflow %s, required %s' % (
                 kind.id, changed.signers, changed.workflow_id,
                 changed.required_first_session))
    return changed


def remove_kind(clinic, actor_id, kind_id):
    """Stop offering a clinic's kind.  Its agreements and text stay (they
    were signed on it); a built-in kind is refused with the reason."""
    store = kinds_of(clinic)
    kind = store[kind_id]
    if kind.builtin:
        raise KindRefused('remove', BUILTIN_REASON[kind.id] + ' It cannot be removed.')
    if not kind.retired:
        store.put(replace(kind, retired=True, required_first_session=False))
        note(clinic, 'agreement-kind.removed', actor=actor_id, detail=kind.id)


def missing_required(clinic, client):
    """The kinds required before the first session that have no active
    agreement for this client, in title order."""
    agreements = client['agreements'].values() if 'agreements' in client else ()
    active = {a.kind for a in agreements if a.state == 'active'}
    return sorted((k for k in kinds_of(clinic).all()
                   if k.required_first_session and not k.retired and k.id not in active),
                  key=lambda k: k.title.casefold())


def required_notice(clinic, client):
    """The client page's notice (``config.add_client_notice``): the kinds
    required before the first session that are not active yet."""
    missing = missing_required(clinic, client)
    if not missing:
        return []
    return ['Required before the first session, not active yet: %s.'
            % ', '.join(kind.title for kind in missing)]
