# The two commands of the README, and a few more. CMake does the real work.
#   make run    install what is missing, build, start the broker on ./var
#   make test   install what is missing, build, run every test, then again under ASan+UBSan
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure -j $(JOBS)

.PHONY: all setup build build-asan run test test-fast test-asan bench clean

all: build

setup:
	@sh scripts/setup

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDAJIA_SANITIZE=address,undefined >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	@mkdir -p var
	exec $(BUILD)/broker/dajia-broker --data var/broker

test-fast: build
	cd $(BUILD) && ctest $(CTEST_ARGS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS)

test: test-fast test-asan

bench: build
	sh bench/run-all.sh $(BUILD)/bench/dajia-bench $(BUILD)/broker/dajia-broker

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
