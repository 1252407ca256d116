"""Checking uploads before they are stored: size, type and name.

A file is accepted only when its extension is one of ``FILE_TYPES`` (and allowed by the partnership's
``ExchangeSettings.allowed_types``; an empty list allows them all) *and* its content agrees with that
extension: magic bytes sniffed with ``puremagic`` for PDF and images, the package structure for office
files (a zip renamed to ``.docx`` lacks ``[Content_Types].xml`` and ``word/``), UTF-8 text without markup for
text files. Programs and scripts (Windows, ELF, Mach-O executables, ``#!`` scripts) and markup a browser
would run (HTML, SVG, XML) are refused whatever their name says.

The person's file name is cleaned (no folders, control characters or reserved characters; at most 255
characters, extension kept) and stored in ``name``; the file itself is stored under an opaque name.
"""

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

__all__ = [
    "FILE_TYPES",
    "CheckedFile",
    "FileType",
    "check_upload",
    "clean_file_name",
    "content_type_for",
    "file_type_of",
    "is_inline",
]


@dataclass(frozen=True)
class FileType:
    label: str
    extensions: tuple[str, ...]
    mime_types: tuple[str, ...]
    #: Whether a browser may show it in the page (PDF, images, text); office files are downloaded only.
    inline: bool


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str


#: Extension -> the content type we store and serve it with.
MIME_BY_EXTENSION = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "txt": "text/plain",
    "csv": "text/csv",
    "md": "text/markdown",
}


def _type(label, extensions: tuple[str, ...], inline: bool) -> FileType:
    mimes = tuple(dict.fromkeys(MIME_BY_EXTENSION[e] for e in extensions))
    return FileType(label=label, extensions=extensions, mime_types=mimes, inline=inline)


FILE_TYPES: dict[str, FileType] = {
    "pdf": _type(gettext_lazy("PDF"), ("pdf",), inline=True),
    "image": _type(
        gettext_lazy("Images (PNG, JPEG, GIF, WebP)"), ("png", "jpg", "jpeg", "gif", "webp"), True
    ),
    "office": _type(
        gettext_lazy("Office documents (Word, Excel, PowerPoint, OpenDocument)"),
        ("docx", "xlsx", "pptx", "odt", "ods", "odp"),
        inline=False,
    ),
    "text": _type(gettext_lazy("Text (TXT, CSV, Markdown)"), ("txt", "csv", "md"), inline=True),
}

#: Extension -> its FILE_TYPES key.
TYPE_BY_EXTENSION = {ext: key for key, file_type in FILE_TYPES.items() for ext in file_type.extensions}

#: What the package of an office file must hold: the OOXML part folder, or the OpenDocument ``mimetype``.
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
ODF_TYPES = {ext: MIME_BY_EXTENSION[ext] for ext in ("odt", "ods", "odp")}

#: Programs and scripts, by their first bytes.
PROGRAM_SIGNATURES = (
    b"MZ",  # Windows (exe, dll, scr)
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts
)
#: Markup a browser would run when the file is opened (HTML, SVG, XML), checked near the start of text.
MARKUP = re.compile(rb"<\s*(!doctype|html|svg|script|\?xml|iframe|object|embed|body|head)\b", re.IGNORECASE)
#: Office packages with macros are refused.
MACRO_PARTS = ("vbaproject.bin", "basic/")
#: Zip bombs: an office package is refused when it has more entries than this, unpacks to more than
#: ``MAX_UNPACKED`` bytes in all, or holds an entry over ``BOMB_ENTRY`` bytes packed more than ``BOMB_RATIO``
#: times (real documents stay far below: XML packs some 5 to 20 times, pictures hardly at all). Nothing here
#: unpacks them, but the recipients' office programs would.
MAX_ENTRIES = 10_000
MAX_UNPACKED = 1024 * 1024 * 1024
BOMB_ENTRY = 10 * 1024 * 1024
BOMB_RATIO = 100
#: The OpenDocument ``mimetype`` entry is the media type itself: longer is not an OpenDocument file.
ODF_MIMETYPE_MAX = 100
#: The bytes read to sniff the type.
HEAD = 8192
#: Characters that are unsafe in a file name offered for download.
UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
NAME_MAX = 255


def content_type_for(name: str) -> str:
    """The content type for a stored file name (by extension), ``application/octet-stream`` if unknown."""
    return MIME_BY_EXTENSION.get(_extension(name), "application/octet-stream")


def file_type_of(content_type: str) -> str | None:
    """The FILE_TYPES key of a stored content type."""
    for key, file_type in FILE_TYPES.items():
        if content_type in file_type.mime_types:
            return key
    return None


def is_inline(content_type: str) -> bool:
    """Whether a file with this (stored) content type may be shown in the browser."""
    key = file_type_of(content_type)
    return key is not None and FILE_TYPES[key].inline


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def clean_file_name(name: str) -> str:
    """The last part of a path, NFC, without control, format or reserved characters, at most 255 characters with
    the extension kept; never empty, never only dots."""
    name = unicodedata.normalize("NFC", str(name or ""))
    # Format characters (right-to-left override, zero-width spaces) can make "gpj.exe" look like "exe.jpg".
    name = "".join(char for char in name if unicodedata.category(char) != "Cf")
    name = re.split(r"[/\\]", name)[-1]
    name = UNSAFE_NAME.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        name = "file"
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: NAME_MAX - len(extension) - 1] + "." + extension
        else:
            name = name[:NAME_MAX]
    return name


