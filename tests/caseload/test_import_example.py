"""The example caseload into the clinic, then the app as the people it names
(issue 18 item 1, "Done when"): each therapist sees exactly their clients
of the file, each guardian exactly the children they hold unrestricted
authority for; a second import changes nothing and says so; a changed file
updates (a new restriction ends the guardian's sessions at once) and never
deletes; one audit entry per import, history on each record."""
import re
import time

import pytest

from minorconsent.accounts import set_password
from minorconsent.caseload import importer
from minorconsent.caseload.importer import Options, run_import
from minorconsent.caseload.applying import KEPT_LINK_ENDED, KEPT_OWN_ENDED, KEPT_RESTRICTED
from minorconsent.caseload.store import find_client, history
from minorconsent.clients import unlink_guardian, update_guardian_link
from minorconsent.clients.own_account import end_own_account

from support import audit_entries, mail_text, mails_since, new_browser, sign_in

PASSWORD = 'imported-password-1'

#: What the example file names: client id -> given name.
CLIENTS = {'C-1001': 'Sofia', 'C-1002': 'Tomas', 'C-1003': 'Amara', 'C-1004': 'Ben',
           'C-1005': 'Lila', 'C-1006': 'Marco'}
THERAPISTS = {'jordan.reyes@demo.test': {'C-1001', 'C-1002', 'C-1004', 'C-1006'},
              'priya.nandakumar@demo.test': {'C-1003', 'C-1005', 'C-1006'}}
#: Guardians and the children they may see (authority, no restriction).
GUARDIANS = {'hannah.marlowe@demo.test': {'C-1001', 'C-1002'},
             'peter.marlowe@demo.test': {'C-1002'},          # restricted from C-1001
             'rosa.quill@demo.test': {'C-1003'},
             'claire.thornbury@demo.test': {'C-1004'},
             'alex.thornbury@demo.test': set(),               # step-parent, no authority
             'june.whitlock@demo.test': {'C-1005'},
             'sam.ingram@demo.test': set()}                   # caseworker, no authority


def give_passwords(app, clinic, emails):
    with clinic() as c:
        for email in emails:
            set_password(c, app.registry.passwords, c['users'].find_by_email(email), PASSWORD)


def app_ids(clinic):
    with clinic() as c:
        return {ext: find_client(c, ext).__name__ for ext in CLIENTS}


def test_the_example_reaches_exactly_the_people_it_names(app, clinic, caseload_import,
                                                         example_csv):
    report = caseload_import(example_csv)
    assert report.written and not report.problems
    assert report.counts['clients added'] == 6
    assert report.counts['guardian links added'] == 9
    assert report.counts['staff accounts made'] == 2
    ids = app_ids(clinic)
    give_passwords(app, clinic, list(THERAPISTS) + list(GUARDIANS))
    for email, mine in THERAPISTS.items():
        browser = sign_in(app, email, PASSWORD)
        listed = browser.get('/clients').text
        for ext, name in CLIENTS.items():
            assert (name in listed) == (ext in mine), (email, ext)
            status = browser.get('/clients/%s' % ids[ext], expect_errors=True).status_int
            assert status == (200 if ext in mine else 404), (email, ext)
    for email, children in GUARDIANS.items():
        browser = sign_in(app, email, PASSWORD)
        family = browser.get('/family').text
        shown = set(re.findall(r'clients/([^/"]+)/family', family))
        assert shown == {ids[ext] for ext in children}, email
        for ext in CLIENTS:
            res = browser.get('/clients/%s/family' % ids[ext], expect_errors=True)
            assert res.status_int == (200 if ext in children else 404), (email, ext)
    # The teen of the file has their own sign-in.
    with clinic() as c:
        amara = find_client(c, 'C-1003')
        assert c['users'][amara.self_account_id].email == 'amara.quill@demo.test'


def test_a_second_import_changes_nothing_and_says_so(clinic, caseload_import, example_csv):
    caseload_import(example_csv)
    with clinic() as c:
        serial = c['clients']._p_serial, find_client(c, 'C-1001')._p_serial
    again = caseload_import(example_csv)
    assert again.counts['clients unchanged'] == 6
    assert again.counts['guardian links unchanged'] == 9
    assert not again.changed
    assert 'Nothing changed' in again.verdict()
    with clinic() as c:
        assert (c['clients']._p_serial, find_client(c, 'C-1001')._p_serial) == serial


