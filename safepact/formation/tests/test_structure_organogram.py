"""The organogram: a well-formed, accessible SVG with a node per body and per seat, laid out by level
without overlapping boxes; long names truncated with the full text in a ``<title>``."""

import itertools
import xml.etree.ElementTree as ET

import pytest

from safepact.formation.models import Level
from safepact.formation.selectors import structure as selectors
from safepact.formation.services import structure as services
from safepact.formation.tests.structure_data import build, grow

NS = {"svg": "http://www.w3.org/2000/svg"}


def draw(world):
    structure = selectors.structure_overview(user=world.viewer, partnership=world.partnership_a)
    picture = selectors.organogram_svg(structure, partnership=world.partnership_a)
    return structure, ET.fromstring(str(picture.render()))


def body_groups(root):
    return {g.get("data-body"): g for g in root.iter(f"{{{NS['svg']}}}g") if g.get("data-body")}


def overlaps(a, b) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_svg_has_a_node_per_body_and_seat_with_level_and_title(world):
    data = build(world)
    _structure, root = draw(world)
    assert root.get("role") == "img"
    assert "Sofielund safety partnership" in root.find("svg:title", NS).text
    assert "(bodies: 3, seats: 3)" in root.find("svg:desc", NS).text
    groups = body_groups(root)
    assert set(groups) == {str(data.board.code), str(data.team.code), str(data.group.code)}
    assert groups[str(data.board.code)].get("data-level") == "board"
    assert groups[str(data.team.code)].get("data-level") == "operational"
    assert groups[str(data.group.code)].get("data-level") == "stakeholder"
    board_title = groups[str(data.board.code)].find("svg:title", NS).text
    assert "Steering board" in board_title and "Mandate: Sets the course." in board_title
    seats = {
        g.get("data-seat"): g
        for g in groups[str(data.team.code)].iter(f"{{{NS['svg']}}}g")
        if g.get("data-seat")
    }
    assert set(seats) == {str(data.city_seat.code), str(data.coordinator_seat.code)}
    texts = [t.text for t in seats[str(data.city_seat.code)].findall("svg:text", NS)]
    assert texts == ["Coordinator", "Malmö stad · Mats Member"]
    assert "(hours per month: 30)" in seats[str(data.city_seat.code)].find("svg:title", NS).text
    empty = [t.text for t in groups[str(data.group.code)].iter(f"{{{NS['svg']}}}text")]
    assert "No seats yet" in empty
    # Reporting lines: parent -> child.
    lines = {(p.get("data-parent"), p.get("data-child")) for p in root.iter(f"{{{NS['svg']}}}polyline")}
    assert lines == {(str(data.board.code), str(data.team.code)), (str(data.team.code), str(data.group.code))}


def test_levels_stack_board_operational_stakeholder(world):
    data = build(world)
    structure = selectors.structure_overview(user=world.viewer, partnership=world.partnership_a)
    layout = selectors.organogram_layout(structure.bodies)
    board, team, group = (layout.boxes[b.pk] for b in (data.board, data.team, data.group))
    assert board.bottom < team.y and team.bottom < group.y
    assert [band.level for band in layout.bands] == ["board", "operational", "stakeholder"]


@pytest.mark.parametrize("count", [15, 24])
def test_no_boxes_overlap_and_all_fit(world, count):
    data = build(world)
    grow(world, data, count - 3)
    # Long names and many seats in some boxes.
    services.body_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        name="An extraordinarily long name " * 6,
        level=Level.BOARD,
    )
    for i in range(6):
        services.seat_create(
            actor=world.coordinator, body=data.group, partner=data.shop, role_title=f"Tenant {i}"
        )
    structure = selectors.structure_overview(user=world.viewer, partnership=world.partnership_a)
    layout = selectors.organogram_layout(structure.bodies)
    boxes = list(layout.boxes.values())
    assert len(boxes) == count + 1
    for a, b in itertools.combinations(boxes, 2):
        assert not overlaps(a, b), (a.body.name, b.body.name)
    for box in boxes:
        assert box.x >= 0 and box.x + box.w <= layout.width
        assert box.y >= 0 and box.y + box.h <= layout.height
        assert box.w <= selectors.MAX_BOX_W
    # Bands do not overlap either and keep their order.
    for upper, lower in itertools.pairwise(layout.bands):
        assert upper.y + upper.h < lower.y
    # The drawn rectangles are those of the layout.
    picture = selectors.organogram_svg(structure, partnership=world.partnership_a)
    root = ET.fromstring(str(picture.render()))
    drawn = {}
    for code, group in body_groups(root).items():
        rect = group.find("svg:rect", NS)
        drawn[code] = tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
    for code_a, code_b in itertools.combinations(drawn, 2):
        ax, ay, aw, ah = drawn[code_a]
        bx, by, bw, bh = drawn[code_b]
        assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah)


def test_long_names_are_truncated_with_the_full_text_in_the_title(world):
    long_name = "Werkgroep veilig winkelgebied en bedrijventerrein Parkstad-Zuid met alle ondernemers " * 2
    body = services.body_create(
        actor=world.coordinator, partnership=world.partnership_a, name=long_name, level="board"
    )
    _structure, root = draw(world)
    group = body_groups(root)[str(body.code)]
    shown = group.find("svg:text", NS).text
    assert shown.endswith("…") and len(shown) < len(long_name.strip())
    assert long_name.strip() in group.find("svg:title", NS).text
    width = float(group.find("svg:rect", NS).get("width"))
    assert len(shown) * selectors.BOLD_W <= width - 2 * selectors.PAD + selectors.BOLD_W


def test_text_is_escaped(world):
    body = services.body_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        name='<script>alert("x")</script> & Co',
        level="board",
    )
    structure = selectors.structure_overview(user=world.viewer, partnership=world.partnership_a)
    markup = str(selectors.organogram_svg(structure, partnership=world.partnership_a).render())
    assert "<script>" not in markup
    root = ET.fromstring(markup)
    assert body_groups(root)[str(body.code)].find("svg:text", NS).text.startswith("<script>")


def test_empty_structure_draws_a_message(world):
    structure, root = draw(world)
    assert structure.bodies == []
    assert "No bodies yet." in [t.text for t in root.iter(f"{{{NS['svg']}}}text")]


def test_standalone_file_starts_with_the_xml_declaration(world):
    build(world)
    structure = selectors.structure_overview(user=world.viewer, partnership=world.partnership_a)
    text = selectors.organogram_standalone(
        selectors.organogram_svg(structure, partnership=world.partnership_a)
    )
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
    ET.fromstring(text.encode())


def test_tree_survives_a_cycle_in_old_data(world):
    """The services refuse cycles; the reader must not loop forever if one exists anyway."""
    data = build(world)
    type(data.board).objects.filter(pk=data.board.pk).update(parent=data.group)
    structure = selectors.structure_overview(user=world.viewer, partnership=world.partnership_a)
    names = []

    def walk(nodes):
        for node in nodes:
            names.append(node.body.name)
            walk(node.children)

    walk(structure.tree)
    assert sorted(names) == sorted(["Steering board", "Operational team", "Tenants' working group"])
    selectors.organogram_svg(structure, partnership=world.partnership_a)
