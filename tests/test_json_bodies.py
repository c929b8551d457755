"""JSON bodies: accepted as an object of text, numbers and booleans; null is an absent value.

The docs send forms (or queries); the Contract notes (docs/contract-notes.md) accept a JSON object
as a leniency (journal note `json-body`). A review sent what JSON allows and text does not: a lone
surrogate escape in `name` passed /IDMOBILE/ and then made the consent page a 500 (it cannot be
written as UTF-8); `null` was read as the text "null" and arrays as their JSON text. The oracle is
the rule written in mockserver/http/decode.py's `_json_params` and docs/contract-notes.md: what is
not text is the decode error (01), null is absent (the precedence then answers), user_infos is
judged by the endpoint (06 when it is not an object).
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.errors import error_id_of
from mockserver.testing.client import DqeClient, user_infos
from tests.table import Rows


async def post_json(dqe: DqeClient, path: str, body: str) -> tuple[int, Any]:
    url = dqe.base_url.with_path(path)
    headers = {"Content-Type": "application/json"}
    async with dqe.session.post(url, data=body.encode(), headers=headers) as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


def idmobile(token: str, **changes: str) -> str:
    members = {
        "licence": '"100001"', "token": f'"{token}"', "number": '"+33639980001"',
        "scope": '"formfilling"', "mode": '"2"', "name": '"Acme"',
        "redirect_uri": '"https://a.example/cb"',
    }  # fmt: skip
    members.update(changes)
    return "{" + ", ".join(f'"{k}": {v}' for k, v in members.items()) + "}"


async def test_json_members_that_are_not_text(dqe: DqeClient) -> None:
    token = await dqe.token()
    rows = Rows()
    # (changes to the members, expected error id or None for a success), by hand from the rule.
    table: list[tuple[dict[str, str], str | None]] = [
        ({"name": '"\\udfff"'}, "01"),  # a lone surrogate: not text
        ({"name": '"Acme \\ud83d\\ude00"'}, None),  # a pair is an emoji: text
        ({"number": "null", "licence": '"999"'}, "01"),  # null: no number (01 before 02)
        ({"number": "null"}, "01"),
        ({"redirect_uri": "null"}, None),  # absent: allowed
        ({"scope": '["formfilling"]'}, "01"),
        ({"licence": '{"code": "100001"}'}, "01"),
        ({"number": "true"}, "10"),  # the text "true" is no number
        ({"mode": "2"}, None),  # a number is its JSON text "2"
        ({"scope": '"matching"', "user_infos": "[]"}, "06"),  # user_infos judged: not an object
        ({"scope": '"matching"', "user_infos": "null"}, "05"),  # absent
        ({"scope": '"matching"', "user_infos": '{"phone": "\\udc00"}'}, "01"),
    ]
    for changes, expected in table:
        with rows.row(changes):
            status, answer = await post_json(dqe, "/IDMOBILE/", idmobile(token, **changes))
            assert status == 200
            assert error_id_of(answer) == expected, answer
    rows.check(len(table))


async def test_a_consent_page_never_fails_on_what_initiation_accepted(dqe: DqeClient) -> None:
    token = await dqe.token()
    status, answer = await post_json(
        dqe, "/IDMOBILE/", idmobile(token, name='"Caf\\u00e9 \\u2603"')
    )
    assert (status, answer["status"]) == (200, "success")
    async with dqe.session.get(answer["url"]) as page:
        assert page.status == 200
        assert "Café ☃" in await page.text()


async def test_a_user_infos_object_in_json_is_read(dqe: DqeClient) -> None:
    token = await dqe.token()
    infos = user_infos(phone="0639980001", lastname="Dupont")
    body = idmobile(token, scope='"matching_notp"', user_infos=infos)
    status, answer = await post_json(dqe, "/IDMOBILE/", body)
    assert status == 200
    assert answer["family_name"] == 1.0  # the pack's record of this number: Dupont


async def test_what_rfc_8259_does_not_call_json_is_refused(dqe: DqeClient) -> None:
    # Found by an outside tester: Python's json read NaN, Infinity and 1e99999 (inf) as
    # numbers, and kept the last of a repeated member. RFC 8259 section 6: "Numeric values
    # that cannot be represented ... (such as Infinity and NaN) are not permitted"; the mock
    # reads a repeated member as a repeated parameter: the first value (note
    # repeated-parameter). Expected ids by hand: a body that is not JSON is 01; a user_infos
    # that is not JSON is 06 (the docs' error table).
    token = await dqe.token()
    rows = Rows()
    table: list[tuple[str, dict[str, str], str | None]] = [
        ("NaN member", {"mode": "NaN"}, "01"),
        ("Infinity member", {"mode": "-Infinity"}, "01"),
        ("overflowing member", {"mode": "1e99999"}, "01"),
        ("NaN in user_infos", {"scope": '"matching_notp"',
                               "user_infos": '"{\\"phone\\": \\"0639980001\\", \\"x\\": NaN}"'},
         "06"),
        ("Infinity in a user_infos object", {"scope": '"matching_notp"',
                                             "user_infos": '{"phone": "0639980001", "x": 1e999}'},
         "01"),
    ]  # fmt: skip
    for name, changes, expected in table:
        with rows.row(name):
            status, answer = await post_json(dqe, "/IDMOBILE/", idmobile(token, **changes))
            assert status == 200
            assert error_id_of(answer) == expected, answer
    rows.check(len(table))


async def test_a_repeated_json_member_keeps_its_first_value_with_a_note(dqe: DqeClient) -> None:
    token = await dqe.token()
    body = idmobile(token).removesuffix("}") + ', "licence": "999999"}'  # unknown: 02 if read
    status, answer = await post_json(dqe, "/IDMOBILE/", body)
    assert (status, answer["status"]) == (200, "success"), answer
    async with dqe.session.get(dqe.base_url.with_path("/__admin/journal")) as reply:
        entry = (await reply.json())["entries"][-1]
    assert entry["params"]["licence"] == "100001"
    assert "repeated-parameter" in [note["id"] for note in entry["notes"]], entry
