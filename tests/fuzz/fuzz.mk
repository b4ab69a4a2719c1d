# libFuzzer targets, one per parser of untrusted input (included by the
# top-level Makefile). `make fuzz` builds them into build/fuzz/ with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs each for
# FUZZ_SECONDS on a scratch copy of tests/fuzz/corpus/TARGET/, so that runs
# never add files to the tree. Any crash, leak or broken invariant fails.
# `make fuzz-build` only builds; a crash input is saved under
# build/fuzz/artifacts/ and replays with `./build/fuzz/TARGET FILE`.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = $(ALL_CFLAGS) -Werror -O1 -g $(FUZZ_SAN)

# A target is built only once the module it fuzzes has landed.
FUZZ_TARGETS := fuzz_lookup_response fuzz_record fuzz_config \
	fuzz_credstore fuzz_shared_credentials fuzz_aws_profile \
	$(if $(wildcard src/state.c),fuzz_state) \
	$(if $(wildcard src/reportagg.c),fuzz_report_line) \
	fuzz_sts_xml fuzz_credential_json
FUZZ_BINS := $(addprefix build/fuzz/,$(FUZZ_TARGETS))
FUZZ_LIB_OBJS := $(patsubst src/%.c,build/fuzz/obj/%.o,\
	$(filter-out src/main.c,$(SRCS)))
FUZZ_COMMON := build/fuzz/t/fuzz_common.o build/fuzz/t/record_check.o

build/fuzz/obj/%.o: src/%.c src/*.h
	@mkdir -p build/fuzz/obj
	@echo "CC(fuzz) $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libbt.a: $(FUZZ_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_LIB_OBJS)

build/fuzz/t/%.o: tests/fuzz/%.c tests/fuzz/*.h src/*.h
	@mkdir -p build/fuzz/t
	@echo "CC(fuzz) $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz \
	    -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: build/fuzz/t/fuzz_%.o $(FUZZ_COMMON) build/fuzz/libbt.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ \
	    $< $(FUZZ_COMMON) build/fuzz/libbt.a $(LDLIBS)

# Keep the objects between runs: they take the longest to build.
.SECONDARY: $(FUZZ_COMMON) $(patsubst build/fuzz/%,build/fuzz/t/%.o,$(FUZZ_BINS))

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-build
