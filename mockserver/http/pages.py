"""HTML of the simulated operator's consent step; every value shown goes through escape()."""

from __future__ import annotations

import hashlib
from html import escape
from urllib.parse import urlsplit

import phonenumbers

from mockserver.contract.errors import split_scope
from mockserver.domain.consent import ConsentStep, Replaced
from mockserver.domain.sessions import Session

# Brand colour and the text colour that reads on it; other operators get a colour from their name.
OPERATOR_COLOURS = {
    "orange": ("#ff7900", "#000000"),
    "sfr": ("#e2001a", "#ffffff"),
    "bouygues telecom": ("#00529c", "#ffffff"),
    "free": ("#cd1e25", "#ffffff"),
}

SHARED = {
    "numVerify": "Confirmation that this line is the number {partner} has for you",
    "formfilling": "Your identity (name, gender), birth date, email and postal address",
    "matching": "A comparison of the data {partner} holds about you with your operator's "
    "records (scores only)",
}

RESULTS = {
    "approve": ("Done", "{operator} is sending the result to {partner}."),
    "deny": ("You refused", "Nothing was shared with {partner}."),
    "wrong_otp": ("Check failed", "The line could not be confirmed. Nothing was shared."),
    "operator_failure": ("Operator error", "{operator} could not send the data to {partner}."),
}

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 background:#f2f2f4;color:#1d1d1f}
header{background:var(--brand);color:var(--on-brand);padding:14px 24px;display:flex;
 align-items:center;gap:12px}
.logo{font-weight:800;font-size:22px;letter-spacing:-.02em}
.logo-mark{width:30px;height:30px;border-radius:6px;background:var(--on-brand);
 color:var(--brand);display:grid;place-items:center;font-weight:900}
.tag{margin-left:auto;font-size:14px;opacity:.85}
main{max-width:460px;margin:28px auto;background:#fff;border-radius:12px;padding:24px 28px;
 box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:21px;margin:0 0 6px}
