"""Pages of the information exchange: the overview, posts, documents and their versions, files (viewed in the
browser or downloaded), the access log of an item, search, the CSV export of posts and the settings.

Thin: fetch through a selector (404 for outsiders and for items the label keeps from the person, 403 for a
member without the role), parse with a form, call a service, render. Reading an item labelled TLP:AMBER,
TLP:AMBER+STRICT or TLP:RED, and viewing or downloading one of its files, is written to the access log.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from safepact.exchange import selectors, services
from safepact.exchange.forms_posts import (
    DocumentForm,
    FilesForm,
    ForwardForm,
    LabelChangeForm,
    PostFilterForm,
    PostForm,
    SearchForm,
    SettingsForm,
    VersionForm,
)
from safepact.exchange.models import AccessAction, ItemKind, RequestStatus
from safepact.exchange.permissions import (
    can_add_version,
    can_change_settings,
    can_edit_item,
    can_post,
    ensure,
)
from safepact.exchange.uploads import is_inline
from safepact.lib import clock
from safepact.lib.csv_export import csv_text
from safepact.lib.markdown import render as render_markdown
from safepact.lib.tlp import RESTRICTED, TLP, may_export
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.models import Role
from safepact.partnerships.selectors import active_memberships, get_partnership_for_user, membership_in
from safepact.partnerships.tlp import may_see

PER_PAGE = 25
SEARCH_PER_PAGE = 20
HOME_ITEMS = 5
#: Requests the requester still follows (the overview's "my open requests").
OPEN_REQUEST_STATES = (
    RequestStatus.DRAFT,
    RequestStatus.AWAITING_ASSESSMENT,
    RequestStatus.SENT,
    RequestStatus.ANSWERED,
    RequestStatus.OVERDUE,
)


# Helpers ------------------------------------------------------------------------------------------


def _html(text: str) -> str:
    return mark_safe(render_markdown(text, heading_offset=1))  # noqa: S308 - sanitised by nh3 in lib.markdown


def _membership(request, partnership):
    membership = getattr(partnership, "membership", None)
    if membership is None:
        membership = membership_in(request.user, partnership)
        partnership.membership = membership
    return membership


def _url(name: str, *args) -> str:
    """The address of a page, or "" when that page does not exist (the request pages live elsewhere)."""
    try:
        return reverse(f"exchange:{name}", args=args)
    except NoReverseMatch:
        return ""


def _post_url(post) -> str:
    return reverse("exchange:post", args=[post.partnership.code, post.code])


def _document_url(document) -> str:
    return reverse("exchange:document", args=[document.partnership.code, document.code])


def _recipient_choices(partnership):
    choices = selectors.recipient_choices(partnership=partnership)
    return choices.organisations, choices.people


def _limits(partnership):
    return selectors.settings_for(partnership)


def _edit_denied() -> str:
    return _("Only the author or a coordinator can change this item.")


def _report_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _files_of(request, item, stored_files, *, view_name: str, download_name: str) -> list[dict]:
    """Each file of ``item`` with whether it can be shown in the browser and whether it may be downloaded."""
    downloadable = selectors.may_download(request.user, item)
    code = item.partnership.code
    return [
        {
            "file": stored,
            "inline": is_inline(stored.content_type),
            "view_url": reverse(f"exchange:{view_name}", args=[code, stored.code]),
            "download_url": reverse(f"exchange:{download_name}", args=[code, stored.code])
            if downloadable
            else "",
        }
        for stored in stored_files
    ]


def _file_response(stored, *, inline: bool) -> FileResponse:
    """A stored file, shown in the browser (``inline``) or downloaded; never sniffed, never cached, and in a
    sandbox: a file cannot run script in SafePact's name."""
    try:
        handle = stored.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("File not found.")) from exc
    content_type = stored.content_type or "application/octet-stream"
    if inline and content_type.startswith("text/"):
        content_type = "text/plain; charset=utf-8"  # CSV and Markdown shown as text, not offered as download
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not inline, filename=stored.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _serve(request, stored, owner, *, download: bool, download_url: str = ""):
    """View or download one file of ``owner`` (its label decides), and log it."""
    if download:
        if not selectors.may_download(request.user, owner):
            raise PermissionDenied(
                _("Files of this item can be viewed in the browser but not downloaded.")
                if TLP(owner.tlp) == TLP.RED
                else _("Files of this item may not be downloaded.")
            )
    elif not is_inline(stored.content_type):
        if selectors.may_download(request.user, owner) and download_url:
            return redirect(download_url)
        raise PermissionDenied(
            _("This kind of file cannot be shown in the browser, and it may not be downloaded.")
        )
    services.access_record(
        user=request.user,
        item=owner,
        action=AccessAction.DOWNLOAD if download else AccessAction.VIEW,
        file_code=stored.code,
    )
    return _file_response(stored, inline=not download)


