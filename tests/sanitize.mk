# Sanitizer and valgrind runs of the whole test suite (included by the
# top-level Makefile).
#
# make check-asan: everything rebuilt into build/asan/ with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer, no recovery; the unit tests,
# then the e2e tests with BEDROCK_TRAIL_BIN=build/asan/bedrock-trail.
# make check-valgrind: the unit tests and a fast subset of the e2e tests
# (VALGRIND_E2E) with every binary invocation under valgrind, through
# BEDROCK_TRAIL_WRAPPER.
# Either fails on a failing test or on any report in its log directory
# (build/asan/logs, build/valgrind/logs), whatever the tests asserted.

ASAN_CC ?= $(CC)
ASAN_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
ASAN_CFLAGS = $(ALL_CFLAGS) -Werror -O1 -g $(ASAN_SAN)
ASAN_LIB_OBJS := $(patsubst src/%.c,build/asan/obj/%.o,\
	$(filter-out src/main.c,$(SRCS)))
ASAN_UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRCS))
VALGRIND_UNIT_BINS := $(patsubst tests/unit/%.c,build/valgrind/tests/%,\
	$(UNIT_SRCS))

# Reports go to files that tests/sanitize.sh checks; the binary's own
# stderr stays what the e2e tests expect. faketime preloads itself ahead
# of the ASan runtime, which ASan refuses unless told it is fine.
ASAN_LOGS = $(CURDIR)/build/asan/logs
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:$\
detect_stack_use_after_return=1:check_initialization_order=1:$\
verify_asan_link_order=0:log_path=$(ASAN_LOGS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:$\
log_path=$(ASAN_LOGS)/ubsan \
	LSAN_OPTIONS=log_path=$(ASAN_LOGS)/lsan

VALGRIND_LOGS = $(CURDIR)/build/valgrind/logs
VALGRIND = valgrind --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect --num-callers=30 \
	--log-file=$(VALGRIND_LOGS)/vg.%p

# The e2e tests under valgrind: test-connection, poll, report, status and
# connect, but not the tests that measure time or memory, which valgrind's
# slowdown and overhead break rather than test (the request rate seen by
# the simulator, three regions in the time of one, report's peak RSS),
# nor the fault matrix (minutes of retries and timeouts). Tests that start
# the binary directly rather than through the wrapper (SIGKILL, concurrent
# polls, connect at a terminal) run it without valgrind.
VALGRIND_E2E ?= tests/e2e/test_test_connection.py tests/e2e/test_poll.py \
	tests/e2e/test_report.py tests/e2e/test_status.py \
	tests/e2e/test_connect.py \
	-k "not throttling_loses and not three_regions and not sigkill and \
	not concurrent and not memory_does_not_grow"

build/asan/obj/%.o: src/%.c src/*.h
	@mkdir -p build/asan/obj
	@echo "CC(asan) $<"; $(ASAN_CC) $(ASAN_CFLAGS) -c -o $@ $<

build/asan/libbt.a: $(ASAN_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(ASAN_LIB_OBJS)

build/asan/bedrock-trail: build/asan/obj/main.o build/asan/libbt.a
	$(ASAN_CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ build/asan/obj/main.o \
	    build/asan/libbt.a $(LDLIBS)

build/asan/tests/%: tests/unit/%.c tests/unit/t.h build/asan/libbt.a
	@mkdir -p build/asan/tests
	$(ASAN_CC) $(ASAN_CFLAGS) -Wno-unused-parameter -Itests/unit \
	    $(LDFLAGS) -o $@ $< \
	    build/asan/libbt.a $(LDLIBS)

# run-unit.sh runs each test by path: a script that runs it under valgrind.
build/valgrind/tests/%: build/tests/%
	@mkdir -p build/valgrind/tests
	@printf '#!/bin/sh\nexec %s ./%s "$$@"\n' "$(VALGRIND)" $< >$@
	@chmod +x $@

# The plain binary too: test_docs and test_examples read its help and
# install it, as check-valgrind's tests run it.
check-asan: all build/asan/bedrock-trail $(ASAN_UNIT_BINS)
	@sh tests/sanitize.sh start $(ASAN_LOGS)
	-$(ASAN_ENV) sh tests/run-unit.sh $(ASAN_UNIT_BINS); \
	    echo $$? >$(ASAN_LOGS)/unit.status
	-$(ASAN_ENV) BEDROCK_TRAIL_BIN=$(CURDIR)/build/asan/bedrock-trail \
	    $(PYTEST) -m "not slow" tests/e2e; \
	    echo $$? >$(ASAN_LOGS)/e2e.status
	@sh tests/sanitize.sh finish $(ASAN_LOGS)

check-valgrind: all $(UNIT_BINS) $(VALGRIND_UNIT_BINS)
	@sh tests/sanitize.sh start $(VALGRIND_LOGS)
	-sh tests/run-unit.sh $(VALGRIND_UNIT_BINS); \
	    echo $$? >$(VALGRIND_LOGS)/unit.status
	-BEDROCK_TRAIL_WRAPPER="$(VALGRIND)" /usr/bin/python3 -m pytest -q \
	    -p no:cacheprovider $(VALGRIND_E2E); \
	    echo $$? >$(VALGRIND_LOGS)/e2e.status
	@sh tests/sanitize.sh finish $(VALGRIND_LOGS)

.PHONY: check-asan check-valgrind
