"""Every registered view × every role, against a table of expected outcomes.

A view added to the app without a row here fails ``test_table_covers_every_view``.
Outcomes: 200 (the page), 302 (a redirect; ``login`` means to the sign-in
page), 404 (indistinguishable from a page that does not exist).
"""
import pytest

from support import ROLES, audit_entries, csrf_of, sign_in
from minorconsent.site import ROUTE

A, ADM, T, T2, SUP, G, G2, GR, TEEN, PO = ROLES
SIGNED_IN = ROLES[1:]
GUARDIANS = (G, G2, GR)
#: Dana Pike (stepparent@demo.test), linked to Mateo as a step-parent
#: without legal authority: a guardian account the link grants nothing.
#: Not in ``support.ROLES`` (the fuzzers and baselines use those); here her
#: column is a guardian of another family's, row for row (set below TABLE).
STEP = 'guardian_no_authority'
STEP_EMAIL = 'stepparent@demo.test'
MATRIX_ROLES = ROLES + (STEP,)


def outcome(default, **special):
    """Expected status per role: ``default`` unless named in ``special``."""
    table = {role: default for role in ROLES}
    for role, status in special.items():
        table[role] = status
    return table


def only(status, *roles, anonymous=404):
    table = {role: 404 for role in ROLES}
    table[A] = anonymous
    for role in roles:
        table[role] = status
    return table


LOGIN = 'login'
BAD_LINK = 'bad-link'    # 404 with the invitation page's own explanation

