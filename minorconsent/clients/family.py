"""Who in a client's family may see, consent, sign and be mailed: one answer.

The promise ("a guardian learns goals and progress, nothing else") rests on
a handful of decisions: which guardians are entitled to the portal, who is
the consenting party, what each guardian's scope is, who is asked to sign,
and who may be mailed.  They used to be taken in six rooms; ``FamilyAccess``
takes them here, once per client and transaction (``site.memo``), and the
rooms read it.

Facts that live above this room (an active consent's signers, what a live
release authorizes) reach it through functions the rooms register with
``config.add_family_fact(name, fn)``; ``fn(client, today)`` answers with
frozen values.  Without a registered fact the answer is the closed one: no
consent, no release, so no scope.
"""

from dataclasses import dataclass
from datetime import date

from pyramid.threadlocal import get_current_registry

from minorconsent.site import find_clinic
from minorconsent.site.memo import per_transaction

from .contact import accepts_email

#: What a guardian sees under their own consent.
FULL_SCOPE = frozenset({'goals', 'summaries'})

#: Registry key of ``{name: fn}`` the rooms registered.
FACTS_KEY = 'minorconsent.family_facts'

#: The facts this module asks for, and their closed answer.
CONSENTED = 'consented_guardians'      # frozenset of guardian ids
CONSENTS_ALONE = 'client_consents_alone'   # bool
RELEASED = 'released_to_guardians'     # tuple of (guardian id, frozenset of items)
CLOSED = {CONSENTED: frozenset(), CONSENTS_ALONE: False, RELEASED: ()}


@dataclass(frozen=True)
class FamilyAccess:
    """Everything the rooms ask about one client's family, as plain values."""

    client_id: str
    self_account_id: object            # the client's own account id, or None
    linked_guardian_ids: tuple         # every guardian link, in link order
    entitled_guardian_ids: tuple       # portal access today (authority, no restriction, minor)
    client_may_consent: bool           # old enough to consent alone
    consents_alone: bool               # care runs under the client's own active consent
    consented_guardian_ids: frozenset  # signed the active guardian consent
    released: tuple                    # ((guardian id, items), ...) of live releases
    custody_policy: str                # 'all' or 'one' guardian signatures
    assent_expected: bool              # the client's assent is asked for
    mailable_ids: frozenset            # people the one email rule lets us mail

    @property
    def consenting_ids(self):
        """Who consents: the client when they consent alone, else the
        entitled guardians."""
        if self.consents_alone:
            return (self.self_account_id,) if self.self_account_id else ()
        return self.entitled_guardian_ids

    @property
    def signers(self):
        """Guardians asked to sign an agreement: those entitled today."""
        return self.entitled_guardian_ids

    def signatures_needed(self, required):
        return len(required) if self.custody_policy == 'all' else 1

    def released_to(self, guardian_id):
        """What the client, consenting alone, lets this guardian see now."""
        for gid, items in self.released:
            if gid == guardian_id:
                return items
        return frozenset()

    def scope_of(self, guardian_id):
        """``FULL_SCOPE`` under the guardian's own active consent, the items
        of live releases naming them where the client consents alone, else
        nothing."""
        if guardian_id in self.consented_guardian_ids:
            return FULL_SCOPE
        return self.released_to(guardian_id) & FULL_SCOPE

    def entitled(self, guardian_id):
        return guardian_id in self.entitled_guardian_ids

    def may_mail(self, person_id):
        return person_id in self.mailable_ids


def add_family_fact(config, name, fn):
    """``config.add_family_fact(name, fn)``: a higher room's fact."""
    def register():
        config.registry.setdefault(FACTS_KEY, {})[name] = fn
    config.action(('minorconsent.family_fact', name), register)


def family_access(client, today=None, registry=None):
    """The client's ``FamilyAccess`` today, built once per transaction."""
    today = today or date.today()
    registry = registry if registry is not None else get_current_registry()
    return per_transaction(client, 'family', (today, id(registry)),
                           lambda: _build(client, today, registry))


def _fact(client, today, registry, name):
    fn = registry.get(FACTS_KEY, {}).get(name) if hasattr(registry, 'get') else None
    return CLOSED[name] if fn is None else fn(client, today)


def _build(client, today, registry):
    clinic = find_clinic(client)
    settings, users = clinic.settings, clinic['users']
    links = list(client['guardians'].values())
    people = [link.guardian_id for link in links]
    if client.self_account_id:
        people.append(client.self_account_id)
    mailable = frozenset(pid for pid in people
                         if pid in users and accepts_email(clinic, users[pid]))
    return FamilyAccess(
        client_id=client.__name__,
        self_account_id=client.self_account_id,
        linked_guardian_ids=tuple(people[:len(links)]),
        entitled_guardian_ids=tuple(link.guardian_id for link in links
                                    if link.grants_portal_access(client, settings, today)),
        client_may_consent=client.may_self_consent(settings, today),
        consents_alone=bool(_fact(client, today, registry, CONSENTS_ALONE)),
        consented_guardian_ids=frozenset(_fact(client, today, registry, CONSENTED)),
        released=tuple(_fact(client, today, registry, RELEASED)),
        custody_policy=getattr(client, 'custody_policy', None) or settings.custody_policy,
        assent_expected=client.age(today) >= settings.assent_age,
        mailable_ids=mailable,
    )


def includeme(config):
    config.add_directive('add_family_fact', add_family_fact)
