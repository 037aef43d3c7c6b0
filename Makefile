# make demo : build and run the quick start on the bundled survey answers, then the event-stream
#             engine on the CDNOW purchases
# make test : build everything and run every test (the CMake `dev` workflow)
# Both first install what is missing on Debian 12 (compiler, CMake, Ninja, libraries) with apt-get:
# as root directly, otherwise through sudo, otherwise they print the exact command and stop.

PACKAGES := g++ libc6-dev cmake ninja-build pkg-config libboost1.81-dev librange-v3-dev doctest-dev libbenchmark-dev
DEMO_PACKAGES := g++ libc6-dev cmake ninja-build libboost1.81-dev librange-v3-dev

.PHONY: demo test asan release bench deps demo-deps clean

demo: demo-deps
	cmake --preset demo
	cmake --build --preset demo
	@echo "== satisfaction surveys (data/survey_answers.csv) =="
	./build/demo/examples/quickstart data/survey_answers.csv
	@echo "== event-stream engine on CDNOW purchases (data/CDNOW_master.txt) =="
	./build/demo/examples/cdnow_engine data/CDNOW_master.txt

test: deps
	cmake --workflow --preset dev

asan: deps
	cmake --workflow --preset asan

release: deps
	cmake --workflow --preset release

bench: deps
	cmake --workflow --preset bench

deps:
	@$(MAKE) --no-print-directory install-packages WANTED="$(PACKAGES)"

demo-deps:
	@$(MAKE) --no-print-directory install-packages WANTED="$(DEMO_PACKAGES)"

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
