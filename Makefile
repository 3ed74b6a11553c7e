# SPDX-License-Identifier: MIT
# Convenience wrapper around CMake. The two commands a newcomer needs:
#   make demo   build and run the main demo (examples/writer + reader)
#   make test   build and run every test with ctest
# Also: make verify (the protocol models, with SPIN), make bench, make bench-channels, make bench-win32,
# make bench-bridge,
# make install [PREFIX=dir], make sanitize, make windows, make clean.

BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all configure build demo test verify bench bench-channels bench-bridge bench-win32 install sanitize asan tsan windows clean

all: build

configure:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

# The demo needs the library and its two programs only.
demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target writer reader -- --no-print-directory
	@sh examples/demo.sh $(BUILD)/examples

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The protocol models in verify/ and their broken variants (needs spin).
verify: configure
	@ctest --test-dir $(BUILD) -L verify --output-on-failure

bench: build
	@$(BUILD)/bench/bench_section

# The Win32 benchmark natively and, with MinGW-w64 and Wine, under Wine.
bench-win32: build
	@sh facade/bench/bench-win32.sh $(BUILD)

# mmf's channels against the peers (pipe, sockets, POSIX mq, eventfd,
# Boost.Interprocess, iceoryx, ZeroMQ) and the raw limits: installs the
# peers from Debian first (as root; MMF_BENCH_NO_INSTALL=1 skips that),
# then writes docs/channels.md and docs/channels-*.png from one run of a
# few minutes. MMF_BENCH_QUICK=1 for a ~20 s smoke run, whose table and
# plots go to $(BUILD)/bench/channels instead, so that they never replace
# real figures; the other knobs are in bench/channels/README.md.
CHANBENCH_OUT = $(if $(filter-out 0,$(MMF_BENCH_QUICK)),$(BUILD)/bench/channels,docs)
bench-channels:
	@if [ -z "$$MMF_BENCH_NO_INSTALL" ] && [ "$$(id -u)" = 0 ] && \
	    command -v apt-get >/dev/null 2>&1; then sh bench/channels/install-peers.sh; fi
	@$(MAKE) --no-print-directory build
	@MMF_BENCH_COMMAND="make bench-channels" $(BUILD)/bench/channels/chanbench \
	    --out $(CHANBENCH_OUT) --data $(BUILD)/bench/channels

# mmf bridge (ring -> loopback TCP -> ring) against raw ZeroMQ PUSH/PULL at
# 64 B, 4 KiB and 1 MiB, medians of 5 runs (BRIDGE_BENCH_FLAGS=--quick: 3
# short runs). Needs libzmq3-dev.
bench-bridge: build
	@test -x $(BUILD)/bench/bridge/bench_bridge || \
	    { echo "make bench-bridge: needs ZeroMQ (apt-get install libzmq3-dev)"; exit 1; }
	@$(BUILD)/bench/bridge/bench_bridge $(BUILD)/tools/mmf $(BRIDGE_BENCH_FLAGS)

# What is installed: the libraries, the tool and the manual pages, nothing
# else is built.
install: configure
	@cmake --build $(BUILD) -j $(JOBS) --target mmf mmf_static mmf_win32 mmf_win32_static \
	    mmf_cli man3 -- --no-print-directory
	@cmake --install $(BUILD) --prefix $(PREFIX)

# AddressSanitizer + UndefinedBehaviorSanitizer, warnings as errors.
asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan \
	  CMAKE_FLAGS="-DMMF_SANITIZE=address,undefined -DMMF_WERROR=ON -DCMAKE_BUILD_TYPE=Debug"

# ThreadSanitizer, for the multi-threaded cases.
tsan:
	@$(MAKE) --no-print-directory test BUILD=build-tsan \
	  CMAKE_FLAGS="-DMMF_SANITIZE=thread -DMMF_WERROR=ON -DCMAKE_BUILD_TYPE=Debug"

sanitize: asan tsan

# The native Windows build, cross-compiled with MinGW-w64 into build-win
# (warnings as errors), and the whole suite run under Wine (docs/windows.md).
# Without the compiler or Wine it says so and succeeds: nothing to check.
# Nothing is installed from it (MMF_INSTALL=OFF).
WIN_BUILD ?= build-win
MINGW_CC  ?= x86_64-w64-mingw32-gcc
WINE64    ?= $(firstword $(wildcard /usr/lib/wine/wine64 /usr/lib64/wine/wine64) $(shell command -v wine64 2>/dev/null))
windows:
	@if ! command -v $(MINGW_CC) >/dev/null 2>&1 || [ -z "$(WINE64)" ]; then \
	    echo "SKIP: make windows needs x86_64-w64-mingw32-gcc and wine64"; exit 0; fi; \
	cmake -S . -B $(WIN_BUILD) -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMMF_WERROR=ON -DMMF_INSTALL=OFF $(CMAKE_FLAGS) >/dev/null && \
	cmake --build $(WIN_BUILD) -j $(JOBS) && \
	ctest --test-dir $(WIN_BUILD) --output-on-failure -j $(JOBS)

clean:
	rm -rf build build-asan build-tsan build-win
