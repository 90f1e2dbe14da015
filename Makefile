# The two commands of the README, and a few more. CMake does the real work.
#   make run    install what is missing to build and run, build, start the broker on ./var
#   make test   install what is missing, check the format, build, run every test, then
#               again under ASan+UBSan and under TSan, then each fuzz target for
#               TEST_FUZZ_SECONDS (20)
#   make demo   the whole flow, bulletin included, in two minutes (scripts/demo)
#   make fuzz   build the libFuzzer targets (clang) and run each for FUZZ_SECONDS (300)
#   make format apply .clang-format to every C source; make format-check fails on a difference
#   make install  build, then install the programs, man pages, configuration and systemd
#               units under PREFIX (/usr/local; the configuration in /etc/dajia; DESTDIR
#               honoured); README.md, Install
# scripts/setup installs the Debian packages: `run` for building and running, `test` for
# the tests and tools too (cmocka, clang, clang-format, docker-compose, help2man, ...).
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure -j $(JOBS)
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
TEST_FUZZ_SECONDS ?= 20
PREFIX     ?= /usr/local

.PHONY: all setup setup-install setup-test build build-asan build-tsan build-fuzz test-tsan run \
        demo test test-fast test-asan test-fuzz fuzz bench clean format format-check install

all: build

setup:
	@sh scripts/setup run

setup-install:
	@sh scripts/setup install

setup-test:
	@sh scripts/setup test

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup-test
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDAJIA_SANITIZE=address,undefined >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# ThreadSanitizer: the broker runs an api thread, a writer, a dispatcher and the workers.
build-tsan: setup-test
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDAJIA_SANITIZE=thread >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)

# libFuzzer needs clang: the fuzz targets have a build directory of their own.
build-fuzz: setup-test
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAJIA_FUZZ=ON \
	    -DDAJIA_SANITIZE=address,undefined >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all

# Secure by default: the first run makes the keys (the broker's pair and a certificate
# per member unit, the Office, a dashboard, the admin and the workers) in var/keys;
# clients run from this directory find them there. The broker and the web dashboard run
# together (scripts/run): it prints DASH http://127.0.0.1:7480/, one Ctrl-C stops both.
run: build
	@mkdir -p var
	@[ -f var/keys/broker.cert ] || $(BUILD)/clients/dajia-ctl keys init --dir var/keys
	exec sh scripts/run $(BUILD)

# The whole flow with a bulletin, on a broker of its own whose clock stands just before
# the month's end (data in var/demo, ports 7410-7413): see scripts/demo.
demo: build
	@sh scripts/demo $(BUILD)

test-fast: setup-test build
	cd $(BUILD) && ctest $(CTEST_ARGS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS)

test-tsan: build-tsan
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan/tsan.supp ctest $(CTEST_ARGS)

# Crashes go to $(FUZZ_BUILD)/fuzz/crashes/<target>/; see tests/fuzz/README.md.
fuzz: build-fuzz
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

test-fuzz: build-fuzz
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(TEST_FUZZ_SECONDS)

# The C sources under git: generated code lives in the build directories and is not formatted.
FORMAT_FILES = git ls-files '*.c' '*.h'

format: setup-test
	@$(FORMAT_FILES) | xargs clang-format -i

format-check: setup-test
	@$(FORMAT_FILES) | xargs clang-format --dry-run --Werror && echo "format-check: clean"

test: format-check test-fast test-asan test-tsan test-fuzz

# Installs what `make build` built (as root for the system; DESTDIR=dir for a staging root).
install: setup-install build
	cmake --install $(BUILD)

bench: build
	sh bench/run-all.sh $(BUILD)/bench/dajia-bench $(BUILD)/broker/dajia-broker

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
