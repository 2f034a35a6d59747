# WeChat Official Account channel (docs/wechat.md). Included by the Makefile (mk/*.mk).
.PHONY: test-wechat wechat-code

test-wechat: $(VENV)/.installed
	@$(BIN)/python -m pytest -q tests/fenqi/wechat $(wildcard tests/channels/test_wechat*.py)

# make wechat-code USER_ID=<user id>  -> a one-time code the user sends in WeChat as "绑定 <code>"
wechat-code: $(VENV)/.installed
	@test -n "$(USER_ID)" || { echo "usage: make wechat-code USER_ID=<user id>"; exit 2; }
	@$(BIN)/python -m fenqi.wechat code $(USER_ID)
