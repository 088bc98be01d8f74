"""Writing one checked caseload row into the clinic, through the app's own rules.

Why the app's rules and not a bulk writer: a guardian link made here must
be exactly the one the staff page makes (``clients.rules.link_guardian``:
staff and client accounts refused, the index kept, the guardianship log
written), and a restriction the file adds must end the guardian's sessions
at once, as when a therapist restricts (``update_guardian_link``).

Idempotent: each value is compared with what is stored and written only
when it differs, so the same file twice changes nothing, and a file
interrupted halfway is finished by running it again.  Nothing is ever
deleted: a guardian link or therapist the file no longer names stays
(therapists are added, never taken away).  Nor does a file undo what
staff decided in the app since: a restriction is never lifted, and a
guardian link or a client's own sign-in that staff ended is not made
again (each is counted, so the report says so).

``dry`` runs the same comparisons and counts without writing: the dry-run
report's added/updated/unchanged counts are those the real run gives.
"""
from collections import Counter
from dataclasses import dataclass, field

from minorconsent.accounts import GUARDIAN, THERAPIST, User
from minorconsent.accounts.setup import issue_setup_link
from minorconsent.clients import Client, link_guardian, update_guardian_link
from minorconsent.clients.own_account import account_for_address, link_own_account
from minorconsent.clients.own_account_views import display_name_of
from minorconsent.clients.revision import bump
from minorconsent.clients.rules import assign_therapists

from .columns import CONTACT_FIELDS, LINK_FIELDS
from .store import find_client, import_label, key_of, mark, remember


#: Counted, never written: what the app decided and a file does not undo.
KEPT_RESTRICTED = 'restrictions kept (lifted only on the client page)'
KEPT_LINK_ENDED = 'guardian links ended in the app, kept ended'
KEPT_OWN_ENDED = 'client sign-ins ended in the app, kept ended'
KEPT_AUTHORITY = 'authority kept (changed on the client page)'
KEPT_CONTACT = 'contact limits kept (changed on the client page)'
#: The page's count of rows it does not write (issue 18 review, finding 1).
EXISTING = 'rows for clients already in the clinic'


@dataclass
class ImportRun:
    """One run's settings and tallies.  ``request`` (optional) lets the
    run mail set-up links; without one no mail is sent."""
    sha256: str
    actor_id: str = 'system'
    dry: bool = False
    create_accounts: bool = False
    request: object = None
    #: Run by a person on the admin's page (not the operator's console):
    #: writes only clients new to the clinic, never an existing one.
    page: bool = False
    counts: Counter = field(default_factory=Counter)
    seen: set = field(default_factory=set)        # client ids handled in this run
    links: set = field(default_factory=set)       # (client id, guardian email) handled
    new_accounts: dict = field(default_factory=dict)   # email -> role (dry runs)
    made: set = field(default_factory=set)        # client ids new in this run
    setup_pending: list = field(default_factory=list)   # accounts to mail a set-up link

    @property
    def label(self):
        return import_label(self.sha256)


def apply_row(clinic, values, run):
    """Bring the clinic in line with one checked row."""
    if run.page and _existing(clinic, values['client_id'], run):
        return
    client = _client(clinic, values, run)
    _own_account(clinic, client, values, run)
    if values['guardian_email']:
        _guardian(clinic, client, values, run)
    elif client is not None:
        _client_contact(client, values, run)


# --- the client ----------------------------------------------------------------

def _existing(clinic, cid, run):
    """On the page, a row of a client the clinic held before this run is
    only counted: the admin, who sees no client record, must not rename
    one, give anyone authority over one, or learn its state from the
    report.  Staff change it on the client page; the operator (who holds
    the database) may update it with the console script."""
    if key_of(cid) in run.made or find_client(clinic, cid, by_app_id=False) is None:
        return False
    run.counts[EXISTING] += 1
    return True


