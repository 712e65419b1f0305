import string

import pytest

from lbdl_book import t
from lbdl_book.i18n import STRINGS


def test_every_entry_has_both_languages():
    for key, pair in STRINGS.items():
        assert len(pair) == 2 and all(isinstance(s, str) and s for s in pair), key


def test_placeholders_match_between_languages():
    for key, (en, zh) in STRINGS.items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(s) if f} for s in (en, zh)]
        assert fields[0] == fields[1], key


def test_lookup_follows_language(language):
    language("en")
    assert t("class_k", k=2) == "class 2"
    language("zh")
    assert t("class_k", k=2) == "类别 2"
    assert t("regression") == "回归"


def test_bad_lookups_raise_clear_errors(language):
    language("en")
    with pytest.raises(ValueError, match="no string 'nope'"):
        t("nope")
    with pytest.raises(ValueError, match="needs the value 'k'"):
        t("class_k")
    with pytest.raises(TypeError):
        t(3)