def test_a_changed_file_updates_restricts_and_never_deletes(app, clinic, caseload_import,
                                                          example_csv, tmp_path):
    caseload_import(example_csv)
    ids = app_ids(clinic)
    give_passwords(app, clinic, ['hannah.marlowe@demo.test'])
    hannah = sign_in(app, 'hannah.marlowe@demo.test', PASSWORD)
    assert hannah.get('/clients/%s/family' % ids['C-1002']).status_int == 200
    lines = example_csv.read_text().splitlines()
    changed = [lines[0]]
    for line in lines[1:]:
        if line.startswith('C-1002,') and 'hannah' in line:
            line = line.replace(',mother,yes,no,', ',mother,yes,yes,')   # a court order now
        if line.startswith('C-1005,') and 'june' in line:
            line = line.replace(',yes,yes,yes,no', ',no,yes,yes,no')     # no email now
        if line.startswith('C-1004,') and 'alex' in line:
            continue                                                     # left out of the file
        changed.append(line)
    changed.append('C-1007,Nia,Glenmore,2015-02-02,US-CA,jordan.reyes@demo.test,,'
                   'Iris,Glenmore,iris.glenmore@demo.test,Mother,Yes,No,Spanish,yes,no,yes,no')
    path = tmp_path / 'changed.csv'
    path.write_text('\n'.join(changed) + '\n')
    report = caseload_import(path)
    assert report.counts['clients added'] == 1
    assert report.counts['guardian links updated'] == 2
    assert report.counts['guardian links added'] == 1
    assert report.counts['contact limits kept (changed on the client page)'] == 0
    # The restriction ended Hannah's session at once, as a therapist's would.
    res = hannah.get('/family')
    assert res.status_int == 302 and '/login' in res.location
    with clinic() as c:
        tomas = find_client(c, 'C-1002')
        gid = c['users'].find_by_email('hannah.marlowe@demo.test').__name__
        assert tomas['guardians'][gid].restricted
        kinds = [(e.kind, e.actor_id) for e in tomas.guardianship_events()
                 if e.guardian_id == gid]
        assert kinds[-1][0] == 'restricted'
        assert kinds[-1][1] == 'caseload import %s' % report.sha256[:12]
        ben = find_client(c, 'C-1004')
        alex = c['users'].find_by_email('alex.thornbury@demo.test')
        assert alex.__name__ in ben['guardians']             # never deleted
        nia = find_client(c, 'C-1007')
        iris = c['users'].find_by_email('iris.glenmore@demo.test')
        assert nia['guardians'][iris.__name__].relationship == 'mother'
        assert iris.language == 'es'
        assert history(nia)[0].kind == 'created'
        assert history(nia)[0].import_id == 'caseload import %s' % report.sha256[:12]


def test_each_import_is_one_audit_entry_with_ids_and_counts_only(app, caseload_import,
                                                                 example_csv):
    before = len(audit_entries(app))
    report = caseload_import(example_csv, actor_id='someone')
    entries = [e for e in audit_entries(app)[before:] if e['action'] == 'caseload.import']
    assert len(entries) == 1
    entry = entries[0]
    assert entry['actor'] == 'someone'
    assert report.sha256 in entry['detail']
    # A person on the page: the page's counts (the admin reads the entry).
    assert 'new clients: 6' in entry['detail'] and 'unchanged' not in entry['detail']
    text = example_csv.read_text()
    for cell in ('Sofia', 'Marlowe', 'hannah.marlowe', 'C-1001', '2014-03-12'):
        assert cell in text and cell not in str(entry)


def test_a_dry_run_writes_nothing_and_counts_what_would_change(app, clinic, caseload_import,
                                                               example_csv):
    before = len(audit_entries(app))
    report = caseload_import(example_csv, dry_run=True)
    assert not report.written
    assert report.counts['clients added'] == 6
    assert report.counts['guardian links added'] == 9
    assert report.counts['staff accounts made'] == 2
    assert report.counts['guardian accounts made'] == 7
    with clinic() as c:
        assert find_client(c, 'C-1001') is None
        assert c['users'].find_by_email('jordan.reyes@demo.test') is None
    assert not [e for e in audit_entries(app)[before:] if e['action'] == 'caseload.import']


