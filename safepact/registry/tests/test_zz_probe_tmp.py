import json
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from safepact.registry.tests.conftest import boat_alert

API = "/api/v1"

@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

def api(reg): return f"{API}/partnerships/{reg.partnership.code}/registry"
def page(reg, name, *args): return reverse(f"registry:{name}", args=[reg.partnership.code, *args])

ODD = ["SE-ABC12345D404\x00", "\x00", "A"*100000, "SE‐ABC12345D404", "ＳＥ-ABC12345D404", "SE-ABC12345D40４", "\ud800", "%", "SE-ABC1234*", "SE-ABC12345D404\n", " ", "SE-ABC12345D404\u202e", "１２３"]

def test_probe_check_page(reg, client_for):
    boat_alert(reg)
    c = client_for(reg.marina)
    c.raise_request_exception = False
    out = []
    for v in ODD:
        for kind in ("hin", "serial", "engine", "document", "plate", "imei", "vin", "xx"):
            for extra in ({}, {"manufacturer": v}, {"country": v}, {"document_type": v}):
                data = {"kind": kind, "value": v, "context": "routine", **extra}
                r = c.post(page(reg, "check"), data, HTTP_HX_REQUEST="true")
                if r.status_code >= 500: out.append(("page", kind, repr(v[:20]), extra.keys(), r.status_code))
                r = c.post(api(reg) + "/check", json.dumps(data), content_type="application/json")
                if r.status_code >= 500: out.append(("api", kind, repr(v[:20]), extra.keys(), r.status_code, r.content[:200]))
    r = c.post(api(reg) + "/checks", json.dumps({"context": "routine", "items": [{"kind": k, "value": v} for v in ODD for k in ("hin","serial","xx")]}), content_type="application/json")
    out.append(("many", r.status_code, r.content[:300]))
    for q in ("?page=abc", "?page=99999999999999999999", "?page=-1"):
        r = c.get(page(reg, "checks") + q); out.append(("checks", q, r.status_code))
    for q in ("?limit=-1", "?offset=-5", "?limit=100000000000000000000", "?offset=99999999999999999999999"):
        r = c.get(api(reg) + "/checks" + q); out.append(("apichecks", q, r.status_code, r.content[:100]))
    print("\n".join(map(str, out)))
    assert False

FILES = {
    "nul.csv": b"kind,value\nhin,SE-ABC12345D404\x00\n",
    "utf16.csv": "kind,value\nhin,SE-ABC12345D404\n".encode("utf-16"),
    "long.csv": b"kind,value\nhin," + b"A"*(2*1024*1024) + b"\n",
    "quote.csv": b'kind,value\nhin,"SE-ABC12345D404\n',
    "zip.csv": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)),
    "cr.csv": b"kind,value\rhin,SE-ABC12345D404\r",
    "semi.csv": b"KIND;Value;x\nhin;SE-ABC12345D404;=cmd|' /C calc'!A0\n",
    "../../etc/passwd.csv": b"kind,value\nhin,SE-ABC12345D404\n",
    "formula.csv": b"kind,value\nhin,=HYPERLINK(\"http://x\")\nhin,SE-ABC12345D404\n",
    "bigfield.csv": b'kind,value\nhin,"' + b"A"*200000 + b'"\nhin,SE-ABC12345D404\n',
    "manycols.csv": b"kind,value\n" + b"hin,SE-ABC12345D404" + b",x"*100000 + b"\n",
    "hdr.csv": b"kind,value,kind\nhin,SE-ABC12345D404,vin\n",
    "bom.csv": b"\xef\xbb\xbfkind,value\nhin,SE-ABC12345D404\n",
    "lone.txt": b"kind,value",
}

def test_probe_batches(reg, client_for, run_tasks):
    boat_alert(reg)
    c = client_for(reg.marina)
    c.raise_request_exception = False
    out = []
    for name, data in FILES.items():
        r = c.post(page(reg, "batch_new"), {"context": "routine", "file": SimpleUploadedFile(name, data, content_type="text/csv")})
        out.append((name, r.status_code, r.get("Location", "")))
    from safepact.registry.models import BatchCheck
    from safepact.registry import services
    for b in BatchCheck.objects.all():
        try:
            out.append(("run", b.file_name, services.batch_run(batch_id=b.pk)))
        except Exception as e:
            out.append(("RUNFAIL", b.file_name, repr(e)[:300]))
    for b in BatchCheck.objects.all():
        out.append((b.file_name, b.status, b.total, b.processed, b.hits, b.rejected, b.error[:100], b.problems[:2]))
        r = c.get(page(reg, "batch_results", b.code))
        out.append(("csv", r.status_code, r.content[:400]))
    print("\n".join(map(str, out)))
    assert False
