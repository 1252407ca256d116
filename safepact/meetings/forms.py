"""Forms of the meeting pages: they parse input; the services validate the rules and write."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepact.lib.tlp import TLP
from safepact.meetings.models import ActionStatus, Attendance, Frequency, Kind

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

#: What each kind is for (the paper: trust grows in regular, preferably face-to-face contact; vary the
#: kinds so meetings do not tire people).
KIND_HELP = {
    Kind.PLENARY: _("All partners around one table: plans, progress and decisions."),
    Kind.ONLINE: _("A short online call, for updates that do not need a room. Give the link to join."),
    Kind.THEMATIC: _("A smaller group works on one theme or problem, with the partners it concerns."),
    Kind.TRAINING: _("People of different partners learn together, and get to know each other doing so."),
    Kind.SOCIAL: _("An informal get-together: trust is built between people, not organisations."),
    Kind.WALKTHROUGH: _("Partners walk the area together and look at the places the problem occurs."),
}
TLP_HELP = _(
    "Who may read the minutes. TLP:CLEAR: anyone. TLP:GREEN: the partnership's members. TLP:AMBER and "
    "TLP:AMBER+STRICT: the recipient organisations below. TLP:RED: the recipient people below. Emails about "
    "restricted minutes carry only a link."
)
MAX_MEETINGS = 52


class MembershipChoiceField(forms.MultipleChoiceField):
    """Active members of the partnership as checkboxes grouped by organisation; cleans to Memberships."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [])
        super().__init__(*args, **kwargs)
        self.memberships: dict[str, object] = {}

    def set_memberships(self, memberships) -> None:
        groups: dict[str, list] = {}
        self.memberships = {}
        for membership in memberships:
            key = str(membership.code)
            self.memberships[key] = membership
            user = membership.user
            groups.setdefault(membership.partner.organisation.name, []).append(
                (key, user.full_name or user.email)
            )
        self.choices = sorted(groups.items())

    def clean(self, value):
        value = super().clean(value)
        return [self.memberships[key] for key in value]


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of meeting"), choices=Kind.choices, initial=Kind.PLENARY, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    start_time = forms.TimeField(label=_("Start time"), widget=TIME_WIDGET)
    end_time = forms.TimeField(
        label=_("End time"),
        required=False,
        widget=TIME_WIDGET,
        help_text=_("Or leave it empty and give the duration."),
    )
    duration = forms.IntegerField(
        label=_("Duration in minutes"),
        required=False,
        min_value=5,
        max_value=24 * 60,
        help_text=_("Used when no end time is given."),
    )
    location = forms.CharField(label=_("Place"), max_length=300, required=False)
    online_url = forms.URLField(
        label=_("Link to join online"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Required for an online meeting; optional for a hybrid one."),
    )
    agenda = forms.CharField(
        label=_("Agenda (Markdown)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One item per line, for example “- Welcome”. **bold** and lists work; HTML does not."),
    )
    invitees = MembershipChoiceField(
        label=_("Invite"),
        required=False,
        help_text=_("The partnership's active members, by organisation."),
    )
    frequency = forms.ChoiceField(
        label=_("Repeat"),
        required=False,
        choices=[("", _("Does not repeat")), *Frequency.choices],
        initial="",
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label=_("Number of meetings"),
        min_value=1,
        max_value=MAX_MEETINGS,
        initial=1,
        required=False,
        help_text=_("With a repeat: how many meetings to plan (at most 52). Each can be moved on its own."),
    )

    def __init__(self, *args, memberships, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        self.fields["invitees"].set_memberships(memberships)
        if creating:
            if not self.is_bound:
                self.initial.setdefault("invitees", [str(m.code) for m in memberships])
        else:
            del self.fields["frequency"]
            del self.fields["count"]
            self.fields["invitees"].label = _("Also invite")
            self.fields["invitees"].help_text = _("Active members who are not invited yet.")

    def kind_options(self) -> list[tuple]:
        """Each radio of ``kind`` with what that kind of meeting is for."""
        return [(radio, KIND_HELP.get(radio.data["value"], "")) for radio in self["kind"]]

    def clean(self):
        data = super().clean()
        day, start = data.get("date"), data.get("start_time")
        if day is None or start is None:
            return data
        from safepact.meetings.services import FIRST_YEAR, LAST_YEAR

        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.add_error(
                "date",
                _("Enter a date between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )
            return data
        starts_at = timezone.make_aware(datetime.combine(day, start))
        end, duration = data.get("end_time"), data.get("duration")
        if end is not None:
            ends_at = timezone.make_aware(datetime.combine(day, end))
        elif duration:
            ends_at = starts_at + timedelta(minutes=duration)
        else:
            self.add_error("end_time", _("Give an end time or a duration."))
            return data
        if ends_at <= starts_at:
            self.add_error("end_time", _("The meeting must end after it starts."))
        data["starts_at"], data["ends_at"] = starts_at, ends_at
        if self.creating:
            count = data.get("count") or 1
            if count > 1 and not data.get("frequency"):
                self.add_error("frequency", _("Choose how often the meeting repeats."))
            data["count"] = count
        return data

    def service_values(self) -> dict:
        data = self.cleaned_data
        values = {
            "kind": data["kind"],
            "title": data["title"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "location": data["location"],
            "online_url": data["online_url"],
            "agenda": data["agenda"],
        }
        if self.creating:
            values["invitees"] = data["invitees"]
            values["frequency"] = data.get("frequency") or None
            values["count"] = data["count"] if values["frequency"] else 1
        return values

    @staticmethod
    def initial_for(meeting) -> dict:
        start = timezone.localtime(meeting.starts_at)
        end = timezone.localtime(meeting.ends_at)
        return {
            "kind": meeting.kind,
            "title": meeting.title,
            "date": start.date(),
            "start_time": start.time().replace(second=0, microsecond=0),
            "end_time": end.time().replace(second=0, microsecond=0),
            "location": meeting.location,
            "online_url": meeting.online_url,
            "agenda": meeting.agenda,
        }


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class RespondForm(forms.Form):
    response = forms.ChoiceField(
        label=_("Your answer"), choices=[("accepted", _("Will come")), ("declined", _("Cannot come"))]
    )


class AttendanceForm(forms.Form):
    """One radio group per participant: in person, online or absent."""

    CHOICES = [
        (Attendance.IN_PERSON, Attendance.IN_PERSON.label),
        (Attendance.ONLINE, Attendance.ONLINE.label),
        (Attendance.ABSENT, Attendance.ABSENT.label),
    ]

    def __init__(self, *args, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = list(participants)
        for participant in self.participants:
            user = participant.user
            self.fields[self.key(participant)] = forms.ChoiceField(
                label=user.full_name or user.email,
                choices=self.CHOICES,
                required=False,
                widget=forms.RadioSelect,
                initial=participant.attendance if participant.attendance != Attendance.UNKNOWN else None,
            )

    @staticmethod
    def key(participant) -> str:
        return f"p-{participant.code}"

    def rows(self) -> list[tuple]:
        return [(participant, self[self.key(participant)]) for participant in self.participants]

    def attendance(self) -> dict:
        return {
            participant.code: self.cleaned_data[self.key(participant)]
            for participant in self.participants
            if self.cleaned_data.get(self.key(participant))
        }


class MinutesForm(forms.Form):
    text = forms.CharField(
        label=_("Minutes (Markdown)"),
        max_length=100000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Headings with “## ”, lists with “- ”; HTML does not work."),
    )
    tlp = forms.ChoiceField(
        label=_("TLP label"), choices=TLP.choices, initial=TLP.GREEN, widget=forms.RadioSelect
    )
    recipient_organisations = forms.ModelMultipleChoiceField(
        label=_("Recipient organisations (for TLP:AMBER and TLP:AMBER+STRICT)"),
        queryset=None,
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    recipient_people = forms.ModelMultipleChoiceField(
        label=_("Recipient people (for TLP:RED)"),
        queryset=None,
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organisations, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_organisations"].queryset = organisations
        self.fields["recipient_people"].queryset = people
        self.fields["recipient_people"].label_from_instance = lambda user: f"{user.full_name or user.email}"

    def tlp_options(self) -> list[tuple]:
        return [(radio, TLP(radio.data["value"]).description) for radio in self["tlp"]]


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.organisation.name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.full_name or obj.user.email} ({obj.partner.organisation.name})"


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=300)
    owner_partner = PartnerChoiceField(
        label=_("Owner (partner)"), queryset=None, to_field_name="code", empty_label=None
    )
    owner_person = PersonChoiceField(
        label=_("Owner (person, optional)"),
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label=_("(nobody in particular)"),
        help_text=_("A member of the owner partner; they are notified."),
    )
    due_date = forms.DateField(label=_("Due"), widget=DATE_WIDGET)

    def __init__(self, *args, partners, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_partner"].queryset = partners
        self.fields["owner_person"].queryset = memberships

    def clean(self):
        data = super().clean()
        partner, person = data.get("owner_partner"), data.get("owner_person")
        if partner is not None and person is not None and person.partner_id != partner.pk:
            self.add_error("owner_person", _("Choose a member of the owner partner."))
        return data


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)


class SettingsForm(forms.Form):
    monthly_hours_limit = forms.DecimalField(
        label=_("Meeting hours a month one person can give"),
        min_value=0,
        max_value=999,
        max_digits=5,
        decimal_places=1,
        localize=True,
        help_text=_(
            "When a person's meetings in one month add up to more, the meetings page warns of meeting "
            "fatigue and suggests a lighter kind of meeting."
        ),
    )


class FeedResetForm(forms.Form):
    partnership = forms.UUIDField(required=False)
