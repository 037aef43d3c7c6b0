# make demo : build and run the quick start on the bundled survey answers, the event-stream engine
#             on the CDNOW purchases, engagement versus satisfaction on the synthetic stream, then
#             lifetime value (BG/NBD, Pareto/NBD, Gamma-Gamma) on the CDNOW cohort
# make test : build everything and run every test (the CMake `dev` workflow)
# make fuzz : build the libFuzzer targets with clang 14 and run each for 30 s (the `fuzz` workflow,
#             docs/fuzzing.md); FUZZ_PRESET=fuzz-ci runs 20 s a target, as CI does
# make clang : build and test with clang 14 (libstdc++, warnings are errors) against Boost 1.74, the
#             oldest Boost cxm supports (the `clang` workflow); the 1.74 headers are unpacked from
#             Debian's libboost1.74-dev into build/boost-1.74, beside the system's Boost 1.81
# All first install what is missing on Debian 12 (compiler, CMake, Ninja, libraries) with apt-get:
# as root directly, otherwise through sudo, otherwise they print the exact command and stop.

PACKAGES := g++ libc6-dev cmake ninja-build pkg-config libboost1.81-dev librange-v3-dev libeigen3-dev liblbfgspp-dev doctest-dev libbenchmark-dev doxygen
DEMO_PACKAGES := g++ libc6-dev cmake ninja-build libboost1.81-dev librange-v3-dev libeigen3-dev liblbfgspp-dev
# libclang-rt-14-dev holds libclang_rt.fuzzer and the sanitizer runtimes of clang 14.
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev libc6-dev cmake ninja-build libboost1.81-dev librange-v3-dev
FUZZ_PRESET ?= fuzz
# The clang workflow builds against the 1.74 headers unpacked into BOOST_FLOOR_DIR; the system's
# libboost1.81-dev is still needed by the pkg-config package tests, whose consumers get only cxm's own
# flags from cxm.pc and find Boost on the system include path (on a fresh machine without it they fail).
CLANG_PACKAGES := clang-14 libc6-dev cmake ninja-build pkg-config libboost1.81-dev librange-v3-dev libeigen3-dev liblbfgspp-dev doctest-dev
BOOST_FLOOR_DIR := build/boost-1.74

.PHONY: demo test asan release bench fuzz clang deps demo-deps fuzz-deps clang-deps clean

demo: demo-deps
	cmake --preset demo
	cmake --build --preset demo
	@echo "== satisfaction surveys (data/survey_answers.csv) =="
	./build/demo/examples/quickstart data/survey_answers.csv
	@echo "== event-stream engine on CDNOW purchases (data/CDNOW_master.txt) =="
	./build/demo/examples/cdnow_engine data/CDNOW_master.txt
	@echo "== engagement versus satisfaction (data/synthetic_events.csv) =="
	./build/demo/examples/engagement_vs_satisfaction data/synthetic_events.csv
	@echo "== lifetime value on the CDNOW cohort (data/CDNOW_master.txt) =="
	./build/demo/examples/clv_cdnow data/CDNOW_master.txt

test: deps
	cmake --workflow --preset dev

asan: deps
	cmake --workflow --preset asan

release: deps
	cmake --workflow --preset release

bench: deps
	cmake --workflow --preset bench

fuzz: fuzz-deps
	cmake --workflow --preset $(FUZZ_PRESET)

clang: clang-deps
	@$(MAKE) --no-print-directory $(BOOST_FLOOR_DIR)/unpacked
	cmake --workflow --preset clang

deps:
	@$(MAKE) --no-print-directory install-packages WANTED="$(PACKAGES)"

demo-deps:
	@$(MAKE) --no-print-directory install-packages WANTED="$(DEMO_PACKAGES)"

fuzz-deps:
	@$(MAKE) --no-print-directory install-packages WANTED="$(FUZZ_PACKAGES)"

clang-deps:
	@$(MAKE) --no-print-directory install-packages WANTED="$(CLANG_PACKAGES)"

# Debian's libboost1.74-dev unpacked, not installed (it conflicts with libboost1.81-dev): its headers and
# its relocatable BoostConfig.cmake, which the clang preset finds through Boost_ROOT. Done once; an
# interrupted unpack is redone from scratch. apt-get download needs the package lists: on a fresh
# machine whose lists are empty, apt-get update runs first (as root, through sudo, or the command is printed).
$(BOOST_FLOOR_DIR)/unpacked:
	@set -e; rm -rf $(BOOST_FLOOR_DIR); mkdir -p $(BOOST_FLOOR_DIR)/deb; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; SANDBOX="-o APT::Sandbox::User=root"; \
	elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; SANDBOX=""; \
	else SUDO="none"; SANDBOX=""; fi; \
	download() { (cd $(BOOST_FLOOR_DIR)/deb && apt-get download -qq $$SANDBOX libboost1.74-dev); }; \
	if ! download; then \
	  if [ "$$SUDO" = none ]; then echo "cxm: not root and no sudo; run as root: apt-get update"; exit 1; fi; \
	  echo "cxm: updating the package lists to download libboost1.74-dev"; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && download; \
	fi
	dpkg-deb -x $(BOOST_FLOOR_DIR)/deb/libboost1.74-dev_*.deb $(BOOST_FLOOR_DIR)
	@test -f $(BOOST_FLOOR_DIR)/usr/include/boost/version.hpp
	@rm -rf $(BOOST_FLOOR_DIR)/deb && touch $@

.PHONY: install-packages
install-packages:
	@missing=""; \
	for p in $(WANTED); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "cxm: installing missing Debian packages:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	else echo "cxm: not root and no sudo; run as root:"; \
	     echo "  apt-get update && apt-get install -y --no-install-recommends$$missing"; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

clean:
	rm -rf build
