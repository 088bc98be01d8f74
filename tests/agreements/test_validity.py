"""An agreement's period (issue 17 item 3, agreements/validity.py): from
its text's own validity or the clinic's, written when it activates and
never changed after; shown on the staff page, in the PDF and in the FHIR
Consent; the admin's text form sets it with field errors for bad input;
and stored definitions get the expiry step (evolve 0031)."""
import io
import os
import tomllib
from datetime import date, timedelta

import pypdf
import tomli_w
from fhir.resources.R4B.consent import Consent

import minorconsent
from minorconsent.agreements import esign, sign, start_agreement
from minorconsent.agreements.evolve import agreement_expiry, with_expiry
from minorconsent.agreements.fhir import consent_resource
from minorconsent.agreements.validity import (add_months, expires_on, renewal_due_on,
                                              set_validity, valid_until)
from minorconsent.security.policy import principals_for
from minorconsent.workflow import workflow_guards, workflow_requirements
from minorconsent.workflow.definition import loads
from minorconsent.workflow.engine import Actor, fire
from minorconsent.workflow.validate import problems
from support import ROLE_EMAILS, sign_in

TODAY = date.today()


def signed_consent(c, registry, demo):
    """A new consent for Mateo, signed by every guardian asked: it
    activates through the real signing path (and its subscriber)."""
    mateo = c['clients'][demo.mateo]
    for old in mateo['agreements'].values():
        if old.kind == 'consent' and old.state in ('sent', 'proposed'):
            old.state = 'draft'          # nothing else waiting in the way
    agreement = start_agreement(c, mateo, 'consent', demo.user_ids['therapist'],
                                assent_required=False)
    therapist = c['users'][demo.user_ids['therapist']]
    fire(agreement, 'send', Actor(therapist.__name__, principals_for(therapist)),
         workflow_guards(registry), registry=registry, announce=False)
    for gid in agreement.required_guardians:
        user = c['users'][gid]
        if not esign.has_agreed(user):
            esign.agree(user)
        sign(c, registry, agreement, user, principals_for(user), typed_name=user.display_name,
             consented_to_electronic=True, intent_to_sign=True,
             shown_sha256=agreement.text_sha256)
    assert agreement.state == 'active'
    return agreement


def test_the_months_are_the_texts_own_else_the_clinics_and_never_move(app, clinic, demo):
    with clinic() as c:
        c.settings.agreement_validity_months = 12
        template = c['agreement-templates']['consent']
        set_validity(template, None, 'admin')
        by_default = signed_consent(c, app.registry, demo)
        assert by_default.valid_from == TODAY
        assert by_default.valid_until == add_months(TODAY, 12) - timedelta(days=1)
        set_validity(template, 6, 'admin')
        own = signed_consent(c, app.registry, demo)
        assert own.valid_until == add_months(TODAY, 6) - timedelta(days=1)
        # A later change of the setting or the text moves nothing signed.
        c.settings.agreement_validity_months = 24
        set_validity(template, 0, 'admin')
        assert by_default.valid_until == add_months(TODAY, 12) - timedelta(days=1)
        assert own.valid_until == add_months(TODAY, 6) - timedelta(days=1)
        no_end = signed_consent(c, app.registry, demo)
        assert no_end.valid_from == TODAY and no_end.valid_until is None
        assert expires_on(no_end) is None and renewal_due_on(no_end, c.settings) is None


def test_the_period_is_inclusive_and_months_end_at_a_months_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_an_agreement_from_before_periods_has_no_end(app, clinic, demo):
    with clinic() as c:
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        del agreement.valid_from, agreement.valid_until      # the class defaults
        assert valid_until(agreement) is None and expires_on(agreement) is None


def test_the_renewal_never_falls_in_the_first_half_of_a_short_period(app, clinic, demo):
    with clinic() as c:
        c.settings.renewal_notice_days = 180
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        agreement.valid_from, agreement.valid_until = date(2027, 1, 1), date(2027, 1, 31)
        assert renewal_due_on(agreement, c.settings) == date(2027, 1, 16)


def test_the_fhir_consent_has_the_period_and_is_inactive_once_expired(app, clinic, demo):
    with clinic() as c:
        agreement = signed_consent(c, app.registry, demo)
        resource = consent_resource(agreement, c, app.registry)
        Consent.model_validate(resource)
        period = resource['provision']['period']
        assert period['start'].startswith(TODAY.isoformat()) or period['start'] <= \
            TODAY.isoformat() + 'T23:59:59Z'
        assert period['end'] == agreement.valid_until.isoformat()
        assert resource['status'] == 'active'
        fire(agreement, 'expire', Actor.system(), workflow_guards(app.registry),
             comment='the period of the agreement ended', registry=app.registry,
             announce=False)
        expired = consent_resource(agreement, c, app.registry)
        Consent.model_validate(expired)
        assert expired['status'] == 'inactive'
        assert expired['provision']['period']['end'] == agreement.valid_until.isoformat()


