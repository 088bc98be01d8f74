"""Agreement rules without HTTP: templates, who signs, signatures, activation."""
import dataclasses

import pytest

from minorconsent.agreements import SigningError, act, esign, sign, start_agreement
from minorconsent.agreements.model import text_hash
from minorconsent.accounts import User
from minorconsent.clients import link_guardian
from minorconsent.workflow.engine import Actor, WorkflowError


def principals(user):
    return ('system.Everyone', 'system.Authenticated', 'user:' + user.__name__) + \
        tuple('role:' + r for r in user.roles)


def actor(user):
    return Actor(user.__name__, principals(user))


@pytest.fixture
def family(clinic, demo, app):
    """(open clinic, registry, demo ids) for a test run in one transaction."""
    def run(body):
        with clinic() as c:
            users = c['users']
            people = {role: users[uid] for role, uid in demo.user_ids.items()}
            body(c, app.registry, people, c['clients'][demo.mateo], c['clients'][demo.lucia])
    return run


def do_sign(c, registry, agreement, user, **kw):
    values = dict(typed_name=user.display_name, consented_to_electronic=True,
                  intent_to_sign=True, shown_sha256=agreement.text_sha256,
                  ip='192.0.2.7', user_agent='test-agent')
    values.update(kw)
    if not esign.has_agreed(user):
        esign.agree(user)               # the disclosure about electronic documents
    return sign(c, registry, agreement, user, principals(user), **values)


def test_templates_are_versioned_and_hashed(family):
    def body(c, registry, people, mateo, lucia):
        template = c['agreement-templates']['consent']
        first = template.current
        assert first.sha256 == text_hash(first.text)
        assert 'risk of serious harm' in first.text and 'diagnosis and medications' in first.text
        second = template.add_version(first.text + '\nAn added line.', people['admin'].__name__)
        assert template.current is second and second.number == first.number + 1
        assert template.versions[first.number] == first
        with pytest.raises(dataclasses.FrozenInstanceError):
            first.text = 'changed'
    family(body)


def test_defaults_exclude_restricted_and_non_authority_guardians(family):
    def body(c, registry, people, mateo, lucia):
        agreement = start_agreement(c, mateo, 'consent', people['therapist'].__name__)
        assert agreement.required_guardians == (people['guardian'].__name__,)
        assert agreement.assent_required          # Mateo is 15, assent from 12
        assert agreement.state == 'draft' and agreement.workflow_version == 1
        young = start_agreement(c, lucia, 'consent', people['therapist'].__name__)
        assert not young.assent_required          # Lucia is 9
        with pytest.raises(ValueError, match='legal authority and no restriction'):
            start_agreement(c, mateo, 'consent', people['therapist'].__name__,
                            required_guardians=[people['guardian_restricted'].__name__])
    family(body)


def test_signing_checks_every_condition_and_activates_when_complete(family):
    def body(c, registry, people, mateo, lucia):
        mother, therapist = people['guardian'], people['therapist']
        agreement = start_agreement(c, lucia, 'consent', therapist.__name__)
        with pytest.raises(SigningError, match='not waiting for your signature'):
            do_sign(c, registry, agreement, mother)          # still a draft
        act(agreement, registry, 'send', actor(therapist), event='sent')
        for kw, message in ((dict(shown_sha256='0' * 64), 'text changed'),
                            (dict(consented_to_electronic=False), 'sign electronically'),
                            (dict(intent_to_sign=False), 'intend to sign'),
                            (dict(typed_name=' '), 'full name')):
            with pytest.raises(SigningError, match=message):
                do_sign(c, registry, agreement, mother, **kw)
        with pytest.raises(SigningError):
            do_sign(c, registry, agreement, people['guardian_restricted'])
        with pytest.raises(SigningError):
            do_sign(c, registry, agreement, people['guardian_other'])
        first = do_sign(c, registry, agreement, mother)
        again = do_sign(c, registry, agreement, mother)      # a double submit
        assert again is first and len(agreement.signatures) == 1
        assert agreement.state == 'active'
        assert (first.ip, first.user_agent, first.text_sha256) == (
            '192.0.2.7', 'test-agent', agreement.text_sha256)
        assert first.authority == 'Legal authority to consent (mother)'
        kinds = [e.kind for e in agreement.event_list()]
        assert kinds == ['started', 'sent', 'signed', 'activated']
        assert agreement.history.latest().actor == 'system'
    family(body)


