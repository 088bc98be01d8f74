"""The promise, as a property: whatever the private fields contain, none
of it reaches a guardian: not a page, not a PDF, not an email.

Each example plants generated secrets (with markup, quotes and accents) in
every private field: session notes, clinical goal wording, diagnosis and
diagnosis codes, medications, contact instructions, restriction notes,
unpublished, in-review and withdrawn summaries, the teen's review comment,
disclosures and third-party requests, every workflow-history comment
(withdrawals, sign-offs, ...), and another family's child's name.  Then it
makes the app send the guardian every kind of email a guardian can receive
(a summary's notification, an invitation to sign, a password reset: the
notices of a decline or revocation go to the therapist, not to guardians),
crawls everything the guardian can reach (PDFs read as text, and the links
from those emails), and reads every email sent to the guardian.

Before the crawl, an admin publishes one random edit of a workflow that
the app's check accepts (``tests/workflow_edits.py``: family and staff
grants in any state, states and steps added, changed, renamed or removed,
documents moved to the new version through the publish page's function):
the promise must hold for any definition the validator accepts, so a
family grant the validator let through, a migration into a state a family
can see, or a parent view that trusts the permission map would show up
here as a planted secret on a guardian's page.
"""
import dataclasses
import html
import re
import os
import time

from hypothesis import HealthCheck, event, given, seed, settings, strategies as st
from ZODB.DemoStorage import DemoStorage

from support import (ROLE_EMAILS, clinic_of, csrf_of, mail_text, mails_since, multi_database,
                     new_browser, radio, sign_in)
from test_parent_view_promise import crawl, every_family_client_url, readable
from workflow_edits import describe, edits, publish_edit

SECRET = st.builds(lambda core: 'ZQ' + core,
                   st.text(alphabet='abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
                                    '<>&"\'éñ ', min_size=8, max_size=24)
                   .filter(lambda s: len(s.strip()) >= 8))


def plant(clinic, demo, secrets):
    """Write one secret into each private field; return them all."""
    it = iter(secrets)
    planted = []

    def put(obj, attr):
        value = next(it)
        setattr(obj, attr, value)
        planted.append(value)
    for cid in (demo.mateo, demo.lucia, demo.ava):
        client = clinic['clients'][cid]
        put(client, 'diagnosis')
        put(client.contact, 'instructions')
        for goal in client['goals'].values():
            put(goal, 'clinical_text')
        for note in client['notes'].values():
            put(note, 'text')
        for link in client['guardians'].values():
            put(link, 'restriction_note')
            put(link.contact, 'instructions')
        for summary in client.get('summaries', {}).values() if 'summaries' in client else ():
            if summary.state != 'published':
                put(summary, 'parent_text')
            put(summary, 'review_comment')
        client.medications = (next(it),)
        planted.append(client.medications[0])
        mother = demo.user_ids['guardian']
        for disclosure in client['disclosures'].values() if 'disclosures' in client else ():
            # The one thing a guardian may read of a disclosure: the words
            # told to *them*, once signed off.
            if not (disclosure.guardian_id == mother and disclosure.state == 'recorded'):
                put(disclosure, 'text')
            put(disclosure, 'justification')
            if disclosure.recipient_kind != 'guardian':
                put(disclosure, 'recipient_name')
        for request in client['requests'].values() if 'requests' in client else ():
            put(request, 'requester')
            put(request, 'asked_for')
            put(request, 'note')
        client.diagnosis_codes = (next(it),)
        planted.append(client.diagnosis_codes[0])
        # Workflow histories are append-only through their API; the test
        # rewrites every entry's comment in place (one secret per object).
        for name in ('agreements', 'summaries', 'disclosures'):
            for obj in client[name].values() if name in client else ():
                comment = next(it)
                planted.append(comment)
                entries = obj.history._entries
                for key, entry in list(entries.items()):
                    entries[key] = dataclasses.replace(entry, comment=comment)
    put(clinic['clients'][demo.ava], 'first_name')       # another family's child
    put(clinic['clients'][demo.ava], 'last_name')
    return planted


def mails_to(address, since):
    return [mail_text(m) for m in mails_since(since) if address in m['To']]


