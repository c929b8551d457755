"""`dqe-mock score`: each score with its rule, for a magic number or a JSON record.

Expected scores are docs/matching-scores.md's worked table's (written by hand from the
rules), the rule labels the ones docs/matching-scores.md and tests/unit/test_scoring_rules.py name;
the record of +33639980001 is the built-in pack's Orange subscriber (Jean Dupont, 10 rue de la Paix,
75002 Paris, as scenarios/default.yaml writes it).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.contract.schemas import contract

Run = tuple[int, str, str]

RECORD = {
    "family_name": "Lafontaine",
    "given_name": "Laetitia",
    "gender": "F",
    "birthdate": "1985-04-12",
    "email": "jeandupont@gmail.com",
    "address": {
        "street_address": "boulevard des Capucines",
        "postal_code": "75002",
        "locality": "Paris",
        "country": "France",
    },
}
USER = {
    "lastname": "de La Fontaine",
    "firstname": "Lætitia",
    "gender": "Mme",
    "birthdate": "1985-12-04",
    "email": "jean.dupont@gmail.com",
    "street_address": "bd des Capucines",
    "postal_code": "75020",
    "locality": "Paris 2e Arrondissement",
    "country": "FR",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    code = main(["score", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_rows_of_issue_13_with_their_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, json.dumps(RECORD), json.dumps(USER))
    assert (code, err) == (0, "")
    equal = "equal once folded (case, accents, ligatures, hyphens, spaces)"
    assert out.splitlines() == [
        "scores of record (JSON)",
        "family_name             0.95  particle dropped or glued (de La Fontaine ~ Lafontaine)",
        "gender                  1.00  same gender (M/F or civility) (Mme ~ F)",
        "birthdate               0.80  day and month swapped (1985-12-04 ~ 1985-04-12)",
        f"given_name              1.00  {equal} (Lætitia ~ Laetitia)",
        "address.country         1.00  same ISO 3166 country (FR ~ France)",
        "address.postal_code     0.00  another arrondissement of the same city (75020 ~ 75002)",
        "address.street_address  1.00  same street name (bd des Capucines ~ boulevard des Capucines)",
        "address.locality        0.90  same city, one side names no arrondissement (Paris 2e Arrondissement ~ Paris)",
        "email                   1.00  Gmail: dots and +tag ignored; same local part (jean.dupont@gmail.com ~ jeandupont@gmail.com)",
    ]


def test_a_magic_number_scores_its_subscriber(capsys: pytest.CaptureFixture[str]) -> None:
    user = {"lastname": "Dupond", "street_address": "rue de la Paix", "number": 12}
    code, out, _ = run(capsys, "+33639980001", json.dumps(user))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "scores of scenario orange-happy (+33639980001)"
    assert (
        "family_name             0.88  fuzzy: mean of Jaro-Winkler and Indel ratio, at most 0.94 (Dupond ~ Dupont)"
        in lines
    )
    assert (
        "address.street_address  0.70  same street name; x 0.7, another number (12 rue de la Paix ~ 10 rue de la Paix)"
        in lines
    )
    assert 'gender                  ""    not typed: not compared' in lines


def test_pinned_scores_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    """weak-match (+33639985003) pins every score: family_name 0.2, street 0.12..."""
    code, out, _ = run(capsys, "+33 6 39 98 50 03", '{"lastname": "Dupont"}')
    assert code == 0
    assert "family_name             0.20  pinned by scenario weak-match" in out.splitlines()
    assert "address.street_address  0.12  pinned by scenario weak-match" in out.splitlines()


def test_json_output_is_the_score_object_and_its_rules(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "record.json").write_text(json.dumps(RECORD), encoding="utf-8")
    (tmp_path / "user.json").write_text(json.dumps(USER), encoding="utf-8")
    code, out, _ = run(
        capsys, f"@{tmp_path / 'record.json'}", f"@{tmp_path / 'user.json'}", "--format", "json"
    )
    assert code == 0
    body = json.loads(out)
    assert body["source"] == f"record @{tmp_path / 'record.json'}"
    assert contract().validate_response("matching_notp", body["scores"]) == []
    assert body["scores"]["address"]["postal_code"] == 0.0
    assert [r["field"] for r in body["rules"]] == [
        "family_name",
        "gender",
        "birthdate",
        "given_name",
        "address.country",
        "address.postal_code",
        "address.street_address",
        "address.locality",
        "email",
    ]
    assert body["rules"][0] == {
        "field": "family_name",
        "score": 0.95,
        "rule": "particle dropped or glued",
        "typed": "de La Fontaine",
        "held": "Lafontaine",
    }


SCENARIOS = """\
version: 1
scenarios:
  - id: my-line
    match: {numbers: ["+33639989999"], licences: ["100002"]}
    operator: Orange
    subscriber: {family_name: Lafontaine}
    scopes:
      matching: {scores: {family_name: 0.3}}