# Overview -----------------------------------------------------------------------------------------


def _request_panels(request, partnership) -> dict:
    """My open requests and those waiting for my organisation, when the request part is there."""
    panels = {"requests_available": False, "my_requests": [], "waiting_requests": []}
    request_list = getattr(selectors, "request_list", None)
    needing_me = getattr(selectors, "requests_needing_me", None)
    if request_list is not None:
        panels["requests_available"] = True
        mine = request_list(user=request.user, partnership=partnership, box="mine")
        panels["my_requests"] = list(mine.filter(status__in=OPEN_REQUEST_STATES)[:HOME_ITEMS])
    if needing_me is not None:
        panels["requests_available"] = True
        panels["waiting_requests"] = list(needing_me(user=request.user, partnership=partnership)[:HOME_ITEMS])
    for item in panels["my_requests"] + panels["waiting_requests"]:
        item.page_url = _url("request", partnership.code, item.code)
    return panels


@login_required
@require_safe
def home(request, code):
    partnership = get_partnership_for_user(request.user, code)
    membership = partnership.membership
    code = partnership.code
    context = {
        "partnership": partnership,
        "membership": membership,
        "may_post": can_post(membership),
        "is_coordinator": can_change_settings(membership),
        "posts": list(selectors.post_list(user=request.user, partnership=partnership)[:HOME_ITEMS]),
        "documents": list(selectors.document_list(user=request.user, partnership=partnership)[:HOME_ITEMS]),
        "links": {
            "requests": _url("requests", code),
            "request_new": _url("request_new", code),
            "register": _url("register", code),
            "assessments": _url("assessments", code),
            "subject_access": _url("subject_access", code),
        },
        **_request_panels(request, partnership),
    }
    return render(request, "exchange/home.html", context)


# Posts --------------------------------------------------------------------------------------------


@login_required
@require_safe
def post_list(request, code):
    partnership = get_partnership_for_user(request.user, code)
    form = PostFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_bound and form.is_valid() else ""
    posts = selectors.post_list(user=request.user, partnership=partnership, kind=kind or None)
    page = Paginator(posts, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "partnership": partnership,
        "form": form,
        "page": page,
        "kind": kind,
        "may_post": can_post(partnership.membership),
    }
    template = "exchange/posts_results.html" if request.htmx else "exchange/posts.html"
    return render(request, template, context)


@login_required
def post_create(request, code):
    partnership = get_partnership_for_user(request.user, code, write=True)
    organisations, people = _recipient_choices(partnership)
    limits = _limits(partnership)
    form = PostForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        organisations=organisations,
        people=people,
        limits=limits,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                post = services.post_create(
                    actor=request.user, partnership=partnership, **form.service_values()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, rename={"file": "files"})
            else:
                post.partnership = partnership
                messages.success(request, _("Your post was published."))
                return redirect(_post_url(post))
        status = 422
    context = {"partnership": partnership, "form": form, "post": None, "limits": limits}
    return render(request, "exchange/post_form.html", context, status=status)