def send_the_guardian_every_email(app, demo):
    """Make the app mail the guardian each kind of message a guardian can
    receive: a new summary's notification, an invitation to sign, and a
    password-reset link (asked for from a signed-out browser)."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-summary' % demo.mateo).forms['form']
    form['period'], form['parent_text'] = 'Spring', 'Good steps this spring.'
    page = form.submit().follow()
    therapist.post(page.request.path + 'step', {'csrf_token': csrf_of(page),
                                                'step': 'publish'})
    form = therapist.get('/clients/%s/add-agreement' % demo.lucia).forms['form']
    form[radio(form)] = 'consent'
    page = form.submit().follow()
    therapist.post(page.request.path + 'step', {'csrf_token': csrf_of(page), 'step': 'send'})
    form = new_browser(app).get('/forgot-password').forms['form']
    form['email'] = ROLE_EMAILS['guardian']
    assert form.submit().status_int == 302


def links_in(mails):
    """The paths of this site's links in ``mails`` (invitation, reset)."""
    return sorted({path for text in mails
                   for path in re.findall(r'http://localhost(/[^\s]*)', text)})


#: 200 in CI (the issue's floor); ``MINORCONSENT_LEAK_EXAMPLES=20`` for a
#: quick local run.  About 2 s an example on the development machine (it
#: renders every PDF a guardian can download), so the examples are split
#: into shards with their own seeds, which pytest-xdist runs side by side.
EXAMPLES = int(os.environ.get('MINORCONSENT_LEAK_EXAMPLES', '200'))
SHARDS = 4


def no_private_text_ever_reaches_a_guardian(base_app, secrets, edit):
    app, (base, audit_base), demo = base_app
    db, databases = multi_database(DemoStorage(base=base, close_base_on_close=False),
                                   DemoStorage(base=audit_base, close_base_on_close=False))
    saved = app.registry._zodb_databases
    app.registry._zodb_databases = databases
    try:
        with clinic_of(db, app.registry) as clinic:
            planted = plant(clinic, demo, secrets)
        since = time.time_ns()
        send_the_guardian_every_email(app, demo)
        mails = mails_to(ROLE_EMAILS['guardian'], since)
        subjects = [text.split('\n', 1)[0] for text in mails]
        for kind in ('Something new for you', 'A document to review', 'Reset your password'):
            assert sum(subject.startswith(kind) for subject in subjects) == 1, subjects
        assert len(mails) == 3, subjects
        # The admin publishes a random accepted edit; documents move to it.
        with clinic_of(db, app.registry) as clinic:
            done = publish_edit(clinic, app.registry, edit, demo.user_ids['admin'])
            event(describe(done))
            shows_published = 'view-published' in clinic['workflows']['parent-summary'] \
                .definition().state('published').granted('guardian')
        # The links in those emails, opened signed out as the mail's reader
        # would (the reset link is spent only by choosing a password).
        stranger = new_browser(app)
        pages = {path: stranger.get(path, expect_errors=True) for path in links_in(mails)}
        assert len(pages) == 3         # sign-in, invitation, reset
        guardian = sign_in(app, ROLE_EMAILS['guardian'])
        pages.update(crawl(guardian))
        for path in every_family_client_url(demo):
            pages[path] = guardian.get(path, expect_errors=True)
        texts = [readable(res) for res in pages.values()] + mails
        if shows_published:    # unless the edit took the guardian's reading away
            assert any('Good steps this spring.' in t for t in texts)   # the crawl saw the news
        for secret in planted:
            for shown in (secret, html.escape(secret), html.escape(secret, quote=False)):
                for text in texts:
                    assert shown not in text, secret
    finally:
        app.registry._zodb_databases = saved
        for each in databases.values():
            each.close()


def _shard(number):
    test = seed(7919 * (number + 1))(
        settings(max_examples=max(1, EXAMPLES // SHARDS), deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow,
                                        HealthCheck.function_scoped_fixture])(
            given(secrets=st.lists(SECRET, min_size=120, max_size=120, unique=True),
                  edit=edits())(
                no_private_text_ever_reaches_a_guardian)))
    test.__name__ = 'test_no_private_text_ever_reaches_a_guardian_%d' % number
    return test


for _number in range(SHARDS):
    globals()['test_no_private_text_ever_reaches_a_guardian_%d' % _number] = _shard(_number)