def test_all_must_sign_under_joint_custody_and_one_is_enough_otherwise(family):
    def body(c, registry, people, mateo, lucia):
        dad = User('second.parent@demo.test', 'Second Parent', ['guardian'])
        c['users'].add_user(dad)
        link_guardian(c, lucia, dad, 'father', True)
        therapist, mother = people['therapist'], people['guardian']
        joint = start_agreement(c, lucia, 'consent', therapist.__name__)
        assert set(joint.required_guardians) == {mother.__name__, dad.__name__}
        act(joint, registry, 'send', actor(therapist))
        do_sign(c, registry, joint, mother)
        assert joint.state == 'sent'                      # waiting for the father
        do_sign(c, registry, joint, dad)
        assert joint.state == 'active'
        lucia.custody_policy = 'one'
        single = start_agreement(c, lucia, 'consent', therapist.__name__)
        assert single.signatures_needed == 1
        act(single, registry, 'send', actor(therapist))
        do_sign(c, registry, single, dad)
        assert single.state == 'active'
    family(body)


def test_confidentiality_waits_for_the_minors_assent(family):
    def body(c, registry, people, mateo, lucia):
        therapist, mother, teen = people['therapist'], people['guardian'], people['adolescent']
        agreement = start_agreement(c, mateo, 'confidentiality', therapist.__name__)
        act(agreement, registry, 'propose', actor(therapist))
        do_sign(c, registry, agreement, mother)
        assert agreement.state == 'proposed'
        assent = do_sign(c, registry, agreement, teen)
        assert assent.role == 'minor' and assent.authority == "The client's assent"
        assert agreement.state == 'active'
    family(body)


def test_guardian_revokes_with_a_comment(family):
    def body(c, registry, people, mateo, lucia):
        therapist, mother = people['therapist'], people['guardian']
        agreement = start_agreement(c, lucia, 'consent', therapist.__name__)
        act(agreement, registry, 'send', actor(therapist))
        do_sign(c, registry, agreement, mother)
        with pytest.raises(WorkflowError, match='needs a comment'):
            act(agreement, registry, 'revoke', actor(mother), event='revoked')
        act(agreement, registry, 'revoke', actor(mother), 'We moved away.', event='revoked')
        assert agreement.state == 'revoked'
        assert agreement.event_list()[-1].kind == 'revoked'
    family(body)


def test_minor_consents_alone_from_the_jurisdictions_age(family):
    def body(c, registry, people, mateo, lucia):
        therapist, teen = people['therapist'], people['adolescent']
        with pytest.raises(ValueError, match='cannot yet consent'):
            start_agreement(c, mateo, 'consent', therapist.__name__, minor_consents=True)
        c.settings.self_consent_age = 12           # e.g. California
        agreement = start_agreement(c, mateo, 'consent', therapist.__name__,
                                    minor_consents=True)
        assert agreement.required_guardians == () and not agreement.assent_required
        act(agreement, registry, 'send', actor(therapist))
        # The guardians have no part in it at all.
        with pytest.raises(SigningError):
            do_sign(c, registry, agreement, people['guardian'])
        signature = do_sign(c, registry, agreement, teen)
        assert signature.authority == 'The client, consenting on their own'
        assert agreement.state == 'active'
    family(body)


def test_a_new_version_supersedes_and_the_old_one_cannot_be_signed(family):
    def body(c, registry, people, mateo, lucia):
        therapist, mother = people['therapist'], people['guardian']
        old = [a for a in lucia['agreements'].values() if a.kind == 'consent'][0]
        assert old.state == 'active'
        pending = start_agreement(c, lucia, 'consent', therapist.__name__)
        act(pending, registry, 'send', actor(therapist))
        newer = start_agreement(c, lucia, 'consent', therapist.__name__)
        act(newer, registry, 'send', actor(therapist))
        with pytest.raises(SigningError, match='newer version'):
            do_sign(c, registry, pending, mother)
        do_sign(c, registry, newer, mother)
        assert newer.state == 'active' and old.state == 'superseded'
        assert old.event_list()[-1].kind == 'superseded'
    family(body)
