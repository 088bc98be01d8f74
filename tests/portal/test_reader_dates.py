"""Family pages write dates on the clinic's clock and in the reader's
language, and keep the text's fingerprint and version behind "Technical
details" (issue 16, item 6: families saw ISO dates, UTC and 'Fingerprint
(SHA-256)' up front)."""
import re

from minorconsent.site.dates import reader_date, reader_datetime
from support import ROLE_EMAILS, sign_in


def test_signature_times_are_the_clinics_and_the_readers(app, clinic, demo):
    with clinic() as c:
        c.settings.time_zone = 'America/Los_Angeles'
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        mine = agreement.signatures[demo.user_ids['guardian']]
        english = reader_datetime(c.settings, 'en', mine.time)
        spanish = reader_datetime(c.settings, 'es', mine.time)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    path = '/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent)
    page = mother.get(path)
    signatures = page.html.find('section', attrs={'aria-labelledby': 'sig-h'}).text
    assert english in signatures and ('PST' in english or 'PDT' in english)
    assert 'UTC' not in signatures and not re.search(r'\d{4}-\d{2}-\d{2}', signatures)
    # The fingerprint and version sit in a closed "details", not up front.
    details = page.html.find('details', class_='technical')
    assert 'SHA-256' in details.text and 'Version of the text' in details.text
    assert 'SHA-256' not in page.html.find('main').text.replace(details.text, '')
    mother.post('/language', {'language': 'es',
                              'csrf_token': page.html.find('input', attrs={'name': 'csrf_token'})['value']})
    assert spanish in mother.get(path).text


def test_a_summarys_day_and_a_notice_day_are_written_out(app, clinic, demo):
    with clinic() as c:
        summary = [s for s in c['clients'][demo.mateo]['summaries'].values()
                   if s.state == 'published'][0]
        shared = [e.time for e in summary.history.steps() if e.to_state == 'published'][-1]
        day = reader_date(c.settings, 'en', shared)
    page = sign_in(app, ROLE_EMAILS['guardian']).get('/clients/%s/family' % demo.mateo)
    assert 'shared %s' % day in ' '.join(page.text.split())
    main = page.html.find('main').text
    assert not re.search(r'\d{4}-\d{2}-\d{2}', main), 'an ISO date on the family page'
