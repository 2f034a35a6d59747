# Security (docs/security.md, issue #11). Included by the Makefile (mk/*.mk).
#   make test-security   the attack tests and a bounded fuzz run against the real servers
#   make fuzz            a long fuzz run (FUZZ_INPUTS, default 10000) printing counts and peak RSS
.PHONY: test-security fuzz
FUZZ_INPUTS ?= 10000
FUZZ_SEED ?= 11

test-security: setup $(MODEL)
	@$(BIN)/python -m pytest -q tests/security tests/fenqi/security

fuzz: setup $(MODEL)
	@$(BIN)/python -m tests.security.fuzzing --inputs $(FUZZ_INPUTS) --seed $(FUZZ_SEED)
