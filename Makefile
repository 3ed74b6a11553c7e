# Convenience wrapper around CMake. The two commands a newcomer needs:
#   make demo   build and run the main demo (examples/writer + reader)
#   make test   build and run every test with ctest
# Also: make bench, make bench-win32, make install [PREFIX=dir], make sanitize, make clean.

BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all build demo test bench bench-win32 install sanitize asan tsan clean

all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

demo: build
	@sh examples/demo.sh $(BUILD)/examples

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	@$(BUILD)/bench/bench_section

# The Win32 benchmark natively and, with MinGW-w64 and Wine, under Wine.
bench-win32: build
	@sh bench/bench-win32.sh $(BUILD)

install: build
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

clean:
	rm -rf build build-asan build-tsan
