"""A summary as a PDF a guardian can keep: built from the parent view only
(the child's first name, one ``SummaryView``, the clinic's contact
details), so it can hold nothing the page does not show."""
from minorconsent.agreements.documentpdf import DocumentPDF


def render(child_name, summary, contact, t=lambda text, mapping=None: text, on=str):
    """``t`` translates the labels (the guardian's language) and ``on``
    writes a date for them (``site.dates``); what the therapist wrote
    stays as written."""
    pdf = DocumentPDF(t('Progress summary'))     # no names in metadata
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font('DejaVu', 'B', 16)
    pdf.multi_cell(0, 9, '%s: %s' % (child_name, summary.period), new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 10)
    pdf.multi_cell(0, 6, t('Shared ${date} by ${clinic}',
                           {'date': on(summary.published), 'clinic': contact.name}),
                   new_x='LMARGIN', new_y='NEXT')
    pdf.ln(4)
    if summary.corrects:
        pdf.set_font('DejaVu', 'B', 11)
        pdf.multi_cell(0, 6, t('This corrects an earlier update.'), new_x='LMARGIN',
                       new_y='NEXT')
        pdf.ln(2)
    pdf.set_font('DejaVu', '', 11)
    pdf.multi_cell(0, 6, summary.text, new_x='LMARGIN', new_y='NEXT')
    if summary.goals:
        pdf.ln(4)
        pdf.set_font('DejaVu', 'B', 12)
        pdf.cell(0, 8, t('Goals and how they are going'), new_x='LMARGIN', new_y='NEXT')
        pdf.set_font('DejaVu', '', 11)
        for goal in summary.goals:
            pdf.set_font('DejaVu', '', 11)
            pdf.multi_cell(0, 6, '%s: %s' % (goal.title, t(goal.rating)),
                           new_x='LMARGIN', new_y='NEXT')
            pdf.set_font('DejaVu', '', 10)
            if goal.description:
                pdf.multi_cell(0, 5, goal.description, new_x='LMARGIN', new_y='NEXT')
            if goal.note:
                pdf.multi_cell(0, 5, '%s %s' % (t('Note from the therapist:'), goal.note),
                               new_x='LMARGIN', new_y='NEXT')
            pdf.ln(1)
    pdf.ln(6)
    pdf.set_font('DejaVu', '', 9)
    pdf.multi_cell(0, 5, t('Questions? ${clinic}, ${phone}, ${email} (${hours}). '
                           'In a crisis: ${crisis}', {
                               'clinic': contact.name, 'phone': contact.phone,
                               'email': contact.email, 'hours': contact.hours,
                               'crisis': contact.crisis_line}),
                   new_x='LMARGIN', new_y='NEXT')
    return bytes(pdf.output())
