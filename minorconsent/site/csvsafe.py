"""CSV cells that a spreadsheet will not run as formulas.

A value starting with = + - @ (or a tab or carriage return) is a formula
to Excel and LibreOffice; any exported free text (a name, a medication, an
audit detail) is prefixed with an apostrophe, which spreadsheets display
but do not evaluate.
"""

def cell(value):
    text = str(value)
    if text[:1] in ('=', '+', '-', '@', '\t', '\r'):
        return "'" + text
    return text
