# Makefile - a thin front over meson/ninja and the scripts in scripts/.
#   make run    install what is missing, build, set up ./var/, show how to start
#   make test   install what is missing, build, run every test (see scripts/test.sh)
#   make bench  run the benchmarks in bench/ (results in bench/results/)
#   make clean  remove the build directories
.PHONY: all build run test bench fuzz check clean

all: build

build:
	@scripts/deps.sh
	@[ -f build/build.ninja ] || meson setup build
	@ninja -C build

run:
	@scripts/run.sh

test:
	@scripts/test.sh

bench:
	@scripts/deps.sh
	@scripts/bench.sh

fuzz:
	@scripts/deps.sh
	@scripts/fuzz.sh

check:
	@scripts/checksrc.sh

clean:
	rm -rf build build-asan build-fuzz build-*.setup.log
