"""The audit CSV is opened in spreadsheets by privacy officers: a value
that looks like a formula (a typed name, a comment, an address someone
tried to sign in with) must arrive as text, never run."""
import csv
import io

from minorconsent.audit.recorder import note
from support import ROLE_EMAILS, sign_in

FORMULAS = ('=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)',
            '\tcmd', '\r=1')


def test_formula_like_values_are_exported_as_text(app, demo, clinic):
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        for text in FORMULAS:
            note(mateo, 'test.formula', detail=text, actor=text)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    app.registry.audit_recorder.flush()
    rows = [row for row in csv.DictReader(io.StringIO(officer.get('/audit.csv').text))
            if row['action'] == 'test.formula']
    assert sorted(row['detail'] for row in rows) == sorted("'" + text for text in FORMULAS)
    assert all(row['actor'].startswith("'") for row in rows)
    # Ordinary text is left alone.
    assert all(not row['action'].startswith("'") for row in rows)
