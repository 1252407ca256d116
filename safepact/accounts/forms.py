"""Forms of the account pages. They parse and validate input; services do the writing."""

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from safepact.accounts.services import user_set_password


class CodeField(forms.CharField):
    """A six-digit code from an authenticator app; spaces are ignored."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Six-digit code"))
        kwargs.setdefault("help_text", _("The code your authenticator app shows now."))
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": r"[0-9 ]*", "size": 8}
        )

    def clean(self, value):
        value = super().clean(value)
        value = (value or "").replace(" ", "")
        if value and (not value.isdigit() or len(value) != 6):
            raise ValidationError(_("Enter the six digits your authenticator app shows."), code="format")
        return value


class LoginForm(forms.Form):
    """Email and password. The field is called ``username`` so django-axes counts failures per address."""

    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        email, password = cleaned.get("username"), cleaned.get("password")
        if email and password:
            # authenticate() with the request: django-axes records the failure and locks out.
            self.user = authenticate(self.request, username=email.strip().lower(), password=password)
            if self.user is None:
                raise ValidationError(
                    _("The email address or password is not right. Check both and try again."),
                    code="invalid_login",
                )
        return cleaned


class LoginCodeForm(forms.Form):
    token = CodeField()


class SudoForm(forms.Form):
    """Confirm it is still you: password, and the code when you use an authenticator app."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request, device=None, **kwargs):
        self.request = request
        self.device = device
        super().__init__(*args, **kwargs)
        if device is not None:
            self.fields["token"] = CodeField()

    def clean_password(self):
        password = self.cleaned_data["password"]
        user = authenticate(self.request, username=self.request.user.email, password=password)
        if user is None or user.pk != self.request.user.pk:
            raise ValidationError(_("That password is not right."), code="invalid_password")
        return password

    def clean_token(self):
        token = self.cleaned_data.get("token", "")
        if self.device is not None:
            allowed, _details = self.device.verify_is_allowed()
            if not allowed:
                raise ValidationError(
                    _("Too many wrong codes in a short time. Wait a moment and try again."), code="throttled"
                )
            if not self.device.verify_token(token):
                raise ValidationError(_("That code is not right."), code="invalid_code")
        return token


class TwoFactorConfirmForm(forms.Form):
    token = CodeField()


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of the pages and of the email you receive."),
    )


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, for example “Reporting script”, so you recognise it later."),
    )


class PasswordResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        """Write the email in the language the person chose on their profile."""
        user = context.get("user")
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class NewPasswordForm(SetPasswordForm):
    """Django's set-password form, writing through our service (audit trail, lockout lifted)."""

    def save(self, commit=True):
        return user_set_password(
            user=self.user, password=self.cleaned_data["new_password1"], reason="password reset by email"
        )
