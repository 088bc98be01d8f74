"""Publishing a version never moves a document past a guard.

A state map is only for the states the new version removes, and only into
a state no guarded step leads to, that does not activate consent and that
no family member can see: ``map.sent=active`` (a joint-custody consent with
one of two signatures made active), a draft mapped into "published", a
disclosure mapped past its sign-off, a revocation undone -- each is refused
with 400 and the reason next to the choice, and nothing moves.  The console
script refuses a stored migration that would do the same.
"""
import transaction
import tomli_w

from minorconsent.workflow.definition import loads, to_data
from minorconsent.workflow.editor import rename_state
from minorconsent.workflow.engine import start
from minorconsent.workflow.migrate import (Migration, MigrationError, publish_with_migration,
                                           run_batch)
from support import ROLE_EMAILS, csrf_of, sign_in

from test_admin_views import CONSENT, edit_draft
from test_definitions import shipped
from wfsupport import Doc, family_clinic

DISCLOSURE = '/workflows/safety-disclosure/'
FAMILY = {'guardian': frozenset({'sent', 'active', 'declined', 'revoked', 'expired'}),
          'adolescent': frozenset({'sent', 'active', 'expired'})}


def consent_states(c):
    return {a.__name__: a.state for client in c['clients'].values()
            if 'agreements' in client for a in client['agreements'].values()
            if a.kind == 'consent'}


def test_a_kept_state_cannot_be_mapped(app, clinic):
    """The reported attack: ``map.sent=active`` on an unchanged draft."""
    with clinic() as c:
        before = consent_states(c)
    assert 'sent' in before.values()
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = edit_draft(admin, lambda s: s.replace('title = "Declined"', 'title = "Refused"'),
                      base=CONSENT).follow()
    # The page offers no choice for a state the new version keeps.
    assert page.html.find('select', id='map-sent') is None
    res = admin.post(CONSENT + 'publish', {'csrf_token': csrf_of(page), 'map.sent': 'active'},
                     status=400)
    text = ' '.join(res.html.get_text().split())
    assert ('The documents in "sent" stay in "sent": the new version keeps that state, and a '
            'state map is only for the states it removes.') in text
    with clinic() as c:
        assert c['workflows']['consent-to-treatment'].current == 1
        assert consent_states(c) == before


def rename(old, new):
    def change(source):
        data = to_data(loads(source))
        rename_state(data, old, new)
        return tomli_w.dumps(data)
    return change


def test_a_removed_state_goes_only_where_no_guard_and_no_family_is(app, clinic):
    from minorconsent.site.folder import Folder
    with clinic() as c:       # documents in "draft", whatever the seed holds
        client = next(iter(c['clients'].values()))
        client.add(Folder(), 'docs')
        for _ in range(2):
            doc = Doc()
            client['docs'].add(doc)
            start(doc, 'consent-to-treatment')
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = edit_draft(admin, rename('draft', 'writing'), base=CONSENT).follow()
    offered = [o['value'] for o in page.html.find('select', id='map-draft').find_all('option')
               if o['value']]
    # Only the starting state, where a document is without any step.
    assert offered == ['writing']
    token = csrf_of(page)
    for target, words in (
            ('active', '"active" activates consent'),
            ('sent', 'A family member can see documents in "sent"'),
            ('declined', 'A family member can see documents in "declined"'),
            ('superseded', 'may go only into the starting state "writing"')):
        res = admin.post(CONSENT + 'publish', {'csrf_token': token, 'map.draft': target},
                         status=400)
        select = res.html.find('select', id='map-draft')
        reason = select.find_parent('td').get_text(' ', strip=True)
        assert words in ' '.join(reason.split()), (target, reason)
    with clinic() as c:
        assert c['workflows']['consent-to-treatment'].current == 1
    admin.post(CONSENT + 'publish', {'csrf_token': token, 'map.draft': 'writing'}, status=302)
    with clinic() as c:
        record = c['workflows']['consent-to-treatment']
        assert record.current == 2 and (1, 'draft') not in record.population()
        assert all(state != 'draft' for state in consent_states(c).values())


def test_a_disclosure_never_skips_its_sign_off(app, clinic):
    with clinic() as c:
        record = c['workflows']['safety-disclosure']
        assert record.population().get((1, 'awaiting_signoff'))
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = edit_draft(admin, rename('awaiting_signoff', 'waiting'), base=DISCLOSURE).follow()
    res = admin.post(DISCLOSURE + 'publish', {'csrf_token': csrf_of(page),
                                              'map.awaiting_signoff': 'recorded'}, status=400)
    reason = ' '.join(res.html.find('select', id='map-awaiting_signoff')
                      .find_parent('td').get_text(' ', strip=True).split())
    assert '"recorded" is reached only when "client_has_no_supervisor" holds' in reason \
        or 'A family member can see documents in "recorded"' in reason
    with clinic() as c:
        record = c['workflows']['safety-disclosure']
        assert record.current == 1 and record.population().get((1, 'awaiting_signoff'))


def test_the_rules_without_http():
    from minorconsent.workflow.migrate import mapping_problems
    consent = shipped()['consent-to-treatment']
    data = to_data(consent)
    rename_state(data, 'revoked', 'withdrawn')
    new = loads(tomli_w.dumps(data), version=2)
    # Undoing a revocation, activating, publishing: refused with reasons.
    found = mapping_problems(consent, new, {'revoked': 'active', 'sent': 'active'}, FAMILY)
    assert set(found) == {'revoked', 'sent'}
    assert '"active" activates consent' in found['revoked']
    assert 'stay in "sent"' in found['sent']
    assert mapping_problems(consent, new, {'revoked': 'draft'}, FAMILY) == {}
    # Without the rooms' declarations, every state a family role is
    # granted anything in counts as family-visible.
    assert 'A family member' in mapping_problems(consent, new, {'revoked': 'withdrawn'}, None)[
        'revoked']


def test_a_stored_unsafe_migration_is_refused_by_the_batches():
    """A migration started before these rules (or written into the
    database) moves nothing; ``minorconsent-migrate`` says why."""
    clinic, client, people = family_clinic(shipped().values())
    record = clinic['workflows']['consent-to-treatment']
    doc = Doc()
    client['docs'].add(doc)
    start(doc, 'consent-to-treatment')
    doc.state, doc.workflow_version = 'draft', 1
    data = to_data(record.definition())
    rename_state(data, 'draft', 'writing')
    record.publish(tomli_w.dumps(data))
    record.migration = Migration(1, 2, {'draft': 'active'}, 'admin', '', 1)
    try:
        run_batch(record)
    except MigrationError as exc:
        assert '"active" activates consent' in str(exc)
    else:
        raise AssertionError('moved past the signature guard')
    assert doc.state == 'draft' and doc.workflow_version == 1
    assert not record.migration.finished
    transaction.abort()


def test_publish_with_migration_refuses_without_http():
    clinic, client, people = family_clinic(shipped().values())
    record = clinic['workflows']['parent-summary']
    doc = Doc()
    client['docs'].add(doc)
    start(doc, 'parent-summary')
    source = record.versions[1]
    try:
        publish_with_migration(record, source, loads(source, version=2),
                               {'draft': 'published'}, 'admin')
    except MigrationError as exc:
        assert set(exc.problems) == {'draft'}
    else:
        raise AssertionError('published a draft by migration')
    assert record.current == 1 and doc.state == 'draft'
