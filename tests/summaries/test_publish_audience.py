"""Before publishing, the therapist learns who will read the summary, and
is told in plain words when nobody could; the draft preview shows the
summary as those guardians will see it (issue 16, item 6)."""
from datetime import date

from minorconsent.summaries.audience import summary_readers
from support import ROLE_EMAILS, csrf_of, sign_in

NOTHING_SHARED = 'Nothing has been shared with you yet'


def draft_for(app, client_id, email, text):
    therapist = sign_in(app, email)
    form = therapist.get('/clients/%s/add-summary' % client_id).forms['form']
    form['period'], form['parent_text'] = 'Winter', text
    page = form.submit().follow()
    return therapist, page, page.request.path


def test_no_active_consent_the_therapist_is_warned_and_the_preview_shows_the_summary(
        app, clinic, demo):
    # Ava's consent waits for her parent: her guardian may use the portal,
    # but cannot see summaries until it is active.
    with clinic() as c:
        ava = c['clients'][demo.ava]
        assert demo.user_ids['guardian_other'] in ava.entitled_guardian_ids(c.settings)
        readers = summary_readers(ava)
        assert readers.guardian_ids == ()
        assert 'No consent to treatment is active' in readers.why_nobody
    therapist, page, path = draft_for(app, demo.ava, ROLE_EMAILS['therapist_other'],
                                      'Ava is settling in.')
    warning = page.html.select_one('#nobody-reads')
    assert warning is not None
    words = ' '.join(warning.get_text(' ', strip=True).split())
    assert 'Before you publish: no guardian can see this summary yet.' in words
    assert 'No consent to treatment is active' in words
    # ... and it comes before the Publish button.
    assert page.text.index('nobody-reads') < page.text.index('value="publish"')
    preview = therapist.get(path + 'preview')
    main = preview.html.find('main')
    assert NOTHING_SHARED not in preview.text
    assert 'Ava is settling in.' in main.get_text()
    banner = ' '.join(preview.html.select_one('#preview-nobody').get_text(' ', strip=True)
                      .split())
    assert 'No guardian can read it yet.' in banner
    assert 'No consent to treatment is active' in banner
    # Published anyway: the guardian indeed sees nothing of it.
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'},
                   status=302)
    parent = sign_in(app, ROLE_EMAILS['guardian_other'])
    assert 'Ava is settling in.' not in parent.get('/clients/%s/family' % demo.ava).text


def test_with_an_active_consent_the_page_names_who_will_read_it(app, clinic, demo):
    therapist, page, path = draft_for(app, demo.mateo, ROLE_EMAILS['therapist'],
                                      'Mateo is practising his plan.')
    assert page.html.select_one('#nobody-reads') is None
    with clinic() as c:
        mother = c['users'][demo.user_ids['guardian']].display_name
        father = c['users'][demo.user_ids['guardian_restricted']].display_name
    shared = ' '.join(page.text.split())
    assert 'Once published, it is shared with: %s.' % mother in shared
    assert father not in shared          # restricted by a court order
    preview = therapist.get(path + 'preview')
    assert NOTHING_SHARED not in preview.text
    assert preview.html.select_one('#preview-nobody') is None
    assert 'Mateo is practising his plan.' in preview.html.find('main').get_text()


def test_an_entitled_guardian_without_consent_is_not_offered_as_a_preview(app, clinic, demo):
    """Mateo's consent is withdrawn from under the mother: the preview must
    not show her page ('nothing shared') as what guardians will see."""
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        consent = mateo['agreements'][demo.mateo_consent]
        consent.state = 'revoked'          # as if she withdrew it today
        assert demo.user_ids['guardian'] in mateo.entitled_guardian_ids(c.settings)
    therapist, page, path = draft_for(app, demo.mateo, ROLE_EMAILS['therapist'],
                                      'Mateo is practising his plan.')
    assert 'No consent to treatment is active' in page.html.select_one('#nobody-reads').text
    preview = therapist.get(path + 'preview')
    assert NOTHING_SHARED not in preview.text
    assert preview.html.select_one('#preview-nobody') is not None
    assert 'Mateo is practising his plan.' in preview.html.find('main').get_text()


def test_reasons_for_an_adult_and_for_a_client_with_no_guardian(app, clinic, demo):
    with clinic() as c:
        lucia = c['clients'][demo.lucia]
        for link in list(lucia['guardians'].keys()):
            lucia['guardians'][link].legal_authority = False
        assert 'No guardian may use the family portal' in summary_readers(lucia).why_nobody
        mateo = c['clients'][demo.mateo]
        mateo.date_of_birth = date(date.today().year - 19, 1, 1)
        assert 'The client is an adult' in summary_readers(mateo).why_nobody