"""


@pytest.mark.parametrize(
    ("options", "source", "family"),
    [
        ([], "my-line", "0.95  particle dropped or glued"),
        (["--licence", "100002"], "my-line", "0.95  particle dropped or glued"),
        (["--licence", "100001"], "any-mobile", "0.56  fuzzy"),
        (["--scope", "matching"], "my-line", "0.30  pinned by scenario my-line"),
    ],
    ids=["any-licence", "its-licence", "another-licence", "scope"],
)
def test_scenario_files_layer_over_the_pack(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    options: list[str],
    source: str,
    family: str,
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(SCENARIOS, encoding="utf-8")
    user = '{"lastname": "de La Fontaine"}'
    code, out, _ = run(capsys, "+33639989999", user, *options, "--scenarios", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"scores of scenario {source} (+33639989999)"
    assert lines[1].startswith(f"family_name             {family}")


ERRORS = [
    (
        ["0639980001x", "{}"],
        "record '0639980001x' is neither a phone number nor a JSON record ({...} or @FILE)",
    ),
    (["+33145454545", "{}"], "+33145454545: not a mobile line, /IDMOBILE/ refuses it"),
    (
        ["+33639981001", "{}"],
        "+33639981001: scenario idmobile-error-01 answers error 01 to matching_notp, not scores",
    ),
    (
        ["+33639986013", "{}"],
        "+33639986013: scenario operator-not-found holds no subscriber record",
    ),
    (["+33639980001", "{}", "--no-default-pack"], "+33639980001: no scenario answers this number"),
    (
        ["@/no/such/record.json", "{}"],
        "record: cannot read /no/such/record.json: No such file or directory",
    ),
    (
        ["{bad", "{}"],
        "record: not JSON: Expecting property name enclosed in double quotes at line 1 column 2",
    ),
    (['{"family_name": 3}', "{}"], "record/family_name: 3 is not of type 'string'"),
    (
        ["+33639980001", "@/no/such/user.json"],
        "user_infos: cannot read /no/such/user.json: No such file or directory",
    ),
    (["+33639980001", "lastname=x"], "user_infos: not JSON: Expecting value at line 1 column 1"),
    (["+33639980001", '["x"]'], "user_infos: not a JSON object"),
    (["+33639980001", '{"lastname": null}'], "user_infos: lastname is not a string or a number"),
    (["+33639980001", '{"gender": true}'], "user_infos: gender is not a string or a number"),
    (
        ["+33639980001", '{"last_name": "x"}'],
        "user_infos: unknown key 'last_name' (keys: street_address, postal_code, locality, country, birthdate, email, lastname, maiden_name, gender, firstname, phone, number)",
    ),
    (
        ["+33639980001", "{}", "--scenarios", "/no/such.yaml"],
        "/no/such.yaml:1: cannot read the file: [Errno 2] No such file or directory: '/no/such.yaml'",
    ),
]


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run(capsys, *args) == (2, "", f"dqe-mock score: {message}\n")


def test_help_shows_the_examples_and_each_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["score", "--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("usage: dqe-mock score")
    assert 'dqe-mock score +33639980001 \'{"lastname": "de La Fontaine"' in out
    assert "street_address, postal_code, locality, country, birthdate, email" in out
    for text in ("(default matching_notp)", "(default text)", "(default 262144)", "--licence"):
        assert text in out


def test_the_docs_example_prints_what_the_page_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/matching-scores.md: the `dqe-mock score` block is this command's real output."""
    page = Path(__file__).resolve().parent.parent / "docs" / "matching-scores.md"
    readme = page.read_text(encoding="utf-8")
    block = readme.split("```console\n$ dqe-mock score ", 1)[1].split("```", 1)[0]
    command, *printed = block.splitlines()
    code, out, _ = run(capsys, *shlex.split(command))
    assert code == 0
    assert out.splitlines() == printed
