# nextdeploy — see README.md. `make`, `make test`, `make asan`, `make install`.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

# O: where objects go; BIN: the binary. `make asan` uses its own O and BIN.
O ?= build
BIN ?= nextdeploy

CC ?= cc
PKGS = libcurl libcjson yaml-0.1 libarchive libgit2 libssh2 openssl
VERSION := $(shell cat VERSION)

DEVELOPER_CFLAGS = -Wall -Wextra -Werror -Wformat-security -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wwrite-strings -fno-common
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(DEVELOPER_CFLAGS) -I. \
	-DND_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRCS = $(sort $(wildcard core/*.c docker/*.c buildpacks/*.c))
CMD_SRCS = $(sort $(wildcard cmd/*.c)) main.c
UNIT_SRCS = $(sort $(wildcard tests/unit/t-*.c))

LIB_OBJS = $(LIB_SRCS:%.c=$(O)/%.o)
CMD_OBJS = $(CMD_SRCS:%.c=$(O)/%.o)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)
LIBND = $(O)/libnextdeploy.a

all: $(BIN)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBND): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CMD_OBJS) $(LIBND)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(LIBND) $(LIBS)

$(O)/tests/unit/%: tests/unit/%.c tests/unit/unit.h $(LIBND)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBND) $(LIBS)

unit-bins: $(UNIT_BINS)

# Everything on a fresh Debian machine: packages, an engine, the offline base
# images, then unit and end-to-end tests. Ends with "N passed, N failed".
test:
	bash tests/setup/engine.sh
	$(MAKE) $(BIN) unit-bins
	bash tests/setup/images.sh
	NEXTDEPLOY_BIN=$(abspath $(BIN)) UNIT_DIR=$(abspath $(O)/tests/unit) bash tests/run.sh

# The README's demo: build nextdeploy and deploy examples/hello locally.
demo:
	bash scripts/demo.sh

# Only the unit tests (no engine needed).
unit: unit-bins
	NEXTDEPLOY_BIN=$(abspath $(BIN)) UNIT_DIR=$(abspath $(O)/tests/unit) bash tests/run.sh --unit

# Install the build dependencies (and the engine) when they are missing (Debian).
deps:
	bash tests/setup/engine.sh

asan:
	$(MAKE) test O=build/asan BIN=build/asan/nextdeploy SANITIZE=address,undefined \
		CFLAGS='-O1 -g' \
		ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/nextdeploy
	for f in man/*.1; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(MANDIR)/man1/ || true; done
	for f in man/*.5; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(MANDIR)/man5/ || true; done
	[ ! -e completions/nextdeploy.bash ] || install -m 644 completions/nextdeploy.bash $(DESTDIR)$(BASHCOMPDIR)/nextdeploy
	[ ! -e completions/_nextdeploy ] || install -m 644 completions/_nextdeploy $(DESTDIR)$(ZSHCOMPDIR)/_nextdeploy
	[ ! -e completions/nextdeploy.fish ] || install -m 644 completions/nextdeploy.fish $(DESTDIR)$(FISHCOMPDIR)/nextdeploy.fish

# The manual pages and completion scripts are generated from the command
# table and checked in; tests/t0010-help.sh fails when they drift. Run this
# after changing a command's spec, and commit the result.
docs: $(BIN)
	rm -f man/*.1 man/*.5
	./$(BIN) __docs man man
	@mkdir -p completions
	./$(BIN) completion bash >completions/nextdeploy.bash
	./$(BIN) completion zsh >completions/_nextdeploy
	./$(BIN) completion fish >completions/nextdeploy.fish

lint:
	clang-format --dry-run --Werror $(LIB_SRCS) $(CMD_SRCS) $(wildcard core/*.h docker/*.h buildpacks/*.h cmd/*.h)

clean:
	rm -rf build $(BIN)

.PHONY: all demo test unit unit-bins deps asan install docs lint clean

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d)
