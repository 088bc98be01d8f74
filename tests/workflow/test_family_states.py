"""Which states a family role may see or act in is declared by the code of
the room that owns the content type (``config.declare_family_states``), not
by a definition's permission map.

An admin who adds ``permissions.guardian = ["view-published"]`` under
``[states.draft]`` of the parent-summary definition is refused, with the
state and the role named, wherever a definition is checked: the draft as a
file, the state form of the editor, an import, and publishing.
"""
import tomli_w

from minorconsent.workflow import workflow_requirements
from minorconsent.workflow.definition import parse, to_data
from minorconsent.workflow.validate import problems
from support import ROLE_EMAILS, csrf_of, sign_in

from test_admin_views import BASE, edit_draft
from test_definitions import shipped
from test_edit_step import tick
from wfsupport import GUARDS

#: The validator's sentence for a guardian grant in the summary's draft.
DRAFT_TO_GUARDIAN = ('State "draft" gives the guardian "view-published", but the app lets a '
                     'guardian see or act on a parent progress summary only in "published"')


def summary_with(state, role, perms):
    data = to_data(shipped()['parent-summary'])
    data['states'][state]['permissions'][role] = list(perms)
    return data


def test_the_rooms_declare_the_family_states_of_every_content_type(app):
    from minorconsent.workflow import declared_family_states
    declared = {ct: declared_family_states(ct, app.registry)
                for ct in ('consent', 'confidentiality', 'summary', 'release', 'disclosure')}
    assert declared['summary'] == {'guardian': {'published'},
                                   'adolescent': {'minor_review', 'published'}}
    # An expired consent stays readable (issue 17: the lapsed period and its grace).
    assert declared['consent']['guardian'] == {'sent', 'active', 'declined', 'revoked',
                                               'expired'}
    assert declared['consent']['adolescent'] == {'sent', 'active', 'expired'}
    # A guardian reads what they declined (the confidentiality agreement's decline step).
    assert declared['confidentiality']['guardian'] == {'proposed', 'active', 'declined',
                                                       'expired'}
    assert declared['disclosure'] == {'guardian': {'recorded'}, 'adolescent': set()}
    # The shipped definitions stay within them.
    required = workflow_requirements(app.registry)
    for workflow in shipped().values():
        assert problems(workflow, GUARDS, required) == [], workflow.id


def test_a_family_grant_outside_the_declared_states_is_named(app):
    required = workflow_requirements(app.registry)
    for state, role in (('draft', 'guardian'), ('minor_review', 'guardian'),
                        ('withdrawn', 'guardian'), ('draft', 'adolescent'),
                        ('withdrawn', 'adolescent')):
        found = problems(parse(summary_with(state, role, ['view-published'])), GUARDS,
                         required)
        mine = [p for p in found if p.state == state and p.field == 'perm_' + role]
        assert len(mine) == 1, (state, role, found)
        assert mine[0].startswith('State "%s" gives the %s "view-published"' % (state, role))
    # A disclosure is never the client's to read.
    data = to_data(shipped()['safety-disclosure'])
    data['states']['recorded']['permissions']['adolescent'] = ['view-published']
    assert ('State "recorded" gives the adolescent "view-published", but the app lets an '
            'adolescent see or act on a disclosure of information (safety, court, insurer, '
            'release) in no state') in ' '.join(problems(parse(data), GUARDS, required))
    # Narrowing is fine: the guardian reads nothing at all.
    data = summary_with('published', 'guardian', [])
    assert problems(parse(data), GUARDS, required) == []


def test_the_draft_as_a_file_and_an_import_are_refused(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])

    def grant_in_draft(source):
        return source.replace('[states.draft]\n', '[states.draft]\n'
                              'permissions.guardian = ["view-published"]\n', 1)
    res = edit_draft(admin, grant_in_draft, 400)
    assert DRAFT_TO_GUARDIAN in res.html.get_text()
    form = admin.get(BASE + 'import').forms['form']
    source = tomli_w.dumps(summary_with('withdrawn', 'guardian', ['view-published']))
    form['upload'] = ('summary.toml', source.encode('utf-8'))
    res = form.submit(status=400)
    assert 'State "withdrawn" gives the guardian "view-published"' in res.html.get_text()
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_the_state_form_refuses_the_grant_next_to_the_field(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'state?id=draft')
    form = page.forms['state']
    tick(page, form, 'perm_guardian', {'view-published'})
    res = form.submit(status=400)
    field = res.html.select_one('.item-perm_guardian .invalid-feedback')
    assert field is not None and DRAFT_TO_GUARDIAN in field.get_text(' ', strip=True)
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_publishing_a_planted_draft_is_refused(app, clinic):
    """A draft that reached the database some other way (an older app, a
    restore) is still checked when it is published."""
    with clinic() as c:
        c['workflows']['parent-summary'].draft = tomli_w.dumps(
            summary_with('minor_review', 'guardian', ['view-published']))
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'publish')
    assert 'State "minor_review" gives the guardian "view-published"' in page.html.get_text()
    res = admin.post(BASE + 'publish', {'csrf_token': csrf_of(page)}, status=400)
    assert 'State "minor_review" gives the guardian' in res.html.get_text()
    with clinic() as c:
        assert c['workflows']['parent-summary'].current == 1