def _client(clinic, values, run):
    cid = values['client_id']
    client = find_client(clinic, cid, by_app_id=not run.page)
    first = key_of(cid) not in run.seen
    run.seen.add(key_of(cid))
    if client is None:
        if first:
            run.counts['clients added'] += 1
            run.made.add(key_of(cid))
        if run.dry:
            _therapists(clinic, values, run)
            return None
        therapist_ids = _therapists(clinic, values, run)
        client = Client(values['client_given_name'], values['client_family_name'],
                        values['date_of_birth'], therapist_ids)
        client.jurisdiction = values['jurisdiction']
        clinic['clients'].add_client(client)
        remember(clinic, client, cid)
        mark(client, run.label, 'created')
        return client
    if not first:
        return client
    if getattr(client, 'external_id', None) is None and not run.dry:
        # Added in the app, named by its own id in the file (an export's
        # row): from now on known by it, as an imported client is.
        remember(clinic, client, cid)
    changed = [name for name, now in (
        ('client_given_name', client.first_name), ('client_family_name', client.last_name),
        ('date_of_birth', client.date_of_birth),
        ('jurisdiction', getattr(client, 'jurisdiction', '') or ''))
        if values[name] != now]
    therapist_ids = _therapists(clinic, values, run)
    added = [tid for tid in therapist_ids if tid not in client.therapist_ids]
    if added or len(therapist_ids) < len(values['therapist_email']):   # (dry: to be made)
        changed.append('therapist_email')
    run.counts['clients updated' if changed else 'clients unchanged'] += 1
    if changed and not run.dry:
        if {'client_given_name', 'client_family_name', 'date_of_birth'} & set(changed):
            bump(client)        # a form open on the client page is now stale
        client.first_name = values['client_given_name']
        client.last_name = values['client_family_name']
        client.date_of_birth = values['date_of_birth']
        client.jurisdiction = values['jurisdiction']
        assign_therapists(clinic, client, tuple(client.therapist_ids) + tuple(added),
                          client.supervisor_id)
        mark(client, run.label, 'changed', ', '.join(changed))
    return client


def _therapists(clinic, values, run):
    """The therapists' account ids, made (with a set-up link) where the
    operator asked for accounts and none exists."""
    ids = []
    for email in values['therapist_email']:
        user = _account(clinic, email, email.split('@')[0], THERAPIST, run)
        if user is not None:
            ids.append(user.__name__)
    return ids


def _account(clinic, email, name, role, run):
    """The account at ``email``, or a new one with ``role`` (None in a dry
    run, which only counts it)."""
    users = clinic['users']
    user = users.find_by_email(email)
    if user is not None:
        if role == THERAPIST and not user.has_role(THERAPIST):
            # Checked, but the account may have changed since (RelStorage,
            # beside the servers): never make a non-therapist a therapist.
            raise ValueError("this address belongs to an account that is not a therapist's")
        return user
    if run.dry:
        if email not in run.new_accounts:
            run.new_accounts[email] = role
            run.counts['%s accounts made' % ('staff' if role == THERAPIST else role)] += 1
        return None
    user = User(email, name, [role])
    users.add_user(user)
    run.counts['%s accounts made' % ('staff' if role == THERAPIST else role)] += 1
    if role == THERAPIST:
        _setup_link(user, run)
    return user


def _setup_link(user, run):
    """A set-up link to mail where the operator asked for accounts, once
    the batch is done (``mail_setup_links``: a row taken back must not
    have mailed one)."""
    if run.create_accounts and run.request is not None and not run.dry:
        run.setup_pending.append(user)


def mail_setup_links(run):
    """Mail the batch's set-up links (content free, like every mail; the
    one email rule decides)."""
    for user in run.setup_pending:
        if issue_setup_link(run.request, user):
            run.counts['set-up links mailed'] += 1
    del run.setup_pending[:]


