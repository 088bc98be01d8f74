"""A field's error is read with its label (screen readers hear it on
focus), in words: colander's messages carry ``${val}``/``${min}``
placeholders that must be filled in, as in the visible message."""
from support import ROLE_EMAILS, sign_in


def test_the_label_reads_the_error_with_its_values_filled_in(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    form['idle_timeout_minutes'] = '500'
    res = form.submit('save', status=400)
    label = res.html.find('label', attrs={'for': form['idle_timeout_minutes'].id})
    hidden = label.find('span', class_='visually-hidden').get_text()
    assert '500' in hidden and '120' in hidden, hidden
    assert '${' not in hidden
    visible = res.html.find(id='error-' + form['idle_timeout_minutes'].id).get_text()
    assert visible.strip() in hidden