def _refuse(name: str, reason: str):
    raise ValidationError({"file": f"{name}: {reason}"})


def _sniffed_mimes(head: bytes) -> set[str]:
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return set()
    return {m.mime_type for m in matches if m.mime_type}


def _check_office(name: str, extension: str, data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse(name, _("this is not a valid office document."))
    infos = archive.infolist()
    if (
        len(infos) > MAX_ENTRIES
        or sum(info.file_size for info in infos) > MAX_UNPACKED
        or any(
            info.file_size > BOMB_ENTRY and info.file_size > BOMB_RATIO * max(info.compress_size, 1)
            for info in infos
        )
    ):
        _refuse(name, _("this office document unpacks to far more than its size (a zip bomb)."))
    lowered = [n.lower() for n in names]
    if any(part in n for n in lowered for part in MACRO_PARTS):
        _refuse(name, _("office documents with macros are not allowed."))
    if extension in OOXML_PARTS:
        if "[content_types].xml" not in lowered:
            _refuse(
                name, _("this is a zip archive, not an office document ([Content_Types].xml is missing).")
            )
        if not any(n.startswith(OOXML_PARTS[extension]) for n in lowered):
            _refuse(name, _("the content does not match the .%(ext)s extension.") % {"ext": extension})
        return
    mimetype = ""
    try:
        info = archive.getinfo("mimetype") if "mimetype" in names else None
        if info is not None and info.file_size <= ODF_MIMETYPE_MAX:
            with archive.open(info) as entry:  # never more than the entry's few bytes
                mimetype = entry.read(ODF_MIMETYPE_MAX + 1).decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError, EOFError):
        mimetype = ""
    if mimetype != ODF_TYPES[extension]:
        _refuse(name, _("this is a zip archive, not an OpenDocument file (its mimetype entry is missing)."))


def _check_text(name: str, head: bytes, data: bytes) -> None:
    if b"\x00" in data:
        _refuse(name, _("this is not a text file."))
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse(name, _("text files must be UTF-8."))
    if MARKUP.search(head.lstrip(b"\xef\xbb\xbf")[:1024]):
        _refuse(name, _("web pages and SVG images are not allowed (they can run scripts)."))


def _read(upload, limit: int) -> bytes:
    """The content, read at most ``limit + 1`` bytes (the size check does not trust ``upload.size``)."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            break
    if hasattr(upload, "seek"):
        upload.seek(0)
    return b"".join(chunks)


def check_upload(upload, *, limits) -> CheckedFile:
    """Check one upload against the partnership's ``limits`` (an ``ExchangeSettings``).

    Raises ``ValidationError({"file": "<file name>: reason"})``; never stores anything.
    """
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    name = clean_file_name(getattr(upload, "name", "") or "")
    max_mb = min(int(limits.max_upload_mb or 0), int(settings.SAFEPACT_EXCHANGE_MAX_UPLOAD_MB)) or 1
    limit = max_mb * 1024 * 1024
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        _refuse(name, _("the file is larger than %(mb)s MB.") % {"mb": max_mb})
    data = _read(upload, limit)
    if len(data) > limit:
        _refuse(name, _("the file is larger than %(mb)s MB.") % {"mb": max_mb})
    if not data:
        _refuse(name, _("the file is empty."))
    head = data[:HEAD]
    if head.startswith(PROGRAM_SIGNATURES):
        _refuse(name, _("programs and scripts are not allowed."))
    extension = _extension(name)
    type_key = TYPE_BY_EXTENSION.get(extension)
    if type_key is None:
        _refuse(
            name,
            _("files of this type are not allowed (allowed: %(list)s).") % {"list": _allowed_list(limits)},
        )
    allowed = list(limits.allowed_types or []) or list(FILE_TYPES)
    if type_key not in allowed:
        _refuse(
            name,
            _("this partnership does not allow %(type)s files (allowed: %(list)s).")
            % {"type": FILE_TYPES[type_key].label, "list": _allowed_list(limits)},
        )
    sniffed = _sniffed_mimes(head)
    if type_key in ("pdf", "image"):
        if MIME_BY_EXTENSION[extension] not in sniffed:
            _refuse(name, _("the content does not match the .%(ext)s extension.") % {"ext": extension})
    elif type_key == "office":
        if not head.startswith(b"PK\x03\x04"):
            _refuse(name, _("the content does not match the .%(ext)s extension.") % {"ext": extension})
        _check_office(name, extension, data)
    else:
        if sniffed & {"text/html", "image/svg+xml", "application/xml", "text/xml"}:
            _refuse(name, _("web pages and SVG images are not allowed (they can run scripts)."))
        # Plain text often looks like something to a sniffer (an e-mail, JSON, "BM..."), so only the types we
        # know as binary are a mismatch here; NUL bytes and invalid UTF-8 catch the other binaries.
        binary = {m for key in ("pdf", "image", "office") for m in FILE_TYPES[key].mime_types}
        if sniffed & binary or head.startswith(b"PK\x03\x04"):
            _refuse(name, _("the content does not match the .%(ext)s extension.") % {"ext": extension})
        _check_text(name, head, data)
    return CheckedFile(
        name=name,
        content_type=MIME_BY_EXTENSION[extension],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _allowed_list(limits) -> str:
    allowed = list(limits.allowed_types or []) or list(FILE_TYPES)
    extensions = [ext for key in allowed if key in FILE_TYPES for ext in FILE_TYPES[key].extensions]
    return ", ".join(extensions)