def pdf_text(data):
    return ' '.join(''.join(p.extract_text() for p in
                            pypdf.PdfReader(io.BytesIO(data)).pages).split())


def test_the_staff_page_shows_the_period(app, clinic, demo):
    with clinic() as c:
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        agreement.valid_from, agreement.valid_until = date(2026, 7, 1), date(2027, 6, 30)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)
    assert 'In force from 2026-07-01 until 2027-06-30.' in therapist.get(path).text
    assert 'In force from 2026-07-01 until 2027-06-30.' in therapist.get(
        '/clients/%s/' % demo.mateo).text


def test_the_signed_pdf_and_the_certificate_show_the_period(app, clinic, demo):
    with clinic() as c:
        c.settings.agreement_validity_months = 12
        agreement = signed_consent(c, app.registry, demo)
        until = agreement.valid_until.isoformat()
        with agreement.pdf.open('r') as f:
            stored = pdf_text(f.read())
    words = 'In force from %s until %s (inclusive).' % (TODAY.isoformat(), until)
    assert words in stored.split('Certificate', 1)[0]
    assert words in stored.split('Certificate', 1)[1]


def test_the_admin_sets_a_texts_validity_and_bad_input_changes_nothing(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get('/agreement-templates/consent')
    form = page.forms['form']
    form['validity_months'] = '500'
    res = form.submit(status=400)
    assert 'At most 120 months.' in res.text
    with clinic() as c:
        template = c['agreement-templates']['consent']
        assert template.validity_months is None
        versions = len(template.versions)
    form = admin.get('/agreement-templates/consent').forms['form']
    form['validity_months'] = 'six'
    assert 'is not a number' in form.submit(status=400).text
    with clinic() as c:
        assert c['agreement-templates']['consent'].validity_months is None
    form = admin.get('/agreement-templates/consent').forms['form']
    form['validity_months'] = '6'
    form.submit().follow()
    with clinic() as c:
        template = c['agreement-templates']['consent']
        assert template.validity_months == 6 and len(template.versions) == versions
    form = admin.get('/agreement-templates/consent').forms['form']
    assert form['validity_months'].value == '6'
    form['validity_months'] = ''
    form.submit().follow()
    with clinic() as c:
        assert c['agreement-templates']['consent'].validity_months is None


def old_confidentiality():
    """The shipped confidentiality definition as it was before periods:
    no ``expired`` state, no ``expire`` step."""
    shipped = os.path.join(os.path.dirname(minorconsent.__file__), 'workflows',
                           'confidentiality-agreement.toml')
    with open(shipped, 'rb') as f:
        data = tomllib.load(f)
    del data['states']['expired']
    data['transitions'] = [t for t in data['transitions'] if t['id'] != 'expire']
    return tomli_w.dumps(data)


def test_a_stored_definition_gets_the_expiry_step(app, clinic):
    old = old_confidentiality()
    assert 'expire' not in old
    corrected = loads(with_expiry(old))
    assert corrected.transition('expire').to_state == 'expired'
    assert 'system' in corrected.transition('expire').roles
    assert corrected.state('expired').granted('guardian') == ('view-published',)
    assert problems(corrected, workflow_guards(app.registry)) == []
    with clinic() as c:
        record = c['workflows']['confidentiality-agreement']
        record.versions[record.current] = old
        record._v_parsed = None
        before = record.current
        agreement_expiry(c, app.registry)
        assert record.current == before + 1
        assert record.definition().transition('expire').from_states == ('active',)
        # Run again: nothing more to do.
        agreement_expiry(c, app.registry)
        assert record.current == before + 1
        consent = c['workflows']['consent-to-treatment']
        assert consent.definition().state('expired').granted('guardian')


def test_the_validator_refuses_a_definition_without_the_expire_step(app, clinic):
    with clinic() as c:
        source = c['workflows']['confidentiality-agreement'].versions[
            c['workflows']['confidentiality-agreement'].current]
    stripped = source.split('[[transitions]]\nid = "expire"')[0]
    found = problems(loads(stripped), workflow_guards(app.registry),
                     workflow_requirements(app.registry))
    assert any('expire' in p for p in found), found
