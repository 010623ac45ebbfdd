import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tenants.identifiers import tckn_is_valid, validate_tax_identifier, vkn_is_valid


@pytest.mark.parametrize("vkn", ["1234567890", "3900383669", "9000068418", "4840847211", "0123456789"])
def test_valid_vkns_pass(vkn):
    assert vkn_is_valid(vkn)
    validate_tax_identifier(vkn)


@pytest.mark.parametrize("vkn", ["1234567891", "3900383668", "1111111111", "9000068410"])
def test_vkn_with_a_wrong_check_digit_fails(vkn):
    assert not vkn_is_valid(vkn)
    with pytest.raises(ValidationError) as caught:
        validate_tax_identifier(vkn)
    assert caught.value.code == "vkn_check"


@pytest.mark.parametrize("tckn", ["10000000146", "12345678950", "11111111110"])
def test_valid_tckns_pass(tckn):
    assert tckn_is_valid(tckn)
    validate_tax_identifier(tckn)


@pytest.mark.parametrize(
    "tckn",
    [
        "11111111111",  # the eleventh digit is wrong
        "10000000136",  # the tenth digit is wrong
        "01234567890",  # a TCKN never starts with 0
    ],
)
def test_tckn_with_wrong_check_digits_fails(tckn):
    assert not tckn_is_valid(tckn)
    with pytest.raises(ValidationError) as caught:
        validate_tax_identifier(tckn)
    assert caught.value.code == "tckn_check"


@pytest.mark.parametrize("value", ["123456789", "123456789012", "", "1"])
def test_wrong_length_is_named(value):
    with pytest.raises(ValidationError) as caught:
        validate_tax_identifier(value or "x")
    assert caught.value.code in {"length", "not_digits"}


@pytest.mark.parametrize("value", ["12345 67890", "123456789O", "١٢٣٤٥٦٧٨٩٠", "-123456789"])
def test_non_digits_are_refused(value):
    assert not vkn_is_valid(value)
    with pytest.raises(ValidationError) as caught:
        validate_tax_identifier(value)
    assert caught.value.code == "not_digits"


def test_messages_say_what_is_wrong():
    with pytest.raises(ValidationError) as caught:
        validate_tax_identifier("123456789")
    assert "10" in caught.value.messages[0] and "9" in caught.value.messages[0]


def test_messages_are_in_turkish_too():
    with pytest.raises(ValidationError) as caught:
        validate_tax_identifier("1234567891")
    with translation.override("tr"):
        assert caught.value.messages == ["1234567891 geçerli bir VKN değil: kontrol hanesi hatalı."]
