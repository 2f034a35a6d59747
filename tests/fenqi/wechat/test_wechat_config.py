import pytest

from fenqi.wechat.config import DEFAULT_API_BASE, load_config


def test_none_credentials_read_everything_from_environment():
    env = {"WECHAT_TOKEN": "t", "WECHAT_APPID": "wxid", "WECHAT_APPSECRET": "s",
           "WECHAT_ENCODING_AES_KEY": "k" * 43, "WECHAT_API_BASE": "http://127.0.0.1:9/"}
    config = load_config(None, env)
    assert (config.token, config.appid, config.appsecret) == ("t", "wxid", "s")
    assert config.encoding_aes_key == "k" * 43
    assert config.api_base == "http://127.0.0.1:9"  # trailing slash dropped
    assert config.configured and config.can_decrypt and config.can_call_api


def test_credentials_win_over_environment_and_blank_keys_fall_back():
    config = load_config({"token": "from-yml", "appid": ""}, {"WECHAT_TOKEN": "env", "WECHAT_APPID": "env-id"})
    assert config.token == "from-yml"
    assert config.appid == "env-id"


def test_nothing_configured_is_not_an_error_but_reports_unconfigured():
    config = load_config(None, {})
    assert not config.configured
    assert not config.can_call_api and not config.can_decrypt
    assert config.api_base == DEFAULT_API_BASE


@pytest.mark.parametrize("value", ["0", "5", "7.5", "abc"])
def test_passive_timeout_must_leave_room_inside_wechats_five_seconds(value):
    with pytest.raises(ValueError):
        load_config({"passive_timeout": value}, {})


def test_passive_timeout_is_configurable():
    assert load_config(None, {"WECHAT_PASSIVE_TIMEOUT": "0.3"}).passive_timeout == 0.3
