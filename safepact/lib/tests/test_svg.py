import xml.etree.ElementTree as ET

from safepact.lib.svg import Svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_svg_is_well_formed_accessible_and_escapes_text():
    picture = Svg(width=200, height=100, title="Alignment <matrix>", desc='Partners & "objectives"')
    picture.group_start(css_class="cell", **{"data-partner": "abc"})
    picture.titled("Malmö stad commits")
    picture.rect(1, 2, 30, 40, fill="#0b4f8a")
    picture.group_end()
    picture.text(5, 90, "<script>alert(1)</script>")
    root = ET.fromstring(str(picture.render()))
    assert root.get("role") == "img"
    assert root.find("svg:title", NS).text == "Alignment <matrix>"
    assert root.find("svg:desc", NS).text == 'Partners & "objectives"'
    assert root.get("aria-labelledby").split() == [
        root.find("svg:title", NS).get("id"),
        root.find("svg:desc", NS).get("id"),
    ]
    group = root.find("svg:g", NS)
    assert group.get("class") == "cell" and group.get("data-partner") == "abc"
    assert group.find("svg:rect", NS).get("width") == "30"
    assert root.find("svg:text", NS).text == "<script>alert(1)</script>"
    assert "<script>" not in str(picture.render())


def test_pictures_on_one_page_never_share_ids():
    ids = set()
    for _ in range(50):
        root = ET.fromstring(str(Svg(width=1, height=1, title="t").render()))  # freed at once
        ids.add(root.find("svg:title", NS).get("id"))
    assert len(ids) == 50
