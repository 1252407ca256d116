import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from safepact.registry import services
from safepact.registry.models import BatchCheck, Check, RateWindow
from safepact.registry.tests.conftest import boat_alert

@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

def test_cr_rows(reg, settings):
    boat_alert(reg)
    body = b"kind,value\n" + b"".join(b"imei,35209900176%04d\r" % i for i in range(3000)) + b"hin,SE-ABC12345D404\n"
    batch = services.batch_create(user=reg.marina, membership=reg.m_marina, file=SimpleUploadedFile("x.csv", body), context="routine")
    print("total reserved", batch.total, list(RateWindow.objects.values_list("scope", "count")))
    print(services.batch_run(batch_id=batch.pk))
    print("checks logged", Check.objects.count())
    assert False