def test_an_interrupted_import_is_finished_by_running_it_again(clinic, example_csv,
                                                               caseload_import, monkeypatch):
    """Batches are real commits: cut after the first (the first commit is
    the run's caseload.import.started entry), the second run adds the rest
    and finds the first batch's records unchanged."""
    class Cut(Exception):
        pass
    monkeypatch.setattr(importer, 'BATCH', 3)
    with pytest.raises(Cut):
        with clinic() as c:
            tm = c._p_jar.transaction_manager
            calls = []

            def commit():
                calls.append(1)
                if len(calls) > 2:
                    raise Cut()
                tm.commit()
                tm.begin()
            run_import(c, str(example_csv), Options(create_accounts=True), commit=commit)
    with clinic() as c:
        assert find_client(c, 'C-1001') is not None      # the first batch stayed
        assert find_client(c, 'C-1006') is None
    report = caseload_import(example_csv)
    assert 0 < report.counts['clients added'] < 6
    assert report.counts['clients added'] + report.counts['clients unchanged'] == 6
    assert report.counts['guardian links added'] + report.counts['guardian links unchanged'] == 9
    assert not caseload_import(example_csv).changed


def test_new_people_are_mailed_a_content_free_set_up_link(app, example_csv):
    """Through the page (a request, so mail): --create-accounts mails the
    new therapists and guardians who accept email a link naming only the
    portal."""
    since = time.time_ns()
    browser = sign_in(app, 'admin@demo.test')
    form = browser.get('/caseload-import').forms['form']
    form['upload'] = ('example.csv', example_csv.read_bytes())
    form['create_accounts'] = True
    browser = form.submit('check_file').forms['confirm'].submit()
    mails = mails_since(since)
    to = {m['To'] for m in mails}
    assert 'jordan.reyes@demo.test' in to and 'hannah.marlowe@demo.test' in to
    assert not any('peter.marlowe' in address for address in to)    # "no email" on a record
    for message in mails:
        text = mail_text(message)
        for word in ('Sofia', 'Marlowe', 'Tomas', 'therap', 'C-10'):
            assert word not in text
    assert new_browser(app).get('/login').status_int == 200


def test_the_client_page_shows_staff_where_the_record_came_from(app, clinic, caseload_import,
                                                               example_csv):
    report = caseload_import(example_csv)
    ids = app_ids(clinic)
    give_passwords(app, clinic, ['jordan.reyes@demo.test', 'hannah.marlowe@demo.test'])
    page = sign_in(app, 'jordan.reyes@demo.test', PASSWORD).get('/clients/%s' % ids['C-1001'])
    section = page.html.find(id='caseload').get_text(' ', strip=True)
    assert 'C-1001' in section
    assert 'created by caseload import %s' % report.sha256[:12] in section
    family = sign_in(app, 'hannah.marlowe@demo.test', PASSWORD).get(
        '/clients/%s/family' % ids['C-1001'])
    assert 'C-1001' not in family.text and 'caseload import' not in family.text


def test_a_file_never_undoes_what_staff_decided_in_the_app(clinic, caseload_import,
                                                         example_csv):
    """Re-running an old file after staff restricted a guardian, ended a
    link and ended the teen's own sign-in: none is undone, each is counted."""
    caseload_import(example_csv)
    with clinic() as c:
        users = c['users']
        tomas = find_client(c, 'C-1002')
        peter = users.find_by_email('peter.marlowe@demo.test').__name__
        update_guardian_link(c, tomas, tomas['guardians'][peter], 'staff', restricted=True)
        lila = find_client(c, 'C-1005')
        unlink_guardian(c, lila, users.find_by_email('june.whitlock@demo.test').__name__)
        end_own_account(c, find_client(c, 'C-1003'), 'staff')
    report = caseload_import(example_csv)
    assert not report.changed, report.lines()
    assert report.counts[KEPT_RESTRICTED] == 1
    assert report.counts[KEPT_LINK_ENDED] == 1
    assert report.counts[KEPT_OWN_ENDED] == 1
    with clinic() as c:
        users = c['users']
        assert find_client(c, 'C-1002')['guardians'][peter].restricted
        june = users.find_by_email('june.whitlock@demo.test').__name__
        assert june not in find_client(c, 'C-1005')['guardians']
        assert find_client(c, 'C-1003').self_account_id is None


def test_the_teen_s_own_sign_in_is_named_as_the_app_names_it(clinic, caseload_import,
                                                             example_csv):
    caseload_import(example_csv)
    with clinic() as c:
        amara = find_client(c, 'C-1003')
        account = c['users'][amara.self_account_id]
        assert account.display_name == 'Amara Quill'
        assert account.client_id == amara.__name__ and account.has_role('adolescent')
