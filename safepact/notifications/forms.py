from django import forms
from django.utils.translation import gettext_lazy as _

from safepact.notifications.models import EmailMode


class SettingForm(forms.Form):
    email_mode = forms.ChoiceField(
        label=_("Email me about my notifications"),
        choices=EmailMode.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Items labelled TLP:AMBER, TLP:AMBER+STRICT or TLP:RED are never shown in email, only a "
            "link to them."
        ),
    )
