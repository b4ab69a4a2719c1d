# bedrock-trail: see README.md. `make`, `make check`, `make demo`, `make bench`,
# `make check-fresh`, `make install` / `make uninstall` (PREFIX, DESTDIR).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/bedrock-trail
CRONDIR ?= /etc/cron.d

PKGS := libcurl openssl libcjson yaml-0.1 expat zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION := 0.1.0
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wconversion -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla
# Warnings are errors in `make check`, CI and the sanitizer builds, but not
# in a plain `make`: a packager's newer compiler may warn about something
# new, and a release must still build. `make WERROR=-Werror` for the strict
# build by hand.
WERROR ?=
# Messages point at the IAM policy example where make install puts it.
IAM_POLICY_PATH := $(DOCDIR)/examples/iam-policy.json
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DVERSION='"$(VERSION)"' -DIAM_POLICY_PATH='"$(IAM_POLICY_PATH)"' \
	-Isrc $(WARN) $(WERROR) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS += $(PKG_LIBS) -lpthread

SRCS := $(sort $(wildcard src/*.c))
LIB_OBJS := $(patsubst src/%.c,build/%.o,$(filter-out src/main.c,$(SRCS)))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRCS))

all: bedrock-trail

bedrock-trail: build/main.o build/libbt.a
	@echo "LD $@"; $(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ build/main.o build/libbt.a $(LDLIBS)

build/%.o: src/%.c src/*.h build/.werror | build
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) -c -o $@ $<

# A later `make install PREFIX=/usr` must not keep the old path built in.
build/ct_report.o: build/docdir.stamp
build/docdir.stamp: FORCE | build
	@echo '$(IAM_POLICY_PATH)' | cmp -s - $@ || echo '$(IAM_POLICY_PATH)' > $@

# Changes when WERROR does, so that `make check` after `make` recompiles
# everything with warnings as errors.
build/.werror: FORCE | build
	@v='$(WERROR)'; [ -f $@ ] && [ "$$(cat $@)" = "$$v" ] || echo "$$v" >$@

build/libbt.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

# Each unit test links the real modules it needs out of the archive.
build/tests/%: tests/unit/%.c tests/unit/*.h build/libbt.a build/.werror | build
	@mkdir -p build/tests
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) -Wno-unused-parameter -Itests/unit $(LDFLAGS) -o $@ $< build/libbt.a $(LDLIBS)

build:
	@mkdir -p build

deps:
	@sh tests/deps.sh

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

# The end-to-end tests spend most of their time waiting (AWS's 2 requests/s,
# backoff, clocks), not computing: four workers cut the wall time by about
# three. One test file per worker (loadfile), so that a file's shared
# fixtures, such as the users test_root makes, never meet another worker's.
TEST_JOBS ?= 4
PYTEST := /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	-n $(TEST_JOBS) --dist loadfile

check: deps
	$(MAKE) WERROR=-Werror all unit
	$(PYTEST) tests/e2e

demo: deps
	$(MAKE) all
	@sh tests/demo.sh

# The two commands above, proven on a minimal Debian 12 root (as root).
check-fresh:
	@sh tests/fresh.sh

bench: all
	@/usr/bin/python3 tests/bench/bench.py

# The cron file goes to the examples, not to /etc/cron.d: installing it
# there would start polling before anyone ran `connect`. See README.md.
DOC_FILES = README.md LICENSE
DOC_EXAMPLES = config.yaml service-config.yaml iam-policy.json \
	role-trust-policy.json \
	bedrock-trail-poll.service bedrock-trail-poll.timer \
	bedrock-trail-alert.service logrotate.conf \
	jq-recipes.md vector.toml discoveries.yaml vector-discoveries.toml \
	organization.yaml org-management-policy.json member-role-policy.json \
	member-role-trust-policy.json member-role-stackset.yaml

# The installed binary is linked on its own, with the policy path of the
# DOCDIR it goes to, so that `make install PREFIX=...` never rewrites the
# ./bedrock-trail that the tests (or a person) may be running meanwhile.
INSTALL_OBJS := build/main.o build/install/ct_report.o \
	$(filter-out build/ct_report.o,$(LIB_OBJS))
build/install/ct_report.o: src/ct_report.c src/*.h FORCE | build
	@mkdir -p build/install
	@echo "CC $< (for $(DOCDIR))"; $(CC) $(ALL_CFLAGS) -c -o $@ src/ct_report.c
build/install/bedrock-trail: $(INSTALL_OBJS)
	@echo "LD $@"; $(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(INSTALL_OBJS) $(LDLIBS)

install: build/install/bedrock-trail
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -d $(DESTDIR)$(DOCDIR)/examples/cron.d
	install -m 0755 build/install/bedrock-trail $(DESTDIR)$(BINDIR)/bedrock-trail
	install -m 0644 man/bedrock-trail.1 $(DESTDIR)$(MANDIR)/man1/bedrock-trail.1
	install -m 0644 man/bedrock-trail.yaml.5 $(DESTDIR)$(MANDIR)/man5/bedrock-trail.yaml.5
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(DOC_EXAMPLES:%=examples/%) $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 cron.d/bedrock-trail $(DESTDIR)$(DOCDIR)/examples/cron.d/bedrock-trail

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bedrock-trail
	rm -f $(DESTDIR)$(MANDIR)/man1/bedrock-trail.1
	rm -f $(DESTDIR)$(MANDIR)/man5/bedrock-trail.yaml.5
	rm -f $(DOC_FILES:%=$(DESTDIR)$(DOCDIR)/%)
	rm -f $(DOC_EXAMPLES:%=$(DESTDIR)$(DOCDIR)/examples/%)
	rm -f $(DESTDIR)$(DOCDIR)/examples/cron.d/bedrock-trail
	for d in $(DESTDIR)$(DOCDIR)/examples/cron.d $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(DOCDIR); do rmdir "$$d" 2>/dev/null || :; done
	@echo "make uninstall removed what make install put in place. It leaves the"
	@echo "set-up: /etc/cron.d/bedrock-trail, /etc/logrotate.d/bedrock-trail, the"
	@echo "units in /etc/systemd/system, the bedrock-trail user, /etc/bedrock-trail"
	@echo "(config and key), /var/lib/bedrock-trail (state and store) and"
	@echo "/var/log/bedrock-trail (records). See Tear-down in README.md."

clean:
	rm -rf build bedrock-trail

.PHONY: FORCE all deps unit check demo check-fresh bench install uninstall clean

include tests/fuzz/fuzz.mk
include tests/sanitize.mk
include tests/lint.mk
