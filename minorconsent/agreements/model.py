"""Agreement templates and agreements: the text, who must sign, signatures.

A template keeps every version of its text; a version is never changed
(editing adds a version), and carries the SHA-256 of its exact text.  An
agreement copies the text of the version it was started from, so what a
signer saw is what is stored and hashed.  Signatures are append-only and
the agreement's own rules (``required_signatures_complete``,
``minor_assent_satisfied``) answer the workflow's guards.  Whether a
typed name is the signer's own is ``typed_name``'s rule.
"""
import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from minorconsent.audit.recorder import note
from minorconsent.clients.family import family_access
from minorconsent.site import find_clinic
from minorconsent.site.clock import utcnow
from minorconsent.site.i18n import _
from minorconsent.site.folder import Folder
from minorconsent.workflow.engine import Workflowed

from .validity import in_grace

KINDS = {
    'consent': ('Consent to treatment', 'consent-to-treatment'),
    'confidentiality': ('Confidentiality agreement', 'confidentiality-agreement'),
    'release': ('Release of information', 'release-of-information'),
}


class FamilyStates(dict):
    """By kind, where a family member may read or act on an agreement.

    A clinic's own kind (``kinds``) follows the consent's or the
    confidentiality agreement's workflow, so its family states are that
    content type's; asked by kind alone (the parent view's first filter)
    an unknown kind gets the states both declare for the role.  The engine
    drops any family grant outside the states declared for the content
    type of the workflow the agreement follows, so this never widens what
    a family sees."""

    def get(self, kind, default=None):
        """Every kind not built in is a clinic's (``default`` is not
        needed: the union below is the answer for it)."""
        if kind in self:
            return self[kind]
        roles = {}
        for content_type in ('consent', 'confidentiality'):
            for role, states in self[content_type].items():
                roles[role] = tuple(sorted(set(roles.get(role, ())) | set(states)))
        return roles


#: Where a family member may read or act on an agreement, by kind and role
#: (``config.declare_family_states``): waiting for signatures, in force,
#: and, for a guardian, the agreement they declined (or the consent or
#: release they revoked); a consent or confidentiality agreement whose
#: period ended (``expired``), where the definition grants it, so the
#: family reads what lapsed and until when (``validity``).
#: A draft, or one superseded or ended, is the clinic's record.
FAMILY_STATES = FamilyStates({
    'consent': {'guardian': ('sent', 'active', 'declined', 'revoked', 'expired'),
                'adolescent': ('sent', 'active', 'expired')},
    'confidentiality': {'guardian': ('proposed', 'active', 'declined', 'expired'),
                        'adolescent': ('proposed', 'active', 'expired')},
    'release': {'guardian': ('sent', 'active', 'declined', 'revoked'),
                'adolescent': ('sent', 'active')},
})
#: The kinds a therapist starts from the generic "new agreement" form (a
#: release has its own form: recipient, items, purpose, end date).
GENERAL_KINDS = ('consent', 'confidentiality')
CUSTODY_POLICIES = (
    ('all', 'Every guardian with legal authority must sign'),
    ('one', 'One guardian with legal authority is enough'),
)


