# Static analysis (included by the top-level Makefile). make lint fails on
# any finding of:
#  - cppcheck (warning, performance, portability) over src/ and
#    tests/fuzz/, with the suppressions in tests/lint/cppcheck-suppressions.txt;
#  - clang-tidy over the same, checks and exclusions in .clang-tidy;
#  - clang-format --dry-run -Werror over tests/fuzz/ against .clang-format.
#    src/ is KNF, which clang-format 14 cannot reproduce (tab-aligned
#    trailing comments, extra indent of nested continuation lines, a
#    programmer's choice of where to wrap), so it is not checked there:
#    reformatting every file would be a large diff for no change in meaning.

CPPCHECK ?= cppcheck
CLANG_TIDY ?= clang-tidy
CLANG_FORMAT ?= clang-format
LINT_DEFS := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DVERSION='"$(VERSION)"' \
	-DIAM_POLICY_PATH='"$(IAM_POLICY_PATH)"'
LINT_SRCS = $(SRCS) $(sort $(wildcard tests/fuzz/*.c))
LINT_FORMAT = $(sort $(wildcard tests/fuzz/*.c tests/fuzz/*.h))

lint: lint-cppcheck lint-tidy lint-format

lint-cppcheck:
	$(CPPCHECK) --enable=warning,performance,portability --std=c11 \
	    --error-exitcode=1 --inline-suppr --quiet \
	    --suppressions-list=tests/lint/cppcheck-suppressions.txt \
	    -Isrc -Itests/fuzz -I/usr/include/cjson $(LINT_DEFS) $(LINT_SRCS)

# Two files at a time; every finding is an error (.clang-tidy). Its count
# of warnings it did not show ("N warnings generated") is left out.
lint-tidy:
	@echo "clang-tidy $(words $(LINT_SRCS)) files"
	@mkdir -p build
	@(printf '%s\n' $(LINT_SRCS) | xargs -P2 -I{} $(CLANG_TIDY) --quiet {} \
	    -- -std=c11 $(LINT_DEFS) -Isrc -Itests/fuzz $(PKG_CFLAGS) \
	    -include tests/lint/cjson-model.h 2>&1; \
	    echo $$? >build/lint-tidy.status) | grep -v 'warnings generated\.$$'; \
	    exit $$(cat build/lint-tidy.status)

lint-format:
	$(CLANG_FORMAT) --dry-run -Werror $(LINT_FORMAT)

.PHONY: lint lint-cppcheck lint-tidy lint-format
