"""An admin reshapes the summary workflow in the browser: adds a
"supervisor review" state, gives it a permission map and steps, publishes
it, and sees it in the diagram of the new version.  The therapist's next
summary then has to pass through the supervisor before a guardian sees it."""
import pytest
from playwright.sync_api import expect

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]


def add_step(page, step_id, title, from_state, to_state, role, guards=()):
    form = page.locator('form#add_step')
    form.get_by_label('Step id').fill(step_id)
    form.get_by_label('Title').fill(title)
    form.locator('.item-from_states').get_by_label(from_state).check()
    form.get_by_label('To', exact=True).select_option(to_state)
    form.locator('.item-roles').get_by_label(role).check()
    for guard in guards:
        form.locator('.item-guards').get_by_label(guard, exact=True).check()
    form.get_by_role('button', name='Add Step').click()


def test_admin_adds_a_supervisor_review_state_and_publishes(new_tab, ui):
    page = new_tab()
    ui.sign_in(page, ui.ROLE_EMAILS['admin'])
    page.get_by_role('navigation', name='Main').get_by_role('link', name='Workflows').click()
    page.wait_for_url('**/workflows')
    ui.check_page(page, 'workflow list')
    page.get_by_role('link', name='Parent progress summary').click()
    expect(page.locator('svg.workflow-diagram')).to_be_visible()
    ui.check_page(page, 'workflow page')

    page.get_by_role('link', name='Edit a draft').click()
    add_state = page.locator('form#add_state')
    add_state.get_by_label('State id').fill('supervisor_review')
    add_state.get_by_label('Title').fill('Supervisor review')
    add_state.get_by_role('button', name='Add State').click()
    # Said in the list of problems and on the state's card.
    expect(page.get_by_text('State "supervisor_review" cannot be reached').first).to_be_visible()
    ui.check_page(page, 'draft with a problem')

    page.get_by_role('link', name='Change “Supervisor review” and who may do what in it').click()
    for role, perm in (('supervisor', 'view'), ('supervisor', 'edit'), ('therapist', 'view')):
        page.locator('.item-perm_%s input[value="%s"]' % (role, perm)).check()
    ui.check_page(page, 'state form')
    page.get_by_role('button', name='Save').click()

    add_step(page, 'send_to_supervisor', 'Send to supervisor', 'Draft', 'supervisor_review',
             'Therapist')
    # Every way into "published" asks the teen's agreement if they reviewed it.
    add_step(page, 'approve', 'Approve and publish', 'Supervisor review', 'published',
             'Supervisor', guards=('minor agreed if reviewed',))
    # Some clients have no supervisor: their summaries would stay in review.
    expect(page.get_by_text('Only the supervisor can take a step out of "supervisor_review"')
           .first).to_be_visible()
    add_step(page, 'publish_unsupervised', 'Publish (no supervisor)', 'Supervisor review',
             'published', 'Therapist', guards=('minor agreed if reviewed',))
    page.get_by_role('link', name='Change the step Publish (no supervisor)').click()
    page.locator('form#step .item-guards').get_by_label('client has no supervisor').check()
    page.locator('form#step').get_by_role('button', name='Save').click()
    expect(page.get_by_text('Your changes are saved.')).to_be_visible()
    expect(page.get_by_text('Only the supervisor can take a step out')).to_have_count(0)

    # A step is changed in place; an edit that would open a door is refused.
    page.get_by_role('link', name='Change the step Approve and publish').click()
    step = page.locator('form#step')
    expect(step.locator('.item-roles').get_by_label('Supervisor')).to_be_checked()
    step.locator('.item-roles').get_by_label('Guardian').check()
    step.get_by_role('button', name='Save').click()
    expect(page.get_by_role('alert').filter(has_text='Nothing was changed')).to_contain_text(
        'would let a guardian act in "supervisor_review"')
    ui.check_page(page, 'step edit refused')
    step.locator('.item-roles').get_by_label('Guardian').uncheck()
    step.locator('.item-guards').get_by_label('client is minor').check()
    ui.check_page(page, 'step form')
    step.get_by_role('button', name='Save').click()
    expect(page.get_by_text('Your changes are saved.')).to_be_visible()
    expect(page.get_by_text('by supervisor, if client is minor')).to_be_visible()

    # Publishing straight from a draft is no longer allowed: only after the
    # supervisor's approval (or the client's agreement, as shipped).
    page.get_by_role('button', name='Remove the step Publish to guardians').click()

    page.get_by_role('link', name='Review and publish').click()
    expect(page.get_by_text('Added the state "Supervisor review".')).to_be_visible()
    ui.check_page(page, 'publish page')
    page.get_by_role('button', name='Publish version 2').click()
    expect(page.get_by_text('The new version is published.')).to_be_visible()
    expect(page.get_by_role('heading', level=1)).to_contain_text('version 2')
    expect(page.locator('svg.workflow-diagram g.state[data-state="supervisor_review"]')).to_have_count(1)
    matrix = page.locator('table.matrix')
    expect(matrix.get_by_role('row', name='Supervisor review')).to_contain_text('edit, view')
    ui.check_page(page, 'published version')

    # The therapist's next summary passes through the new state.
    therapist = new_tab()
    ui.sign_in(therapist, ui.ROLE_EMAILS['therapist'])
    therapist.goto('/clients/%s/' % ui.demo.mateo)
    therapist.get_by_role('link', name='Write a summary').click()
    therapist.get_by_label('Period').fill('Midwinter')
    therapist.get_by_label('What guardians will read').fill('Mateo keeps using his plan.')
    therapist.get_by_role('button', name='Write Draft').click()
    expect(therapist.get_by_role('button', name='Publish to guardians')).to_have_count(0)
    ui.check_page(therapist, 'summary draft')
    therapist.get_by_role('button', name='Send to supervisor').click()
    expect(therapist.locator('h1 .badge')).to_have_text('Supervisor review')
    summary_url = therapist.url

    mother = new_tab()
    ui.sign_in(mother, ui.ROLE_EMAILS['guardian'])
    mother.goto('/clients/%s/family' % ui.demo.mateo)
    expect(mother.get_by_text('Mateo keeps using his plan.')).to_have_count(0)

    supervisor = new_tab()
    ui.sign_in(supervisor, ui.ROLE_EMAILS['supervisor'])
    supervisor.goto(summary_url)
    supervisor.get_by_role('button', name='Approve and publish').click()
    expect(supervisor.locator('h1 .badge')).to_have_text('Published')
    ui.check_page(supervisor, 'summary approved')

    mother.reload()
    expect(mother.get_by_text('Mateo keeps using his plan.')).to_be_visible()
    ui.check_page(mother, 'guardian reads the approved summary')