#: (context class, view name, method) -> {role: expected}
TABLE = {
    ('Clinic', '', 'GET'): outcome(302),
    ('Clinic', 'login', 'GET'): outcome(302, anonymous=200),
    ('Clinic', 'logout', 'GET'): outcome(200, anonymous=LOGIN),
    ('Clinic', 'logout', 'POST'): outcome(302),
    ('Clinic', 'password', 'GET'): outcome(200, anonymous=LOGIN),
    ('Clinic', 'electronic-records', 'GET'): outcome(200, anonymous=LOGIN),
    # Everyone the clinic keeps contact records for (guardians, restricted
    # or not, and clients); staff have none: the nonexistent answer.
    ('Clinic', 'contact-preferences', 'GET'): only(200, G, G2, GR, TEEN, anonymous=LOGIN),
    ('Clinic', 'settings', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('Clinic', 'supervision', 'GET'): only(200, SUP, anonymous=LOGIN),
    # The to-do list (worklist room): the admin's has numbers only.
    ('Clinic', 'todo', 'GET'): only(200, ADM, T, T2, SUP, anonymous=LOGIN),
    ('Clinic', 'notice-preferences', 'GET'): only(200, T, T2, SUP, anonymous=LOGIN),
    ('Clinic', 'family', 'GET'): only(200, *GUARDIANS, anonymous=LOGIN),
    # The admin's caseload import (issue 18).
    ('Clinic', 'caseload-import', 'GET'): only(200, ADM, anonymous=LOGIN),
    # The FHIR API's clients (issue 19): the admin's pages.
    ('Clinic', 'api-clients', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('Clinic', 'api-client-add', 'GET'): only(200, ADM, anonymous=LOGIN),
    # The privacy officer approves what the admin registered (two people).
    ('Clinic', 'api-client-approvals', 'GET'): only(200, PO, anonymous=LOGIN),
    # Without /smart-configuration or /token after them, nothing is there.
    ('Clinic', '.well-known', 'GET'): outcome(404),
    ('Clinic', 'auth', 'POST'): outcome(404),
    # The API answers every session alike: no bearer token, 401 (a staff
    # cookie is no token: tests/fhirapi/test_auth_isolation.py).
    ('Clinic', 'fhir', 'GET'): outcome(401),
    ('Users', '', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('Users', 'add', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('User', 'edit', 'GET'): only(200, ADM),
    # The target has a password: nothing is sent, the admin is told so.
    ('User', 'send-setup', 'POST'): only(302, ADM),
    ('Clients', '', 'GET'): only(200, T, T2, anonymous=LOGIN),
    ('Clients', 'add', 'GET'): only(200, T, T2, anonymous=LOGIN),
    ('Clients', 'closed', 'GET'): only(200, T, T2, anonymous=LOGIN),
    ('Client', '', 'GET'): only(200, T, SUP),
    ('Client', 'edit', 'GET'): only(200, T),
    ('Client', 'contact', 'GET'): only(200, T),
    ('Client', 'add-goal', 'GET'): only(200, T),
    ('Client', 'add-note', 'GET'): only(200, T),
    ('Client', 'add-guardian', 'GET'): only(200, T),
    ('Client', 'family', 'GET'): only(200, G),
    ('Client', 'mine', 'GET'): only(200, TEEN),
    # The client's own sign-in: the therapist's to give and end.  Mateo
    # has chosen his password, so there is no set-up link to send again.
    ('Client', 'own-account', 'GET'): only(200, T),
    ('Client', 'close', 'GET'): only(200, T),
    # Mateo's case is open: reopening changes nothing, and says so.
    ('Client', 'reopen', 'POST'): only(302, T),
    ('Client', 'own-account-resend', 'POST'): only(303, T),
    ('Client', 'own-account-end', 'POST'): only(302, T),
    # Reminders (the client page's panel): the therapist's to send and
    # pause.  Without a person named nothing is sent; Mateo's family is
    # not paused, so there is nothing to resume (tests/reminders).
    ('Client', 'remind-now', 'POST'): only(400, T),
    ('Client', 'pause-reminders', 'GET'): only(200, T),
    ('Client', 'resume-reminders', 'POST'): only(400, T),
    ('Goal', 'edit', 'GET'): only(200, T),
    ('Goal', '', 'GET'): only(200, T, SUP),
    # Without naming an entry there is nothing to correct, for anyone.
    ('Goal', 'correct-progress', 'GET'): outcome(404),
    ('GuardianLink', 'edit', 'GET'): only(200, T),
    ('GuardianLink', 'remove', 'POST'): only(302, T),
    ('WorkflowStore', '', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('WorkflowRecord', '', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('WorkflowRecord', 'export', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('WorkflowRecord', 'draft', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('WorkflowRecord', 'import', 'GET'): only(200, ADM, anonymous=LOGIN),
    # Without a draft, publishing sends the admin to the draft editor.
    ('WorkflowRecord', 'publish', 'GET'): only(302, ADM, anonymous=LOGIN),
    ('WorkflowRecord', 'discard', 'POST'): only(302, ADM, anonymous=LOGIN),
    ('Client', 'add-agreement', 'GET'): only(200, T),
    ('Agreement', '', 'GET'): only(200, T, SUP),
    ('Agreement', 'family', 'GET'): only(200, G, TEEN),
    ('Agreement', 'agreement.pdf', 'GET'): only(200, T, SUP),
    # The seeded consent is active: no paper signature is waited for.
    ('Agreement', 'paper-signature', 'GET'): only(400, T, SUP),
    # No signer is named: nothing to download, for anyone.
    ('Agreement', 'paper-scan', 'GET'): outcome(404),
    # The seeded consent is on the newest text: nothing to ask for.
    ('Agreement', 'new-version', 'POST'): only(400, T),
    # The seeded consent has no therapist signer.
    ('Agreement', 'therapist-signature', 'POST'): outcome(404),
    ('AgreementTemplates', 'add-kind', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('AgreementTemplate', 'kind', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('Client', 'add-summary', 'GET'): only(200, T),
    ('Goal', 'progress', 'GET'): only(200, T),
    # The target is Mateo's summary in client review: no guardian sees it.
    ('Summary', '', 'GET'): only(200, T, SUP),
    ('Summary', 'preview', 'GET'): only(200, T, SUP),
    # In client review the edit page explains that only a draft changes.
    ('Summary', 'edit', 'GET'): only(200, T),
    ('Summary', 'review', 'GET'): only(200, TEEN),
    ('Summary', 'step', 'POST'): only(400, T, SUP),
    # Only a withdrawn summary is corrected (the target is in client review);
    # a supervisor reads summaries but writes none.
    ('Summary', 'correct', 'POST'): only(400, T),
    ('Agreement', 'consent.fhir.json', 'GET'): only(200, T, SUP),
    # The seeded consent was signed by the mother and (assent) the teen.
    ('Agreement', 'signed.pdf', 'GET'): only(200, G, TEEN),
    # A POST naming no step is refused with a message, to those who may see it.
    ('Agreement', 'step', 'POST'): only(400, T, SUP),
    # The seeded consent is active: there is nothing to resend.
    ('Agreement', 'invitations', 'POST'): only(400, T),
    # Without a token, everyone learns only that the link is not valid.
    ('Clinic', 'invite', 'GET'): outcome(BAD_LINK),
    ('Clinic', 'reset-password', 'GET'): outcome(BAD_LINK),
    ('Clinic', 'welcome', 'GET'): outcome(BAD_LINK),
    # A change of email address is confirmed from a link mailed to the new
    # address (tests/accounts/test_email_change.py opens real ones).
    ('Clinic', 'confirm-email', 'GET'): outcome(BAD_LINK),
    ('Clinic', 'forgot-password', 'GET'): outcome(200),
    # Without a half sign-in (password accepted, code owed) there is no code step.
    ('Clinic', 'login-code', 'GET'): outcome(LOGIN),
    # Everyone signed in may set up a second factor; anonymous only when
    # held there after their password (a required enrolment).
    ('Clinic', 'two-factor', 'GET'): outcome(200, anonymous=LOGIN),
    # The admin's own password is asked first: a POST with only the CSRF
    # token is refused next to the field (tests/accounts/test_two_factor.py).
    ('User', 'reset-two-factor', 'POST'): only(400, ADM),
    ('AgreementTemplates', '', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('AgreementTemplate', '', 'GET'): only(200, ADM, anonymous=LOGIN),
    ('WorkflowRecord', 'edit', 'GET'): only(200, ADM, anonymous=LOGIN),
    # Without ?id= the state page sends the admin back to the draft.
    ('WorkflowRecord', 'state', 'GET'): only(302, ADM, anonymous=LOGIN),
    ('WorkflowRecord', 'remove-step', 'POST'): only(302, ADM, anonymous=LOGIN),
    # Without ?id= there is no such step: the admin gets the not-found page
    # too (tests/workflow/test_edit_step.py opens and saves a real step).
    ('WorkflowRecord', 'step', 'GET'): only(404, anonymous=LOGIN),
    # The admin's view is of staff and system actions; the privacy officer
    # reads the whole trail and the accounting of disclosures, nothing else.
    ('Clinic', 'audit', 'GET'): only(200, ADM, PO, anonymous=LOGIN),
    ('Clinic', 'audit.csv', 'GET'): only(200, ADM, PO, anonymous=LOGIN),
    ('Clinic', 'disclosure-accounting', 'GET'): only(200, PO, anonymous=LOGIN),
    ('Client', 'sharing', 'GET'): only(200, T, SUP),
    ('Client', 'access', 'GET'): only(200, G),
    # Without a language, the request is refused; anonymous people have none to save.
    ('Clinic', 'language', 'POST'): outcome(400, anonymous=LOGIN),
    # The target summary is in client review: no guardian reads it yet.
    ('Summary', 'family', 'GET'): only(200),
    ('Summary', 'summary.pdf', 'GET'): only(200),
    ('Client', 'add-disclosure', 'GET'): only(200, T),
    ('Client', 'add-release', 'GET'): only(200, T),
    ('Client', 'add-request', 'GET'): only(200, T),
    ('Client', 'insurer-export', 'GET'): only(200, T),
    # The target is the safety notice the mother was given (signed off):
    # she reads its words on her child's page, never this staff page.
    ('Disclosure', '', 'GET'): only(200, T, SUP),
    ('Disclosure', 'step', 'POST'): only(400, T, SUP),
}
# A link without legal authority is no link: the step-parent gets what a
# guardian of another family gets, the nonexistent answer on every client URL.
for _row in TABLE.values():
    _row[STEP] = _row[G2]


def registered_views(app):
    """(context class name, view name, method) for every clinic view."""
    found = set()
    for entry in app.registry.introspector.get_category('views'):
        intr = entry['introspectable']
        if intr['route_name'] != ROUTE or intr['context'] is None:
            continue
        if issubclass(intr['context'], Exception):
            continue   # not-found, forbidden and error pages
        methods = intr['request_methods'] or ('GET',)
        if isinstance(methods, str):
            methods = (methods,)
        for method in methods:
            if method in ('GET', 'POST'):
                found.add((intr['context'].__name__, intr['name'], method))
    return found


def test_table_covers_every_view(app):
    registered = registered_views(app)
    # A view without request_method answers GET and POST; the table lists
    # the GET (POST goes through the same permission check).
    registered_get_or_only = {
        key for key in registered
        if key[2] == 'GET' or (key[0], key[1], 'GET') not in registered}
    missing = registered_get_or_only - set(TABLE)
    stale = set(TABLE) - registered
    assert not missing, 'views missing from the matrix: %s' % sorted(missing)
    assert not stale, 'matrix rows for views that do not exist: %s' % sorted(stale)


def target_path(demo, context):
    mateo = '/clients/%s/' % demo.mateo
    return {
        'Clinic': '/',
        'Users': '/users/',
        'User': '/users/%s/' % demo.user_ids['therapist'],
        'Clients': '/clients/',
        'Client': mateo,
        'Goal': mateo + 'goals/%s/' % demo.mateo_goal,
        'GuardianLink': mateo + 'guardians/%s/' % demo.user_ids['guardian'],
        'Agreement': mateo + 'agreements/%s/' % demo.mateo_consent,
        'Summary': mateo + 'summaries/%s/' % demo.mateo_review_summary,
        'WorkflowStore': '/workflows/',
        'AgreementTemplates': '/agreement-templates/',
        'AgreementTemplate': '/agreement-templates/consent/',
        'WorkflowRecord': '/workflows/parent-summary/',
        'Disclosure': mateo + 'disclosures/%s/' % demo.mateo_notice,
    }[context]


def token(browser, role):
    page = browser.get('/login' if role == A else '/password')
    return csrf_of(page)


CASES = [(key, role) for key in TABLE for role in MATRIX_ROLES]


@pytest.mark.parametrize('key,role', CASES,
                         ids=['%s:%s:%s-%s' % (k[0], k[1] or '@', k[2], r) for k, r in CASES])
def test_matrix(app, demo, browser_as, key, role):
    context, name, method = key
    expected = TABLE[key][role]
    browser = sign_in(app, STEP_EMAIL) if role == STEP else browser_as(role)
    path = target_path(demo, context) + name
    if method == 'POST':
        res = browser.post(path, {'csrf_token': token(browser, role)}, expect_errors=True)
    else:
        res = browser.get(path, expect_errors=True)
    if expected == BAD_LINK:
        assert res.status_int == 404 and 'This link is not valid' in res.text
    elif expected == LOGIN:
        assert res.status_int == 302, res.status
        assert res.location.endswith('/login')
    elif expected == 404:
        assert res.status_int == 404, res.status
        nowhere = browser.get('/clients/doesnotexist/' + name, expect_errors=True)
        assert res.body == nowhere.body
    else:
        assert res.status_int == expected, res.status
    # Whatever the answer, the call is on the audit trail, with who made it.
    actor = 'anonymous' if role == A else demo.stepparent if role == STEP else demo.user_ids[role]
    action = '%s %s.%s' % (method, context, name or 'index')
    assert any(e['action'] == action and e['actor'] == actor
               for e in audit_entries(app)), (action, actor)


def test_every_clinic_view_names_its_permission(app):
    """No default permission is set (a host app's views must not inherit
    ours), so each clinic view must say what it needs."""
    for entry in app.registry.introspector.get_category('views'):
        intr = entry['introspectable']
        if intr['route_name'] == ROUTE and intr['context'] is not None \
                and not issubclass(intr['context'], Exception):
            permissions = [r['value'] for r in entry['related']
                           if r.category_name == 'permissions']
            assert permissions and permissions[0] is not None, intr['callable']
