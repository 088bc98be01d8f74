"""Checking every row of a caseload file before anything is written.

Why all rows first: a file with one bad row must write nothing (unless the
operator asks for the valid rows only), so the import reads the file once
to check it and once more to write.  The check reads the clinic (accounts
by address, the clients the file's ids already name) but never changes it.

What it keeps between rows is one small entry per client id, guardian
address and therapist address of the file, so rows that disagree with each
other ("rows 7 and 9 give the same guardian two relationships to one
child") are found without holding the rows themselves.

Every problem is ``(row, column, reason)``; the reasons speak of the file's
own cells, never of a stored client record: the operator who imports may
be the clinic admin, who sees no client record (README, Roles).
"""
from datetime import date

from minorconsent.accounts import ADOLESCENT, GUARDIAN, STAFF_ROLES, THERAPIST
from minorconsent.clients import age_on
from minorconsent.clients.own_account import NOT_AVAILABLE, may_become_own_account
from minorconsent.clients.retention import erased_ids

from .columns import CLIENT_COLUMNS, CONTACT_FIELDS, LINK_FIELDS, guardian_names, parse_row
from .store import find_client, key_of

#: An address another account changed away from (issue 18 review, finding 3).
LEFT = "this address was another account's; update the file"
#: Client columns that must agree across the rows of one client.
SHARED = tuple(name for name in CLIENT_COLUMNS if name != 'client_id')
#: Link columns that must agree across the rows of one guardian and child.
LINK_COLUMNS = LINK_FIELDS + ('language',) + tuple(CONTACT_FIELDS)