def text_hash(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


@dataclass(frozen=True)
class TemplateVersion:
    number: int
    text: str
    sha256: str
    created: datetime
    author_id: str
    #: The Spanish text of this version ('' where the clinic gave none:
    #: the versions stored before it could; a default, so they still load).
    text_es: str = ''

    def text_for(self, languages):
        """The text the signers read, in their languages: English where
        there is no Spanish text or a signer reads English, Spanish where
        every signer reads Spanish, both (English first) for a family
        that reads both.  Every signer reads, and signs, the same text."""
        wanted = {lang for lang in languages if lang in ('en', 'es')}
        if not self.text_es or not wanted or wanted == {'en'}:
            return self.text
        if wanted == {'es'}:
            return self.text_es
        return 'English\n\n%s\nEspañol\n\n%s' % (self.text, self.text_es)


def _plain(text):
    return text.replace('\r\n', '\n').strip() + '\n'


class AgreementTemplate(Persistent):
    """The versions of one kind of agreement's text."""

    #: Months an agreement of this text is in force (0: no end); None
    #: follows the clinic's ``agreement_validity_months`` (``validity``).
    validity_months = None

    def __init__(self, kind, text, author_id='system', text_es=''):
        self.kind = kind
        self.versions = IOBTree()
        self.add_version(text, author_id, text_es)

    @property
    def title(self):
        return kind_title(self, self.kind)

    @property
    def current(self):
        return self.versions[self.versions.maxKey()]

    def add_version(self, text, author_id, text_es=''):
        """A new version (the old ones stay exactly as they were)."""
        text = _plain(text)
        text_es = _plain(text_es) if (text_es or '').strip() else ''
        number = self.versions.maxKey() + 1 if len(self.versions) else 1
        version = TemplateVersion(number, text, text_hash(text), utcnow(), author_id, text_es)
        self.versions[number] = version
        return version


def kind_title(obj, kind):
    """The title of a kind: the code's for a built-in one, the clinic's
    (``kinds``) for its own."""
    if kind in KINDS:
        return KINDS[kind][0]
    clinic = find_clinic(obj)
    store = getattr(clinic, 'agreement_kinds', None) if clinic is not None else None
    found = store.get(kind) if store is not None else None
    return found.title if found is not None else kind


class AgreementTemplates(Folder):
    """``clinic['agreement-templates']``: one template per kind."""


@dataclass(frozen=True)
class Signature:
    signer_id: str
    typed_name: str
    role: str                # 'guardian', 'minor' or 'therapist' (``kinds``)
    relationship: str        # e.g. 'mother', or 'client'
    authority: str           # the basis of the signer's authority, in words
    time: datetime
    ip: str
    user_agent: str
    template_version: int
    text_sha256: str
    consented_to_electronic: bool
    intent_to_sign: bool
    #: How the signer had signed in (``security.sessions.SIGN_IN_METHODS``);
    #: '' where not recorded (signatures made before it was, and the seed).
    #: A default, so signatures stored without the field still load.
    authenticated_by: str = ''
    #: A signature on paper that staff recorded (``paper``): the day it
    #: was signed (ISO), the witness's name, the id of the staff member who
    #: recorded it and the SHA-256 of the scan kept beside the agreement
    #: (``Agreement.paper_scans``).  Empty for a signature made online;
    #: defaults, so signatures stored before these fields still load.
    paper_signed_on: str = ''
    witness: str = ''
    recorded_by: str = ''
    scan_sha256: str = ''

    @property
    def on_paper(self):
        return bool(self.paper_signed_on)


#: How a signer signed in, in the certificate's words (translatable).
AUTHENTICATION_WORDS = {
    'password': _('Signed in with a password.'),
    'password+second-factor': _('Signed in with a password and a second factor.'),
    'single-use-link': _('Signed in with a single-use link sent to their email address.'),
    '': _('How the signer signed in was not recorded.'),
}


def authentication_words(method):
    return AUTHENTICATION_WORDS.get(method or '', AUTHENTICATION_WORDS[''])


@dataclass(frozen=True)
class AgreementEvent:
    time: datetime
    kind: str                # started, sent, viewed, signed, declined, revoked, ...
    actor_id: str
    detail: str = ''
    ip: str = ''
    user_agent: str = ''


class Agreement(Workflowed, Persistent):
    """One agreement for one client, run under its kind's workflow."""

    pdf = None            # a ZODB Blob, rendered when the agreement activates
    pdf_sha256 = None
    #: signer id -> ``paper.PaperScan``, made at the first paper signature
    #: (agreements stored before have none: the class default).
    paper_scans = None

    #: The title of a clinic's kind as the agreement was issued (in the
    #: languages of its text); None for a built-in kind (the code's title,
    #: which the family pages translate).
    issued_title = None
    #: The therapist who signs an agreement of a kind the therapist signs
    #: (``kinds``), else None (the class default for agreements before).
    therapist_signer = None
    #: The period in force, written when it activates (``validity``): the
    #: clinic's day it activated and its last day in force (None: no end).
    #: Agreements activated before periods existed have neither: no end.
    valid_from = None
    valid_until = None
    #: The ``valid_until`` whose renewal the daily job handled (sent, or
    #: skipped with the reason in the events), so it is done once.
    renewal_handled = None

    def __init__(self, kind, version, required_guardians, signatures_needed,
                 assent_required, minor_consents=False, text=None):
        self.kind = kind
        self.template_version = version.number
        self.text = version.text if text is None else text
        self.text_sha256 = text_hash(self.text)
        self.required_guardians = tuple(required_guardians)
        self.signatures_needed = signatures_needed
        self.assent_required = assent_required
        self.minor_consents = minor_consents   # the minor is the consenting party
        self.signatures = OOBTree()            # signer id -> Signature
        self.events = IOBTree()
        self._event_count = Length()
        self.created = utcnow()

    @property
    def title(self):
        if self.kind in KINDS:
            return KINDS[self.kind][0]
        return self.issued_title or kind_title(self, self.kind)

    # --- the workflow's questions -------------------------------------------

    def workflow_client(self):
        return self.__parent__.__parent__

    def workflow_local_roles(self):
        """The client's roles, but the guardian role only for the guardians
        whose signature this agreement asks for."""
        wanted = set(self.required_guardians)
        return self.workflow_client().local_roles_for_document(wanted.__contains__)

    def guardian_signatures(self):
        return [s for s in self.signatures.values() if s.role == 'guardian']

    def required_signatures_complete(self, ctx=None):
        if self.minor_consents:
            client = self.workflow_client()
            return client.self_account_id in self.signatures
        if self.therapist_signer and self.therapist_signer not in self.signatures:
            return False
        signed = {s.signer_id for s in self.guardian_signatures()}
        return len(signed & set(self.required_guardians)) >= self.signatures_needed

    def minor_assent_satisfied(self, ctx=None):
        if not self.assent_required:
            return True
        return self.workflow_client().self_account_id in self.signatures

    # --- events --------------------------------------------------------------

    def add_event(self, kind, actor_id, detail='', ip='', user_agent='', now=None):
        """Append to this agreement's own events (sent, viewed, signed ...,
        the lines of its certificate), and note it on the audit trail."""
        self.events[self._event_count()] = AgreementEvent(
            now or utcnow(), kind, actor_id, detail, ip, user_agent)
        self._event_count.change(1)
        # Sent, viewed, signed, declined, revoked: each on the audit trail too.
        # A signature names the exact text signed on the chain itself.
        note(self, 'agreement.' + kind, actor=actor_id,
             detail='%s v%s' % (self.kind, self.template_version)
             + (' text sha256 %s' % self.text_sha256 if kind == 'signed' else ''))

    def event_list(self):
        return list(self.events.values())


def default_signers(client, settings, today=None):
    """Guardians who may sign: legal authority, not restricted, child a minor
    (``FamilyAccess.signers``)."""
    return list(family_access(client, today).signers)


def custody_policy(client, settings):
    return family_access(client).custody_policy


def assent_expected(client, settings, today=None):
    return family_access(client, today).assent_expected


# --- this room's facts for ``clients.family`` ------------------------------

def consented_guardians(client, today=None):
    """Guardians who signed the client's active guardian consent, or one
    that expired at the end of its period within the clinic's grace
    (``validity.in_grace``: only where the definition's expired state lets
    the guardian read)."""
    if 'agreements' not in client:
        return frozenset()
    today = today or date.today()
    settings = find_clinic(client).settings
    return frozenset(gid for a in client['agreements'].values()
                     if a.kind == 'consent' and not a.minor_consents
                     and (a.state == 'active' or in_grace(a, settings, today))
                     for gid in a.signatures)


def client_consents_alone(client, today=None):
    """Is the client's care running under their own active consent?"""
    if 'agreements' not in client:
        return False
    return any(a.kind == 'consent' and a.state == 'active' and a.minor_consents
               for a in client['agreements'].values())


def age_note(agreement, settings, today=None):
    """What staff must be told about a guardians' agreement once the client
    has reached the age of majority, else ''.

    Guardian access ends at majority by the access rules alone (decided at
    access time, no job runs), so the agreement's workflow state does not
    move: without this note an old guardian consent would still read
    "Active" to staff although no guardian can use it any more.
    """
    if agreement.minor_consents or not agreement.required_guardians:
        return ''
    if agreement.workflow_client().is_minor(settings, today or date.today()):
        return ''
    if agreement.state == 'active':
        return 'Guardian access has ended: the client has reached the age of majority.'
    if agreement.state in ('sent', 'proposed'):
        return 'Guardians can no longer sign: the client has reached the age of majority.'
    return ''


#: The words for a guardian's relationship in a signature's authority line.
RELATIONSHIP_WORDS = {
    'mother': _('mother'), 'father': _('father'), 'parent': _('parent'),
    'step-parent': _('step-parent'), 'grandparent': _('grandparent'),
    'foster-parent': _('foster parent'), 'legal-guardian': _('legal guardian'),
    'caseworker': _('caseworker'), 'other': _('other'),
}


def authority_words(signature, minor_consents, translate=str):
    """The basis of a signer's authority, as a translatable string: the
    certificate keeps its English words (``Signature.authority``); a
    family page shows it in the reader's language.  ``translate`` renders
    the relationship word inside it (Pyramid's localizer does not translate
    a mapping's values)."""
    if signature.role == 'guardian':
        relationship = RELATIONSHIP_WORDS.get(signature.relationship, signature.relationship)
        return _('Legal authority to consent (${relationship})',
                 mapping={'relationship': translate(relationship)})
    if signature.role == 'therapist':
        return _("The client's therapist")
    if minor_consents:
        return _('The client, consenting on their own')
    return _("The client's assent")
