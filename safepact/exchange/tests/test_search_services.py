"""The services keep the search index in step with the items (through the real services, then
``search.search``), and ``manage.py exchange_reindex``."""

from io import StringIO

import pytest
from django.core.management import call_command

from safepact.exchange import search
from safepact.exchange.models import SearchEntry
from safepact.exchange.services import (
    document_update,
    document_version_add,
    label_change,
    post_delete,
    post_update,
)
from safepact.exchange.tests.factories import (
    make_document,
    make_post,
    media_root,  # noqa: F401 - fixture
    upload,
)
from safepact.exchange.tests.request_factories import NOW, make_cast, make_request, sent_request
from safepact.lib import clock
from safepact.lib.tlp import TLP

pytestmark = pytest.mark.usefixtures("media_root")


def codes(user, query, **kwargs):
    return {hit.code for hit in search.search(user=user, query=query, **kwargs).results}


def test_a_post_is_found_from_creation_to_deletion(world):
    post = make_post(world, world.member, title="Stolen trailer", body="A **boat trailer** went missing.")
    assert codes(world.viewer, "trailer") == {post.code}
    post_update(actor=world.member, post=post, title="Recovered trailer", body="Found near the quay.")
    assert codes(world.viewer, "recovered quay") == {post.code}
    assert codes(world.viewer, "missing") == set()
    post_delete(actor=world.member, post=post)
    assert codes(world.member, "trailer") == set()
    assert not SearchEntry.objects.exists()


def test_a_label_change_is_reflected(world):
    post = make_post(world, world.member, tlp=TLP.AMBER, title="Fence for stolen phones")
    assert codes(world.viewer, "fence") == set()
    assert codes(world.member, "fence") == {post.code}
    label_change(actor=world.member, item=post, tlp=TLP.GREEN, reason="Safe to share with everyone here.")
    assert codes(world.viewer, "fence") == {post.code}
    label_change(actor=world.member, item=post, tlp=TLP.RED, recipient_people=[world.coordinator])
    assert codes(world.viewer, "fence") == set()
    assert codes(world.coordinator, "fence") == {post.code}


def test_documents_are_found_by_their_versions(world):
    document = make_document(
        world, world.coordinator, title="Checklist", upload=upload("buyers-guide.pdf"), note="First edition"
    )
    assert codes(world.member, "buyers guide") == {document.code}
    document_version_add(
        actor=world.coordinator,
        document=document,
        upload=upload("hull-numbers.pdf"),
        note="Hull numbers added",
    )
    assert codes(world.member, "hull") == {document.code}
    document_update(actor=world.coordinator, document=document, description="Read before buying an engine.")
    assert codes(world.member, "before buying") == {document.code}
    assert codes(world.member, "edition") == {document.code}


def test_a_request_is_found_once_sent_and_only_by_its_addressees(world):
    with clock.frozen(NOW):
        cast = make_cast(world)
        make_request(world, cast, title="Draft about a jetski")
        sent = sent_request(world, cast, title="Recovered stolen engine")
    assert codes(world.coordinator, "jetski") == set()  # a draft is not indexed
    assert codes(world.member, "outboard serial 12345") == {sent.code}  # the city is addressed (AMBER)
    assert codes(cast.garage, "outboard") == set()  # the garage is not


def test_the_reindex_command(world):
    post = make_post(world, world.member, title="Graffiti on the bridge")
    SearchEntry.objects.all().delete()
    assert codes(world.member, "graffiti") == set()
    out = StringIO()
    call_command("exchange_reindex", stdout=out)
    assert "1 post(s), 0 document(s), 0 request(s)" in out.getvalue()
    assert codes(world.member, "graffiti") == {post.code}