def _forward_targets(request, partnership) -> list:
    """The other partnerships in which I may post."""
    memberships = (
        active_memberships(request.user)
        .filter(role__in=[Role.COORDINATOR, Role.MEMBER])
        .exclude(partner__partnership=partnership)
        .select_related("partner__partnership")
        .order_by("partner__partnership__name")
    )
    seen, targets = set(), []
    for membership in memberships:
        target = membership.partner.partnership
        if target.pk not in seen:
            seen.add(target.pk)
            targets.append(target)
    return targets


@login_required
@require_safe
def post_detail(request, code, post):
    item = selectors.get_post_for_user(request.user, code, post)
    partnership = item.partnership
    membership = _membership(request, partnership)
    services.access_record(user=request.user, item=item)
    may_edit = can_edit_item(membership, item)
    forward_form = None
    if may_export(item.tlp) and can_post(membership):
        targets = _forward_targets(request, partnership)
        if targets:
            forward_form = ForwardForm(partnerships=targets)
    attachments = item.attachments.all()
    context = {
        "partnership": partnership,
        "post": item,
        "body": _html(item.body),
        "restricted": TLP(item.tlp) in RESTRICTED,
        "exportable": may_export(item.tlp),
        "may_edit": may_edit,
        "files": _files_of(
            request, item, attachments, view_name="attachment_view", download_name="attachment_download"
        ),
        "forward_form": forward_form,
        "forwarded_from": item.forwarded_from_id is not None,
        "access_log_url": reverse("exchange:access_log", args=[partnership.code, ItemKind.POST, item.code])
        if may_edit
        else "",
        "recipient_organisations": list(item.recipient_organisations.all())
        if item.tlp in (TLP.AMBER, TLP.AMBER_STRICT)
        else [],
        "recipient_people": list(item.recipient_people.all()) if item.tlp == TLP.RED else [],
    }
    return render(request, "exchange/post.html", context)


def _editable_post(request, code, post):
    item = selectors.get_post_for_user(request.user, code, post, write=True)
    ensure(can_edit_item(_membership(request, item.partnership), item), _edit_denied())
    return item


