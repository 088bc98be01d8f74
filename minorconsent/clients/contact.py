"""May the clinic email this person?  The one rule, for every mail the app
sends (``minorconsent.site.mail.send`` asks it before any message leaves).

The clinic keeps a person's contact preferences on each record they are
tied to: a guardian's on their link to each child, an adolescent client's
on their own record.  A guardian of two children therefore has two sets,
possibly written by two therapists, and they can disagree.

The rule: **a person is emailed only if every record the clinic holds for
them allows email.**  One "no email" anywhere is a "no" for every mail to
that person, whichever child the mail is about, and for mails about no
child at all (a password reset, an address confirmation or notice, a
notice about their sign-in).

Why not "a mail about a child follows that child's record": a "no email"
protects an inbox, not a child.  It is asked for because someone else
reads it (a shared family account, an ex-partner, a parent the teen does
not want to know), and the clinic's mails name no child: a mail "about"
a sibling says, to whoever reads that inbox, exactly what a mail about
the child with the "no" would say -- that this person has something on a
family portal.  The person has one address, so they get one answer.

What staff see: the person is not invited or notified by mail
(invitations record "not invited", the reset page says to call the
clinic), and staff reach them by the channels their record allows.
To start mailing again, every record that says "no" must be changed.
Staff accounts have no contact preferences: they are always mailed.
"""


def contact_records(clinic, user):
    """Every ``ContactPreferences`` the clinic keeps for ``user``: their
    link to each child they are a guardian of, and their own client record
    if they are a client."""
    clients = clinic['clients']
    records = [client['guardians'][user.__name__].contact
               for client in clients.children_of(user.__name__)
               if user.__name__ in client['guardians']]
    own = getattr(user, 'client_id', None)
    if own is not None and own in clients:
        records.append(clients[own].contact)
    return records


def accepts_email(clinic, user):
    """True when no record of ``user`` says "no email" (see above)."""
    return all(contact.email_ok for contact in contact_records(clinic, user))
