"""``SESSIONSVC_SUPPORT_CONTACT``: an email address or an http(s) URL, carried by the join page
(escaped) for the screens of links that do not work."""

from __future__ import annotations

import pytest

from sessionsvc.settings import Settings, SettingsError
from sessionsvc.web.routes import join_page_html


@pytest.mark.parametrize("value", ["help@example.test", "https://help.example.test/sessions"])
def test_a_contact_is_an_email_address_or_a_web_address(value: str) -> None:
    assert Settings.from_env({"SESSIONSVC_SUPPORT_CONTACT": value}).support_contact == value


@pytest.mark.parametrize("value", ["the chat bubble", "javascript:alert(1)", "ftp://x"])
def test_anything_else_is_one_clear_line(value: str) -> None:
    with pytest.raises(SettingsError, match="SESSIONSVC_SUPPORT_CONTACT"):
        Settings.from_env({"SESSIONSVC_SUPPORT_CONTACT": value})


def test_the_join_page_carries_the_contact_escaped() -> None:
    page = join_page_html('https://help.example.test/?a=1&b="2"')
    assert (
        '<meta name="support-contact" content="https://help.example.test/?a=1&amp;b=&quot;2&quot;">'
        in page
    )
    assert '<meta name="support-contact" content="">' in join_page_html("")