h2{font-size:15px;margin:18px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:#555}
.muted{color:#666;font-size:14px;margin:0}
ul{margin:0;padding-left:20px}
li{margin:4px 0}
.test{background:#fff8d6;border:1px dashed #c9a400;border-radius:8px;padding:8px 12px;
 font-size:14px;margin:0 0 18px}
.test code{font-size:16px;font-weight:700;letter-spacing:.12em}
.message{margin:16px 0 0;padding:10px 12px;border-radius:8px;background:#eef3ff}
.message.error{background:#fdecec;color:#a30000;font-weight:600}
label{display:block;margin:18px 0 6px;font-weight:600}
input{width:100%;font-size:22px;letter-spacing:.3em;padding:10px 12px;border:2px solid #bbb;
 border-radius:8px}
input:focus{outline:none;border-color:var(--brand)}
.actions{display:flex;gap:12px;margin-top:20px}
button,.button{flex:1;font-size:17px;font-weight:700;padding:12px;border-radius:24px;
 cursor:pointer;text-align:center;text-decoration:none;display:inline-block}
.accept{background:var(--brand);color:var(--on-brand);border:2px solid var(--brand)}
.refuse{background:#fff;color:#1d1d1f;border:2px solid #1d1d1f}
footer{text-align:center;font-size:12px;color:#888;margin:0 0 24px}
"""


def consent_page(step: ConsentStep) -> str:
    """The whole consent page: the form while it is open, else the result or the expiry.

    The form has no action: it posts to the page's own url, whatever proxy serves it.
    """
    session = step.session
    if step.completed:
        body = _finished(step)
    elif step.expired:
        body = _expired(step)
    else:
        body = _form(step)
    return _document(session.operator, f"{session.operator} — consent", body)


def not_found_page() -> str:
    """The page of an unknown consent url (never issued, or the mock was reset)."""
    body = (
        "<h1>Unknown request</h1><p class='muted'>This consent link is unknown: it was never "
        "issued, or the mock was reset since.</p>"
    )
    return _document("dqe-mock", "Unknown consent request", body)


def replaced_page(replaced: Replaced) -> str:
    """The page of a consent url whose session a later /IDMOBILE/ with the same token
    replaced: what happened and when (410)."""
    body = f"<h1>This request was replaced</h1><p id='replaced'>{escape(replaced.explanation)}</p>"
    return _document(replaced.operator, "Replaced consent request", body)


def operator_colours(name: str) -> tuple[str, str]:
    """(background, text) colours of an operator's header."""
    known = OPERATOR_COLOURS.get(name.strip().lower())
    if known:
        return known
    hue = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16) % 360
    return f"hsl({hue} 60% 32%)", "#ffffff"


def _document(operator: str, title: str, body: str) -> str:
    brand, on_brand = operator_colours(operator)
    initial = escape(operator[:1].upper() or "?")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body style='--brand:{brand};--on-brand:{on_brand}'>"
        f"<header><span class='logo-mark'>{initial}</span>"
        f"<span class='logo' id='operator'>{escape(operator)}</span>"
        "<span class='tag'>Mobile ID check</span></header>"
        f"<main>{body}</main>"
        "<footer>Simulated operator page served by dqe-mock, for tests only.</footer>"
        "</body></html>"
    )


def _partner(session: Session) -> str:
    code = (
        f" <span class='muted' id='code-name'>(code {escape(session.code_name)})</span>"
        if session.code_name
        else ""
    )
    return f"<strong id='partner'>{escape(session.partner)}</strong>{code}"


def _form(step: ConsentStep) -> str:
    session = step.session
    shared = "".join(
        f"<li>{escape(SHARED[part].format(partner=session.partner))}</li>"
        for part in split_scope(session.scope)
        if part in SHARED
    )
    test_note = (
        f"Test mode: the code sent by SMS is <code id='expected-code'>"
        f"{escape(step.expected_code)}</code>"
        if step.expected_code is not None
        else "Test mode: no code for this check; the scenario decides what the operator detects."
    )
    heading = (
        "Confirm your identity" if step.show_otp_field else f"{session.operator} detected your line"
    )
    return (
        f"<p class='test'>{test_note}</p>"
        f"<h1>{escape(heading)}</h1>"
        f"<p class='muted'>{_partner(session)} asks about the line "
        f"<span id='number'>{escape(_pretty(session.number))}</span>.</p>"
        f"<h2>What will be shared</h2><ul id='shared'>{shared}</ul>"
        f"{_message(step)}"
        f"<form method='post'>{_fields(step)}</form>"
    )


def _fields(step: ConsentStep) -> str:
    otp = (
        "<label for='otp'>Code received by SMS</label>"
        "<input id='otp' name='otp' inputmode='numeric' autocomplete='one-time-code' "
        f"maxlength='12' required autofocus><p class='muted' id='attempts'>"
        f"{step.attempts_left} {'try' if step.attempts_left == 1 else 'tries'} left</p>"
        if step.show_otp_field
        else ""
    )
    # Accept comes first: Enter in the code field submits the first button.
    return (
        f"{otp}<div class='actions'>"
        "<button type='submit' id='accept' class='accept' name='decision' value='approve'>"
        "Accept</button>"
        "<button type='submit' id='refuse' class='refuse' name='decision' value='deny' "
        "formnovalidate>Refuse</button></div>"
    )


def _message(step: ConsentStep) -> str:
    if not step.message:
        return ""
    kind = "message error" if step.error else "message"
    role = " role='alert'" if step.error else ""
    return f"<p id='message' class='{kind}'{role}>{escape(step.message)}</p>"


def _finished(step: ConsentStep) -> str:
    session = step.session
    title, text = RESULTS.get(session.decision or "", ("Finished", ""))
    detail = text.format(operator=escape(session.operator), partner=_partner(session))
    back = (
        f"<p class='actions'><a class='button accept' id='back' href='{escape(step.redirect_to)}'>"
        f"Back to {escape(session.partner)}</a></p>"
        if step.redirect_to and _is_web_url(step.redirect_to)
        else ""
    )
    return (
        f"<h1>{escape(title)}</h1><p>{detail}</p>"
        f"<p class='muted'>status: <span id='result'>{escape(session.redirect_status)}</span></p>"
        f"{back}"
    )


def _expired(step: ConsentStep) -> str:
    return (
        "<h1>This request has expired</h1>"
        f"<p>Go back to {_partner(step.session)} and start again.</p>"
    )


def _pretty(number: str) -> str:
    """+33639980001 -> +33 6 39 98 00 01 (as given when it does not parse)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def _is_web_url(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")
