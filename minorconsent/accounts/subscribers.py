"""What the accounts room does when something elsewhere changes."""
from .twofactor import sign_out_unenrolled_staff


def sign_out_unenrolled_staff_when_required(event):
    """``SettingsChanged``: the clinic starts requiring a second factor, so
    staff without one enrol at their next sign-in (the admin who saved
    stays signed in)."""
    if 'staff_two_factor' in event.changed and event.clinic.settings.staff_two_factor:
        sign_out_unenrolled_staff(event.clinic, keep_token=event.request.identity.token)