def _own_account(clinic, client, values, run):
    email = values['client_email']
    if not email or (client is not None and client.self_account_id) \
            or (key_of(values['client_id']), None) in run.links:
        return
    run.links.add((key_of(values['client_id']), None))
    if client is not None:
        uid = clinic['users'].by_email.get(email)
        if uid is not None and uid in getattr(client, 'former_account_ids', ()):
            # Staff ended this sign-in in the app: a file does not undo it.
            run.counts[KEPT_OWN_ENDED] += 1
            return
    if run.dry or client is None:
        run.counts['client sign-ins given'] += 1
        return
    # Named as the therapist's "own sign-in" page names it.
    account, created = account_for_address(clinic, client, email, display_name_of(client))
    link_own_account(clinic, client, account, run.label)
    run.counts['client sign-ins given'] += 1
    mark(client, run.label, 'changed', 'client_email')
    if created:
        _setup_link(account, run)


def _client_contact(client, values, run):
    """A row without a guardian carries the client's own contact
    permissions."""
    wanted = _narrowed(client.contact, _contact(values), run)
    if client.contact.same_as(wanted):
        return
    run.counts['client contact permissions updated'] += 1
    if not run.dry:
        client.contact.update(**wanted)
        bump(client.contact)
        mark(client, run.label, 'changed', 'contact permissions')


# --- the guardian link ------------------------------------------------------------

def _guardian(clinic, client, values, run):
    email = values['guardian_email']
    if (key_of(values['client_id']), email) in run.links:
        return      # the same link twice in the file (the check found them equal)
    run.links.add((key_of(values['client_id']), email))
    users = clinic['users']
    # The account id from the address index: an unchanged link is compared
    # without loading the guardian's account.
    uid = users.by_email.get(email)
    link = None
    if uid is not None and client is not None:
        link = client['guardians'].get(uid)
        if link is None and any(event.guardian_id == uid and event.kind == 'ended'
                                for event in client.guardianship_events()):
            # Staff ended this link in the app: a file does not undo it.
            run.counts[KEPT_LINK_ENDED] += 1
            return
    if link is None:
        run.counts['guardian links added'] += 1
        if run.dry:
            if uid is None:
                _account(clinic, email, '', GUARDIAN, run)
            return
        guardian = users[uid] if uid is not None else None
        new_account = guardian is None
        if new_account:
            guardian = _account(clinic, email, '%s %s' % (
                values['guardian_given_name'], values['guardian_family_name']), GUARDIAN, run)
            guardian.given_name = values['guardian_given_name']
            guardian.family_name = values['guardian_family_name']
        link = link_guardian(clinic, client, guardian, values['relationship'],
                             values['legal_authority'], values['restricted'],
                             actor_id=run.label, language=values['language'] or None)
        link.contact.update(**_contact(values))
        if new_account:
            _setup_link(guardian, run)
        return
    wanted = {name: values[name] for name in LINK_FIELDS}
    if link.restricted and not wanted['restricted']:
        # A court order's restriction is lifted on the client page, by
        # someone who read the new order, never by a file.
        wanted['restricted'] = True
        run.counts[KEPT_RESTRICTED] += 1
    if not link.legal_authority and wanted['legal_authority']:
        # Authority taken away in the app is given back there, not by a file.
        wanted['legal_authority'] = False
        run.counts[KEPT_AUTHORITY] += 1
    contact = _narrowed(link.contact, _contact(values), run)
    same = all(getattr(link, name) == value for name, value in wanted.items()) \
        and link.contact.same_as(contact)
    run.counts['guardian links unchanged' if same else 'guardian links updated'] += 1
    if same or run.dry:
        return
    # The app's own rule: a narrowed link (a new restriction, authority
    # taken away) ends the guardian's sessions in this transaction.
    update_guardian_link(clinic, client, link, run.label, **wanted)
    if not link.contact.same_as(contact):
        link.contact.update(**contact)
        client.record_guardianship(link.guardian_id, run.label, 'changed',
                                   'contact permissions')
    bump(link)


def _narrowed(stored, wanted, run):
    """``wanted`` with every permission ``stored`` denies kept denied: a
    file never widens what staff (or the person) narrowed; counted."""
    kept = {name: False for name, value in wanted.items()
            if value and not getattr(stored, name)}
    if kept:
        run.counts[KEPT_CONTACT] += 1
    return dict(wanted, **kept)


def _contact(values):
    return {field: values[name] for name, field in CONTACT_FIELDS.items()}