@login_required
def post_update(request, code, post):
    item = _editable_post(request, code, post)
    partnership = item.partnership
    form = PostForm(
        request.POST if request.method == "POST" else None,
        initial={"kind": item.kind, "title": item.title, "body": item.body},
        creating=False,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                item = services.post_update(actor=request.user, post=item, **form.service_values())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                item.partnership = partnership
                messages.success(request, _("The post was saved."))
                return redirect(_post_url(item))
        status = 422
    context = {"partnership": partnership, "form": form, "post": item}
    return render(request, "exchange/post_form.html", context, status=status)


def _label_page(request, item, *, kind: str, back_url: str, template: str):
    partnership = item.partnership
    organisations, people = _recipient_choices(partnership)
    form = LabelChangeForm(
        request.POST if request.method == "POST" else None,
        initial=LabelChangeForm.initial_for(item),
        organisations=organisations,
        people=people,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.label_change(
                    actor=request.user,
                    item=item,
                    tlp=form.cleaned_data["tlp"],
                    recipient_organisations=list(form.cleaned_data["recipient_organisations"]),
                    recipient_people=list(form.cleaned_data["recipient_people"]),
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                label = TLP(form.cleaned_data["tlp"]).label
                messages.success(request, _("The label is now %(label)s.") % {"label": label})
                if may_see(request.user, item):
                    return redirect(back_url)
                messages.info(request, _("You are not among the recipients of the new label."))
                return redirect(
                    reverse(
                        "exchange:posts" if kind == ItemKind.POST else "exchange:documents",
                        args=[partnership.code],
                    )
                )
        status = 422
    context = {
        "partnership": partnership,
        "item": item,
        "kind": kind,
        "form": form,
        "back_url": back_url,
        "current": TLP(item.tlp),
    }
    return render(request, template, context, status=status)


@login_required
def post_label(request, code, post):
    item = _editable_post(request, code, post)
    return _label_page(
        request, item, kind=ItemKind.POST, back_url=_post_url(item), template="exchange/post_label.html"
    )


@login_required
@require_POST
def post_forward(request, code, post):
    item = selectors.get_post_for_user(request.user, code, post, write=True)
    targets = _forward_targets(request, item.partnership)
    form = ForwardForm(request.POST, partnerships=targets)
    if not form.is_valid():
        messages.error(request, _("Choose a partnership to forward the post to."))
        return redirect(_post_url(item))
    target = get_partnership_for_user(request.user, form.cleaned_data["partnership"], write=True)
    try:
        copy = services.post_forward(actor=request.user, post=item, partnership=target)
    except ValidationError as exc:
        _report_errors(request, exc)
        return redirect(_post_url(item))
    copy.partnership = target
    messages.success(request, _("The post was forwarded to %(name)s.") % {"name": target.name})
    return redirect(_post_url(copy))


@login_required
def post_delete(request, code, post):
    item = _editable_post(request, code, post)
    partnership = item.partnership
    if request.method == "POST":
        title = item.title
        try:
            services.post_delete(actor=request.user, post=item)
        except ValidationError as exc:
            _report_errors(request, exc)
            return redirect(_post_url(item))
        messages.success(request, _("“%(title)s” was deleted.") % {"title": title})
        return redirect("exchange:posts", code=partnership.code)
    context = {"partnership": partnership, "post": item, "file_count": item.attachments.count()}
    return render(request, "exchange/post_delete.html", context)


@login_required
def post_attachment_create(request, code, post):
    item = _editable_post(request, code, post)
    partnership = item.partnership
    limits = _limits(partnership)
    form = FilesForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        limits=limits,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():  # all files or none
                    for upload in form.cleaned_data["files"]:
                        services.attachment_add(actor=request.user, post=item, upload=upload)
            except ValidationError as exc:
                apply_service_errors(form, exc, rename={"file": "files", "upload": "files"})
            else:
                count = len(form.cleaned_data["files"])
                messages.success(
                    request,
                    ngettext("One file was attached.", "%(count)s files were attached.", count)
                    % {"count": count},
                )
                return redirect(_post_url(item) + "#files")
        status = 422
    context = {"partnership": partnership, "post": item, "form": form}
    return render(request, "exchange/post_attachment.html", context, status=status)


@login_required
@require_POST
def posts_export(request, code):
    """CSV of the posts I see that may leave the platform (never TLP:AMBER+STRICT or TLP:RED); recorded."""
    partnership = get_partnership_for_user(request.user, code)
    with transaction.atomic():
        posts = list(selectors.export_posts(user=request.user, partnership=partnership))
        services.posts_export_record(actor=request.user, partnership=partnership, count=len(posts))
    header = ["code", "created_at", "kind", "tlp", "title", "author", "text"]
    rows = [
        [
            str(p.code),
            p.created_at.isoformat(timespec="seconds"),
            p.kind,
            TLP(p.tlp).label,
            p.title,
            p.created_by.full_name or p.created_by.email,
            p.body,
        ]
        for p in posts
    ]
    response = HttpResponse(csv_text([header, *rows]), content_type="text/csv; charset=utf-8")
    filename = f"safepact-posts-{partnership.code}-{clock.today():%Y%m%d}.csv"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Files of posts (and of requests and answers) ----------------------------------------------------------


def _owner(attachment):
    return attachment.post or attachment.request or attachment.answer


@login_required
@require_safe
def attachment_view(request, code, attachment):
    stored = selectors.get_attachment_for_user(request.user, code, attachment)
    download_url = reverse("exchange:attachment_download", args=[code, stored.code])
    return _serve(request, stored, _owner(stored), download=False, download_url=download_url)


@login_required
@require_safe
def attachment_download(request, code, attachment):
    stored = selectors.get_attachment_for_user(request.user, code, attachment)
    return _serve(request, stored, _owner(stored), download=True)


# Documents ----------------------------------------------------------------------------------------


@login_required
@require_safe
def document_list(request, code):
    partnership = get_partnership_for_user(request.user, code)
    documents = selectors.document_list(user=request.user, partnership=partnership)
    page = Paginator(documents, PER_PAGE).get_page(request.GET.get("page"))
    context = {"partnership": partnership, "page": page, "may_post": can_post(partnership.membership)}
    template = "exchange/documents_results.html" if request.htmx else "exchange/documents.html"
    return render(request, template, context)


@login_required
def document_create(request, code):
    partnership = get_partnership_for_user(request.user, code, write=True)
    organisations, people = _recipient_choices(partnership)
    limits = _limits(partnership)
    form = DocumentForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        organisations=organisations,
        people=people,
        limits=limits,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                document = services.document_create(
                    actor=request.user, partnership=partnership, **form.service_values()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, rename={"file": "upload"})
            else:
                document.partnership = partnership
                messages.success(request, _("The document was added."))
                return redirect(_document_url(document))
        status = 422
    context = {"partnership": partnership, "form": form, "document": None}
    return render(request, "exchange/document_form.html", context, status=status)


@login_required
@require_safe
def document_detail(request, code, document):
    item = selectors.get_document_for_user(request.user, code, document)
    partnership = item.partnership
    membership = _membership(request, partnership)
    services.access_record(user=request.user, item=item)
    may_edit = can_edit_item(membership, item)
    versions = item.versions.select_related("created_by").order_by("-number")
    context = {
        "partnership": partnership,
        "document": item,
        "description": _html(item.description) if item.description else "",
        "restricted": TLP(item.tlp) in RESTRICTED,
        "may_edit": may_edit,
        "may_add_version": can_add_version(membership, item),
        "versions": _files_of(
            request, item, versions, view_name="version_view", download_name="version_download"
        ),
        "access_log_url": reverse(
            "exchange:access_log", args=[partnership.code, ItemKind.DOCUMENT, item.code]
        )
        if may_edit
        else "",
        "recipient_organisations": list(item.recipient_organisations.all())
        if item.tlp in (TLP.AMBER, TLP.AMBER_STRICT)
        else [],
        "recipient_people": list(item.recipient_people.all()) if item.tlp == TLP.RED else [],
    }
    return render(request, "exchange/document.html", context)


def _editable_document(request, code, document):
    item = selectors.get_document_for_user(request.user, code, document, write=True)
    ensure(can_edit_item(_membership(request, item.partnership), item), _edit_denied())
    return item


@login_required
def document_update(request, code, document):
    item = _editable_document(request, code, document)
    partnership = item.partnership
    form = DocumentForm(
        request.POST if request.method == "POST" else None,
        initial={"title": item.title, "description": item.description},
        creating=False,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                item = services.document_update(actor=request.user, document=item, **form.service_values())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                item.partnership = partnership
                messages.success(request, _("The document was saved."))
                return redirect(_document_url(item))
        status = 422
    context = {"partnership": partnership, "form": form, "document": item}
    return render(request, "exchange/document_form.html", context, status=status)


@login_required
def document_label(request, code, document):
    item = _editable_document(request, code, document)
    return _label_page(
        request,
        item,
        kind=ItemKind.DOCUMENT,
        back_url=_document_url(item),
        template="exchange/document_label.html",
    )


@login_required
def document_version_create(request, code, document):
    item = selectors.get_document_for_user(request.user, code, document, write=True)
    partnership = item.partnership
    ensure(can_add_version(_membership(request, partnership), item))
    limits = _limits(partnership)
    form = VersionForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        limits=limits,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                version = services.document_version_add(
                    actor=request.user,
                    document=item,
                    upload=form.cleaned_data["upload"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, rename={"file": "upload"})
            else:
                messages.success(request, _("Version %(number)s was added.") % {"number": version.number})
                return redirect(_document_url(item) + "#versions")
        status = 422
    context = {"partnership": partnership, "document": item, "form": form}
    return render(request, "exchange/document_version_form.html", context, status=status)


@login_required
@require_safe
def version_view(request, code, version):
    stored = selectors.get_version_for_user(request.user, code, version)
    download_url = reverse("exchange:version_download", args=[code, stored.code])
    return _serve(request, stored, stored.document, download=False, download_url=download_url)


@login_required
@require_safe
def version_download(request, code, version):
    stored = selectors.get_version_for_user(request.user, code, version)
    return _serve(request, stored, stored.document, download=True)


# Access log ---------------------------------------------------------------------------------------


def _logged_item(request, code, kind: str, item):
    """The item whose access log is asked for, through the selector of its kind (404 when not visible)."""
    if kind == ItemKind.POST:
        return selectors.get_post_for_user(request.user, code, item), _url("post", code, item)
    if kind == ItemKind.DOCUMENT:
        return selectors.get_document_for_user(request.user, code, item), _url("document", code, item)
    if kind == ItemKind.REQUEST:
        return selectors.get_request_for_user(request.user, code, item), _url("request", code, item)
    if kind == ItemKind.ANSWER:
        # An answer is read on its request's page: both the answer's label and the request must let the
        # person in (an answer whose request they may no longer see is a 404).
        answer = selectors.get_item_for_user(request.user, code, kind, item)
        parent = selectors.get_request_for_user(request.user, code, answer.request.code)
        return answer, _url("request", code, parent.code) + f"#answer-{answer.code}"
    raise Http404(_("Not found."))


@login_required
@require_safe
def access_log(request, code, kind, item):
    obj, item_url = _logged_item(request, code, kind, item)
    entries = selectors.access_log_for(user=request.user, item=obj)  # author or coordinator, else 403
    page = Paginator(entries.select_related("user", "organisation"), 50).get_page(request.GET.get("page"))
    context = {
        "partnership": obj.partnership,
        "item": obj,
        "kind": ItemKind(kind),
        "item_url": item_url,
        "page": page,
        "logged": TLP(obj.tlp) in RESTRICTED,
    }
    return render(request, "exchange/access_log.html", context)


# Search -------------------------------------------------------------------------------------------


@login_required
@require_safe
def search_page(request, code):
    from safepact.exchange import search

    partnership = get_partnership_for_user(request.user, code)
    form = SearchForm(request.GET or None)
    results, has_more, query, offset = None, False, "", 0
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"].strip()
        offset = form.cleaned_data["offset"] or 0
        if query:
            found = search.search(
                user=request.user,
                query=query,
                partnership=partnership,
                kinds=form.cleaned_data["kinds"] or None,
                limit=SEARCH_PER_PAGE,
                offset=offset,
            )
            results, has_more = found.results, found.has_more
    context = {
        "partnership": partnership,
        "form": form,
        "query": query,
        "results": results,
        "has_more": has_more,
        "offset": offset,
        "next_offset": offset + SEARCH_PER_PAGE,
        "first": offset + 1,
        "last": offset + len(results or []),
        "kinds": form.cleaned_data.get("kinds", []) if form.is_bound and form.is_valid() else [],
    }
    template = "exchange/search_results.html" if request.htmx else "exchange/search.html"
    return render(request, template, context)


# Settings -----------------------------------------------------------------------------------------


@login_required
def exchange_settings(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    current = _limits(partnership)
    form = SettingsForm(
        request.POST if request.method == "POST" else None, initial=SettingsForm.initial_for(current)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.settings_update(
                    actor=request.user,
                    partnership=partnership,
                    **{name: form.cleaned_data[name] for name in SettingsForm.FIELDS},
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The exchange settings were saved."))
                return redirect("exchange:home", code=partnership.code)
        status = 422
    return render(
        request, "exchange/settings.html", {"partnership": partnership, "form": form}, status=status
    )
