# CorralOS. `make run` boots it; `make test` runs every test tier. See README.md.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
BUILD_ASAN ?= build-asan
CMAKE_FLAGS ?=
# ccache keyed on paths relative to the checkout, so every clone on a machine shares one cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all setup build build-asan dist run test test-unit test-host test-vm bench format clean

all: build dist

setup:
	@scripts/setup

# Release binaries in build/bin.
build: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORRAL_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# ASan/UBSan build with the unit tests, used by every test tier.
build-asan: setup
	@cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCORRAL_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

dist: build
	@if [ -x scripts/build-image ]; then scripts/build-image; fi

run: all
	@scripts/run

test: build build-asan
	@if [ -x scripts/build-image ]; then scripts/build-image; fi
	@scripts/test

test-unit: build-asan
	@scripts/test unit

test-host: build build-asan
	@scripts/test host

test-vm: all
	@scripts/test vm

bench: build
	@bench/run

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) dist
