"""Clinic-wide settings, edited by the clinic admin.

Every rule that differs by jurisdiction is a setting here, never a constant
in code: the age at which a minor may consent alone differs from state to
state (California 12, Washington 13, Pennsylvania 14, Texas 18).
"""
from dataclasses import dataclass

from persistent import Persistent

from .jurisdictions import SELF_CONSENT_AGES


class ClinicSettings(Persistent):
    name = 'Demo Family Counseling'
    #: Shown in emails and on the sign-in page.  It must say nothing about
    #: therapy: a message on a family's shared screen may not reveal that a
    #: child is in care.
    portal_name = 'Family Portal'
    jurisdiction = 'US'
    #: Where the clinic's clock hangs (an IANA name): families and staff
    #: read every date and time in it (``site.dates``); stored times are UTC.
    time_zone = 'UTC'
    age_of_majority = 18
    self_consent_age = 18
    idle_timeout_minutes = 15
    session_lifetime_hours = 12
    #: 'all': every guardian with legal authority signs; 'one': one is enough.
    #: A client may override it (joint custody orders differ).
    custody_policy = 'all'
    #: From this age the minor's assent is asked for by default.
    assent_age = 12
    invitation_days = 7
    #: From this age the therapist may invite a client to their own sign-in
    #: (assent, the review of a summary, self-consent, the hand-over at
    #: majority); below it the offer is refused with the reason.
    own_account_age = 12
    #: After a case is closed, guardians (and the client) keep reading what
    #: was published for this many days, then lose access.
    closed_case_access_days = 90
    #: Records of a closed case are kept this many years after the last
    #: service, and for a client who was a minor at least until this age;
    #: then ``minorconsent-retention`` erases them.
    retention_years = 7
    retention_until_age = 25
    #: jurisdiction -> (years, until age); None: none (the two above apply).
    retention_table = None
    #: None: the teen's review of a summary is the therapist's choice per
    #: summary.  A number: every summary of a client who has their own
    #: sign-in and is at least that old goes to the client first.
    teen_review_age = None
    #: jurisdiction -> age of self-consent; None means the shipped table.
    self_consent_ages = None
    #: How families reach the clinic (shown on guardian pages and PDFs).
    contact_phone = '555-0100'
    contact_email = 'office@demo.test'
    contact_hours = 'Monday to Friday, 9:00 to 17:00'
    crisis_line = '988 (call or text, any time)'
    #: Staff (admin, therapist, supervisor) must sign in with a second
    #: factor (TOTP).  On for every new clinic; the demo seed turns it off
    #: so the demo signs in with a password only (README).  A staff member
    #: without a factor is sent to enrolment at sign-in.
    staff_two_factor = True
    #: The shortest password accepted (the policy's floor is 12).
    password_min_length = 12
    #: Reminders (``reminders``): a person an agreement or an invitation
    #: waits for is reminded this many days after it was sent, then every
    #: ``reminder_every_days``, at most ``reminder_max`` times (0: never).
    reminder_after_days = 3
    reminder_every_days = 7
    reminder_max = 3
    #: No reminder or renewal is mailed from this hour to that one, on the
    #: clinic's clock (``time_zone``): 21 to 8 means not from 21:00 to 07:59.
    quiet_hours_start = 21
    quiet_hours_end = 8
    #: An agreement signed is in force this many months, unless its text
    #: says otherwise (0: until it is revoked, superseded or ended).
    agreement_validity_months = 12
    #: The renewal (a new agreement on the current text) is sent this many
    #: days before an agreement's period ends.
    renewal_notice_days = 30
    #: After a consent's period ends, guardians keep reading what was
    #: published this many days, where the workflow's expired state lets
    #: them (0: access ends with the period).
    lapsed_access_days = 30

    FIELDS = ('name', 'portal_name', 'jurisdiction', 'time_zone', 'age_of_majority',
              'self_consent_age', 'idle_timeout_minutes',
              'session_lifetime_hours', 'custody_policy', 'assent_age',
              'invitation_days', 'own_account_age', 'teen_review_age',
              'closed_case_access_days', 'retention_years', 'retention_until_age',
              'contact_phone', 'contact_email', 'contact_hours', 'crisis_line',
              'staff_two_factor', 'password_min_length',
              'reminder_after_days', 'reminder_every_days', 'reminder_max',
              'quiet_hours_start', 'quiet_hours_end', 'agreement_validity_months',
              'renewal_notice_days', 'lapsed_access_days')

    #: The values a clinic starts with, which belong to the demo clinic:
    #: families see them on every page and document until the admin (or
    #: ``minorconsent-init``) sets the clinic's own.
    PLACEHOLDERS = {'name': 'Demo Family Counseling', 'contact_phone': '555-0100',
                    'contact_email': 'office@demo.test'}

    def placeholders_left(self):
        """The fields still holding the demo clinic's values."""
        return [key for key, value in self.PLACEHOLDERS.items() if getattr(self, key) == value]

    def update(self, **values):
        """Write only the values that changed (no needless database writes)."""
        changed = []
        for key, value in values.items():
            if key not in self.FIELDS and key not in ('self_consent_ages', 'retention_table'):
                raise KeyError(key)
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed.append(key)
        return changed

    def as_dict(self):
        return {key: getattr(self, key) for key in self.FIELDS}

    def consent_age_table(self):
        return dict(self.self_consent_ages if self.self_consent_ages is not None
                    else SELF_CONSENT_AGES)

    def retention_rule(self):
        """``(years after the last service, a minor's records at least
        until age)``: the jurisdiction's line of the clinic's table, else
        the clinic's two numbers."""
        table = self.retention_table or {}
        return tuple(table.get(self.jurisdiction,
                               (self.retention_years, self.retention_until_age)))

    def in_quiet_hours(self, local_hour):
        """Is ``local_hour`` (0-23, the clinic's clock) inside the quiet
        hours?  Start 21, end 8: 21:00-07:59 are quiet (they wrap midnight);
        start 13, end 14: 13:00-13:59.  Equal hours: none are quiet."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start == end:
            return False
        if start < end:
            return start <= local_hour < end
        return local_hour >= start or local_hour < end

    def effective_self_consent_age(self):
        """The clinic's jurisdiction's age from the table, else the default."""
        return min(self.consent_age_table().get(self.jurisdiction, self.self_consent_age),
                   self.age_of_majority)


@dataclass(frozen=True)
class SettingsChanged:
    """Event: the admin saved the clinic settings; ``changed`` names the
    fields that changed.  Rooms subscribe to act on a setting they own
    (the accounts room signs out staff without a second factor when the
    clinic starts requiring one), so the settings page imports none."""
    clinic: object
    changed: tuple
    request: object
