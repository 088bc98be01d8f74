"""minorconsent-init: the clinic and its first admin."""
import gc

from ZODB.FileStorage import FileStorage

from minorconsent.scripts import init
from minorconsent.site import Clinic

from scripthelpers import PASSWORDS, last_transaction, open_db, run
from scripthelpers import site  # noqa: F401  (fixtures)

EMAIL = 'boss@clinic.test'
PASSWORD = 'correct-horse-9'


def test_creates_the_clinic_and_an_admin_whose_password_verifies(site):
    code, out, _ = run(init, site.ini, '--email', EMAIL, '--name', 'Pat Boss',
                       '--password', PASSWORD)
    assert code == 0
    assert EMAIL in out
    with open_db(site) as (root, clinic):
        assert isinstance(clinic, Clinic)
        for folder in ('users', 'clients'):
            assert folder in clinic
        users = clinic['users']
        assert len(users) == 1
        admin = users.find_by_email(EMAIL)
        assert admin is not None
        assert admin.roles == ('admin',)
        assert admin.display_name == 'Pat Boss'
        assert admin.__name__ in users.ids_with_role('admin')
        assert PASSWORDS.verify(admin.password_hash, PASSWORD)
        assert not PASSWORDS.verify(admin.password_hash, PASSWORD + 'x')


def test_email_is_matched_case_insensitively(site):
    run(init, site.ini, '--email', EMAIL, '--password', PASSWORD)
    with open_db(site) as (root, clinic):
        assert clinic['users'].find_by_email(EMAIL.upper()) is not None


def test_clinic_name_option_sets_the_clinic_name(site):
    code, _, _ = run(init, site.ini, '--email', EMAIL, '--password', PASSWORD,
                     '--clinic-name', 'Harbour Kids Counselling')
    assert code == 0
    with open_db(site) as (root, clinic):
        assert clinic.settings.name == 'Harbour Kids Counselling'


def test_second_run_with_the_same_email_changes_nothing(site):
    assert run(init, site.ini, '--email', EMAIL, '--password', PASSWORD)[0] == 0
    with open_db(site) as (root, clinic):
        admin = clinic['users'].find_by_email(EMAIL)
        before = (admin.__name__, admin.password_hash, admin.display_name,
                  admin.roles, len(clinic['users']))
    tid_before = last_transaction(site)

    code, out, _ = run(init, site.ini, '--email', EMAIL.upper(),
                       '--name', 'Someone Else', '--password', 'another-pass-77')
    assert code == 0
    assert 'already exists' in out
    assert last_transaction(site) == tid_before, 'the second run wrote to the database'
    with open_db(site) as (root, clinic):
        admin = clinic['users'].find_by_email(EMAIL)
        after = (admin.__name__, admin.password_hash, admin.display_name,
                 admin.roles, len(clinic['users']))
        assert after == before
        assert PASSWORDS.verify(admin.password_hash, PASSWORD)
        assert not PASSWORDS.verify(admin.password_hash, 'another-pass-77')


def test_a_different_email_adds_a_second_admin(site):
    run(init, site.ini, '--email', EMAIL, '--password', PASSWORD)
    code, _, _ = run(init, site.ini, '--email', 'second@clinic.test',
                     '--password', PASSWORD)
    assert code == 0
    with open_db(site) as (root, clinic):
        assert len(clinic['users']) == 2
        assert len(clinic['users'].ids_with_role('admin')) == 2


def test_weak_password_exits_2_and_creates_nothing(site):
    code, out, err = run(init, site.ini, '--email', EMAIL, '--password', 'short-9')
    assert code == 2
    assert 'password' in err.lower()
    assert 'Created' not in out
    # Nothing was created: no database at all, or one without this admin.
    if (site.dir / 'Data.fs').exists():
        with open_db(site) as (root, clinic):
            assert clinic is None or clinic['users'].find_by_email(EMAIL) is None


def test_weak_password_on_an_existing_clinic_adds_nobody(site):
    run(init, site.ini, '--email', EMAIL, '--password', PASSWORD)
    tid_before = last_transaction(site)
    code, _, _ = run(init, site.ini, '--email', 'new@clinic.test',
                     '--password', '123456789')      # 9 characters
    assert code == 2
    assert last_transaction(site) == tid_before
    with open_db(site) as (root, clinic):
        assert clinic['users'].find_by_email('new@clinic.test') is None
        assert len(clinic['users']) == 1


def test_main_releases_the_storage_so_it_can_run_again_in_process(site):
    """``main()`` must close the ZODB database its app opened.

    ``clinic_transaction`` (scripts/common.py) closes the bootstrap
    environment but never the ``DB`` that pyramid_zodbconn opened on the
    FileStorage, so Data.fs stays locked until the garbage collector happens
    to free the app.  A second in-process ``main()`` (a wrapper calling init
    then seed, or this test) fails with ``LockError``.  The garbage collector
    is paused so the outcome does not depend on when it last ran.
    """
    gc.collect()
    gc.disable()
    try:
        assert init.main([site.ini, '--email', EMAIL, '--password', PASSWORD]) == 0
        # The storage must be free again once main() has returned ...
        FileStorage(site.data_fs, blob_dir=str(site.dir / 'blobs')).close()
        # ... and a second run in the same process must work.
        assert init.main([site.ini, '--email', EMAIL, '--password', PASSWORD]) == 0
    finally:
        gc.enable()
        gc.collect()


def test_a_new_clinic_is_told_its_demo_name_and_contacts_are_left(site):
    """Found by the first-week browser test: a clinic made without these
    options showed families the demo clinic's name and phone number."""

    code, out, _ = run(init, site.ini, '--email', EMAIL, '--password', PASSWORD)
    assert code == 0 and 'still shows the demo clinic' in out
    assert 'name, phone number, contact address' in out


def test_init_sets_the_clinics_own_name_and_contacts(site):

    code, out, _ = run(init, site.ini, '--email', EMAIL, '--password', PASSWORD,
                       '--clinic-name', 'Harbor Youth Counseling', '--phone', '555-0199',
                       '--contact-email', 'front@harbor.demo.test')
    assert code == 0 and 'demo clinic' not in out
    with open_db(site) as (root, clinic):
        assert (clinic.settings.name, clinic.settings.contact_phone,
                clinic.settings.contact_email) == ('Harbor Youth Counseling', '555-0199',
                                                   'front@harbor.demo.test')
        assert clinic.settings.placeholders_left() == []


def test_a_bad_phone_is_refused_and_nothing_is_made(site):

    code, _, err = run(init, site.ini, '--email', EMAIL, '--password', PASSWORD,
                       '--phone', 'call me maybe')
    assert code == 2 and err.startswith('phone: ')
    with open_db(site) as (root, clinic):
        assert clinic is None or clinic['users'].find_by_email(EMAIL) is None
