#!/usr/bin/env bash
# deps.sh - install the Debian packages that htdispatch's build, tests and
# benchmarks need: only those missing, with one 'apt-get update' when
# something must be installed. Silent when everything is there.
set -euo pipefail

packages=(
	# build
	gcc make pkg-config meson ninja-build
	# libraries (design.md "Dependencies")
	libsqlite3-dev libjansson-dev libutf8proc-dev libhyperscan-dev
	libfyaml-dev libssl-dev
	# the HTTP API (htdispatch serve): libmicrohttpd, with GnuTLS for HTTPS
	libmicrohttpd-dev
	# notifications (src/notify): webhooks and e-mail through libcurl
	libcurl4-openssl-dev
	# tests: unit tests, memory checking, fuzzing (clang's libFuzzer)
	libcriterion-dev valgrind clang libclang-rt-14-dev
	# source checks: the layout of .clang-format
	clang-format
	# tests: the sqlite3 shell to inspect and damage databases on purpose,
	# util-linux for mount/setpriv in the fault tests
	sqlite3 util-linux
	# tmux: drive `htdispatch call` in a real terminal in tests
	tmux
	# curl: the API tests (tests/integration/api*.sh) drive the server;
	# openssl: they make a throwaway certificate to test HTTPS
	curl openssl
	# jq: the golden decision tests compare assess's JSON with it
	# (tests/integration/golden_calls.sh); the assess benchmark's anchor
	jq
	# tests: xmllint checks CAP 1.2 alerts against the OASIS schema
	# (tests/unit/formats/test_cap.c, tests/unit/core/test_radio.c)
	libxml2-utils
	# benchmarks: the screen benchmark's anchors (ripgrep; grep is
	# essential), GNU time for peak memory, hyperfine for the cold start
	ripgrep time hyperfine
	# tests: docs/openapi.yaml is read with python3-yaml and every answer
	# of the server validated with python3-jsonschema (Draft 2020-12) by
	# tests/integration/openapi_*.py, run by Debian's /usr/bin/python3
	python3-yaml python3-jsonschema
	# benchmarks: the API benchmark (bench/api.sh) loads the server with
	# wrk, next to nginx-light serving the same bytes as its anchor (curl,
	# above, sets up its calls)
	wrk nginx-light
	# benchmarks: the records search benchmark (bench/records.sh) runs a
	# throwaway PostgreSQL with pg_trgm (postgresql-contrib) as its anchor,
	# through libpq (design.md: PostgreSQL 15 is the scale-out store)
	libpq-dev postgresql postgresql-contrib
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		sudo=(sudo)
	else
		echo "deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
