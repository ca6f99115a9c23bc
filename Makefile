# The two commands of the README: `make demo` and `make test`. Both install OpenBLAS first
# when it is missing and they can (see scripts/ensure-deps.sh). `make test` builds first so
# the command-line tests run the current `compactrec` binary.
SWIFT ?= swift

.PHONY: demo test deps release

deps:
	@scripts/ensure-deps.sh

release: deps
	$(SWIFT) build -c release --product compactrec

demo: release
	.build/release/compactrec demo

test: deps
	$(SWIFT) build
	$(SWIFT) test
