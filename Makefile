# Sokuho build. `make run` and `make check` are the two commands of the README;
# everything else here serves them.
#
#   make            build build/sokuho
#   make run        install missing packages, start the embedded PostgreSQL
#                   (unless DATABASE_URL is set), migrate, serve on :8080
#   make stop       stop the embedded PostgreSQL
#   make check      unit, database and end-to-end tests, then again under
#                   AddressSanitizer + UndefinedBehaviorSanitizer
#   make clean      remove build/

CC := gcc
B ?= build
SAN ?=

PKGS := libmicrohttpd jansson libpq libsodium libesmtp-1.0 libgvc openssl
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wformat=2
ifneq ($(CI),)
WARN += -Werror
endif

# GMime (and GLib under it) reads reported mail (src/mail/intake.c); its
# headers are system headers, so the strict warnings stay ours.
GMIME_CFLAGS = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags gmime-3.0 2>/dev/null))
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(GMIME_CFLAGS)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) gmime-3.0 2>/dev/null) -lpthread -lm
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
CURL_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)

OPT := -O2
ifeq ($(SAN),1)
OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CFLAGS := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) -Isrc -Itests -MMD -MP
LDFLAGS := $(OPT)

LIB_SRC := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
DB_SRC := $(sort $(wildcard tests/db/*.c)) tests/support.c
E2E_SRC := $(sort $(wildcard tests/e2e/*.c)) tests/support.c

.PHONY: all run stop check lint clean deps-run deps-check build-tests sanitize

all: $(B)/sokuho

# `make V=1` shows the full command lines.
Q := $(if $(V),,@)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC  $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(B)/libsokuho.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/sokuho: $(B)/obj/src/main.o $(B)/libsokuho.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/test_unit: $(UNIT_SRC:%.c=$(B)/obj/%.o) $(B)/libsokuho.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

$(B)/test_db: $(DB_SRC:%.c=$(B)/obj/%.o) $(B)/libsokuho.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

$(B)/test_e2e: $(E2E_SRC:%.c=$(B)/obj/%.o) $(B)/libsokuho.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS) $(CURL_LIBS)

build-tests: $(B)/sokuho $(B)/test_unit $(B)/test_db $(B)/test_e2e

sanitize:
	$(MAKE) B=build/san SAN=1 build-tests

deps-run:
	@bash scripts/deps.sh run

deps-check:
	@bash scripts/deps.sh check

run: deps-run
	@$(MAKE) --no-print-directory all
	@bash scripts/run.sh

stop:
	@bash scripts/pgctl.sh stop

check: deps-check
	@$(MAKE) --no-print-directory build-tests
	@$(MAKE) --no-print-directory sanitize
	@bash scripts/check.sh

lint:
	@bash scripts/lint.sh

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# `make install [PREFIX=/usr/local] [DESTDIR=]`: the binary, the data it loads
# (templates, static, sql, workflows), a sample config and the systemd units;
# the paths inside the last two are filled in for PREFIX. See README
# "Deployment".
.PHONY: install
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
SHAREDIR = $(PREFIX)/share/sokuho
SYSCONFDIR = /etc/sokuho
UNITDIR = $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DIST_SED = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SHAREDIR@|$(SHAREDIR)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(B)/sokuho $(DESTDIR)$(BINDIR)/sokuho
	for d in templates static sql workflows drills calendar; do \
		rm -rf $(DESTDIR)$(SHAREDIR)/$$d && cp -R $$d $(DESTDIR)$(SHAREDIR)/$$d || exit 1; \
	done
	chmod -R u=rwX,go=rX $(DESTDIR)$(SHAREDIR)
	$(DIST_SED) dist/sokuho.conf >$(DESTDIR)$(SYSCONFDIR)/sokuho.conf.sample
	chmod 644 $(DESTDIR)$(SYSCONFDIR)/sokuho.conf.sample
	for u in sokuho.service sokuho-worker.service; do \
		$(DIST_SED) dist/$$u >$(DESTDIR)$(UNITDIR)/$$u && chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

# `make bench`: the benchmarks of docs/benchmarks.md (not part of `make
# check`). Builds build/bench/ and runs scripts/bench.sh against a private,
# durable PostgreSQL cluster in build/bench/pgdata; about 15 minutes.
.PHONY: bench
bench:
	@bash scripts/deps.sh bench
	@$(MAKE) --no-print-directory B=build/bench all
	@bash scripts/bench.sh

# `make fuzz-mail [FUZZ_SECONDS=60]`: the libFuzzer harness of the mail
# intake's reading (tests/fuzz/fuzz_mail.c: message bytes in, facts out, no
# database), built with clang's -fsanitize=fuzzer,address,undefined and run
# on its seeds and the mail fixtures; new inputs go to build/fuzz/corpus.
.PHONY: fuzz-mail
FUZZ_SECONDS ?= 60
FUZZ_SRC := tests/fuzz/fuzz_mail.c src/mail/intake.c src/core/buf.c src/core/utf8.c src/core/xalloc.c

build/fuzz/fuzz_mail: $(FUZZ_SRC) src/mail/intake.h
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc \
		$(GMIME_CFLAGS) $(shell pkg-config --cflags jansson libsodium) $(FUZZ_SRC) -o $@ \
		$(shell pkg-config --libs gmime-3.0 jansson libsodium)

fuzz-mail: build/fuzz/fuzz_mail
	@mkdir -p build/fuzz/corpus
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=tests/lsan.supp \
		build/fuzz/fuzz_mail -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
		build/fuzz/corpus tests/fuzz/seeds tests/mail/fixtures