class RowChecker:
    """Checks rows one at a time (``check``), then the file as a whole
    (``finish``).  ``create_accounts``: unknown therapists will be made,
    so an unknown address is not a problem."""

    def __init__(self, clinic, create_accounts=False, today=None, page=False):
        self.clinic = clinic
        self.users = clinic['users']
        self.settings = clinic.settings
        self.create_accounts = create_accounts
        # The admin's page: rows of clients the clinic holds are not
        # written, so nothing of a stored client is checked (or told).
        self.page = page
        self.today = today or date.today()
        self.known_jurisdictions = known_jurisdictions(self.settings)
        # Ids of erased clients (retention): a file must not make them again.
        self.erased = erased_ids(clinic)
        self.clients = {}       # client id -> (row, shared values)
        self.links = {}         # (client id, guardian email) -> (row, link values)
        self.guardians = {}     # guardian email -> first row
        self.own = {}           # client email -> (row, client id)
        self.therapists = {}    # therapist email -> first row
        self.account_answers = {}   # email -> reason or None (asked once per address)
        # Every row of a client, and of a guardian link, by key: when two
        # rows of a key disagree, every row of it is left out (keeping the
        # first would pick one of two contradicting rows at random).
        self.rows_of = {}       # client id or (client id, email) -> [rows]
        self.conflicts = set()  # keys whose rows disagree
        self.flagged = set()    # rows already named by a conflict

    def check(self, number, cells):
        """``(values, problems)`` of one row; ``problems`` are ``(column,
        reason)`` pairs."""
        values, problems = parse_row(cells)
        if problems:
            return values, problems
        problems.extend(self._client(values))
        problems.extend(self._guardian(values))
        if not problems:
            problems.extend(self._across(number, values))
        return values, problems

    # --- one row -------------------------------------------------------------

    def _client(self, values):
        cid = values['client_id']
        erased = self.erased
        if erased and (cid in erased or key_of(cid) in erased) \
                and find_client(self.clinic, cid, by_app_id=not self.page) is None:
            yield 'client_id', ("this client's record was erased at the end of retention; "
                                'take the row out of the file')
        born = values['date_of_birth']
        if born > self.today:
            yield 'date_of_birth', '%s is in the future' % born.isoformat()
        else:
            age = age_on(born, self.today)
            if age >= self.settings.age_of_majority:
                yield 'date_of_birth', ('the client is %d, already of age (%d in this clinic): '
                                        'the app is for minor clients'
                                        % (age, self.settings.age_of_majority))
        code = values['jurisdiction']
        if code and code not in self.known_jurisdictions:
            yield 'jurisdiction', ('%s is not a jurisdiction the clinic knows (%s)'
                                   % (code, ', '.join(sorted(self.known_jurisdictions))))
        for email in values['therapist_email']:
            reason = self._therapist_reason(email)
            if reason:
                yield 'therapist_email', '%s: %s' % (email, reason)
        own = values['client_email']
        if own:
            reason = self._own_reason(values, own)
            if reason:
                yield 'client_email', reason

    def _left(self, email):
        """A reason when ``email`` is an address another account changed
        away from (``Users.former_owner``): the file still names a person
        by an address they left, and an account made (or found) under it
        would be someone else, free of the old account's restrictions."""
        owner = self.users.former_owner(email)
        if owner is not None and owner != self.users.by_email.get(email):
            return LEFT
        return None

    def _therapist_reason(self, email):
        key = ('therapist', email)
        if key not in self.account_answers:
            user = self.users.find_by_email(email)
            if self._left(email):
                reason = LEFT
            elif user is None:
                reason = None if self.create_accounts else (
                    'no therapist with this address (ask for --create-accounts, or add '
                    'the account first)')
            elif not user.has_role(THERAPIST):
                reason = "this address belongs to an account that is not a therapist's"
            elif not user.active:
                reason = 'this therapist\'s account is disabled'
            else:
                reason = None
            self.account_answers[key] = reason
        return self.account_answers[key]

    def _own_reason(self, values, email):
        if email in values['therapist_email'] or email == values['guardian_email']:
            return 'the client\'s own address cannot also be a therapist\'s or guardian\'s'
        if age_on(values['date_of_birth'], self.today) < self.settings.own_account_age:
            return ('the client is under %d, the age from which the clinic offers a client '
                    'their own sign-in (clinic settings)' % self.settings.own_account_age)
        if self._left(email):
            return LEFT
        account = self.users.find_by_email(email)
        client = find_client(self.clinic, values['client_id'], by_app_id=not self.page)
        if client is not None and self.page:
            return None         # not written: counted as a client already in the clinic
        if client is not None and client.self_account_id and (
                account is None or account.__name__ != client.self_account_id):
            return NOT_AVAILABLE
        if account is None:
            return None
        if client is None:
            fits = not account.is_staff and set(account.roles) <= {ADOLESCENT} \
                and account.client_id is None \
                and getattr(account, 'former_client_id', None) is None
        else:
            fits = may_become_own_account(account, client)
        return None if fits else NOT_AVAILABLE

    def _guardian(self, values):
        email = values['guardian_email']
        if not email:
            return
        if email in values['therapist_email']:
            yield 'guardian_email', 'the same address is the client\'s therapist'
            return
        key = ('guardian', email)
        if key not in self.account_answers:
            self.account_answers[key] = self._guardian_reason(email)
        if self.account_answers[key]:
            yield 'guardian_email', self.account_answers[key]
            return
        reason = self._names_reason(email, values)
        if reason:
            yield 'guardian_given_name', reason

    def _names_reason(self, email, values):
        """An existing account under other names than the row's: the file
        may name a new person at an old address; the import never links
        the account's holder on a guess (the names are not said: the row
        is the file's, the account the clinic's)."""
        uid = self.users.by_email.get(email)
        if uid is None:
            return None
        key = ('names', email)
        if key not in self.account_answers:
            self.account_answers[key] = _same_names(guardian_names(self.users[uid]))
        if self.account_answers[key] != _same_names(
                (values['guardian_given_name'], values['guardian_family_name'])):
            return ('this address is an account\'s under other names than this row\'s; '
                    'update the file (or the account)')
        return None

    def _guardian_reason(self, email):
        """Why this address cannot be a guardian, or None.  An account that
        holds the guardian role alone is answered from the role index,
        without loading it (a re-run of 50,000 rows asks 50,000 times)."""
        if self._left(email):
            return LEFT
        uid = self.users.by_email.get(email)
        if uid is None:
            return None
        by_role = self.users.by_role
        if uid in by_role.get(GUARDIAN, ()) and not any(
                uid in by_role.get(role, ()) for role in STAFF_ROLES + (ADOLESCENT,)):
            user = None
        else:
            user = self.users[uid]
        if user is not None and user.is_staff:
            return 'this address belongs to a staff account'
        if user is not None and (user.has_role(ADOLESCENT) or user.client_id):
            return "this address belongs to a client's own account"
        return None

    # --- across rows ---------------------------------------------------------

    def _across(self, number, values):
        problems = []
        cid = key_of(values['client_id'])
        shared = tuple(values[name] for name in SHARED)
        seen = self.clients.get(cid)
        self.rows_of.setdefault(cid, []).append(number)
        if seen is None:
            self.clients[cid] = (number, shared)
        elif seen[1] != shared:
            self.conflicts.add(cid)
            self.flagged.add(number)
            column = next(name for name, a, b in zip(SHARED, seen[1], shared) if a != b)
            problems.append((column, 'rows %d and %d give client %s two different %s'
                             % (seen[0], number, values['client_id'], column)))
        own = values['client_email']
        if own:
            first = self.own.setdefault(own, (number, cid))
            if first[1] != cid:
                problems.append(('client_email', 'rows %d and %d give two clients the same own '
                                 'address' % (first[0], number)))
        for email in values['therapist_email']:
            self.therapists.setdefault(email, number)
        email = values['guardian_email']
        if email:
            self.guardians.setdefault(email, number)
            link = tuple(values[name] for name in LINK_COLUMNS)
            seen = self.links.setdefault((cid, email), (number, link))
            self.rows_of.setdefault((cid, email), []).append(number)
            if seen[1] != link:
                self.conflicts.add((cid, email))
                self.flagged.add(number)
                column = next(name for name, a, b in zip(LINK_COLUMNS, seen[1], link) if a != b)
                what = 'two relationships' if column == 'relationship' else \
                    'two different %s' % column
                problems.append((column, 'rows %d and %d give the same guardian %s to one child'
                                 % (seen[0], number, what)))
        return problems

    def finish(self):
        """Problems only the whole file shows: an address that is a guardian
        or a client's own in one row and a therapist's or a client's own in
        another.
        ``[(row, column, reason)]``."""
        problems = []
        for key in sorted(self.conflicts, key=str):
            what = 'this client' if isinstance(key, str) else 'this guardian and child'
            for row in self.rows_of.get(key, ()):
                if row not in self.flagged:
                    problems.append((row, 'client_id' if isinstance(key, str) else
                                     'guardian_email', 'other rows of %s disagree with this '
                                     'one: every row of it is left out' % what))
        for email, row in self.guardians.items():
            if email in self.therapists:
                problems.append((row, 'guardian_email', 'this address is a therapist\'s in '
                                 'row %d' % self.therapists[email]))
            elif email in self.own:
                problems.append((row, 'guardian_email', "this address is a client's own in "
                                 'row %d' % self.own[email][0]))
        for email, (row, _cid) in self.own.items():
            if email in self.therapists:
                problems.append((row, 'client_email', "this address is a therapist's in "
                                 'row %d' % self.therapists[email]))
        return problems


def _same_names(names):
    """Names as compared: case and spacing do not count."""
    return tuple(' '.join((name or '').split()).casefold() for name in names)


def known_jurisdictions(settings):
    """The clinic's own jurisdiction and those its settings' tables name."""
    codes = {settings.jurisdiction}
    codes.update(settings.consent_age_table())
    codes.update(settings.retention_table or {})
    return codes
