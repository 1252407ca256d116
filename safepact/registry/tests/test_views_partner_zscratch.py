from django.urls import reverse

def test_dump(client_for, reg, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    c = client_for(reg.marina)
    code = reg.partnership.code
    open("/tmp/home.html","w").write(c.get(reverse("registry:home", args=[code])).content.decode())
    r = c.post(reverse("registry:check", args=[code]), {"kind": "vin", "value": "WBA71DC010CH14720", "context": "routine"}, HTTP_HX_REQUEST="true")
    open("/tmp/check_htmx.html","w").write(r.content.decode())
    r = c.post(reverse("registry:check", args=[code]), {"kind": "vin", "value": "WBA*", "context": ""})
    open("/tmp/check_bad.html","w").write(str(r.status_code) + r.content.decode())
    open("/tmp/batch_new.html","w").write(c.get(reverse("registry:batch_new", args=[code])).content.decode())
    open("/tmp/checks.html","w").write(c.get(reverse("registry:checks", args=[code])).content.decode())

def test_dump_batch(client_for, reg, settings, tmp_path, run_tasks, django_capture_on_commit_callbacks):
    from safepact.registry.tests.test_views_partner_batch import upload
    from safepact.registry.models import BatchCheck
    settings.MEDIA_ROOT = str(tmp_path)
    c = client_for(reg.marina)
    with django_capture_on_commit_callbacks(execute=True):
        upload(c, reg)
    run_tasks()
    b = BatchCheck.objects.get()
    open("/tmp/batch.html","w").write(c.get(reverse("registry:batch", args=[reg.partnership.code, b.code])).content.decode())
    open("/tmp/batches.html","w").write(c.get(reverse("registry:batches", args=[reg.partnership.code])).content.decode())
    open("/tmp/checks.html","w").write(c.get(reverse("registry:checks", args=[reg.partnership.code])).content.decode())
