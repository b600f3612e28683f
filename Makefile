# elbo: the two commands a new user needs are `make demo` and `make test`.
# Both install the missing Debian packages first (tools/install-deps.sh), then build.
#
#   make deps    install missing system packages (apt-get; as root or through sudo)
#   make build   configure and build into build/ (Release, -march=native)
#   make test    deps + build + run every test through ctest
#   make demo    deps + build + train a small conv VAE on generated images
#   make bench   deps + build + the training-step benchmark beside PyTorch
#   make clean   remove build/
#
# Variables: BUILD_DIR (build), JOBS (number of cores), CMAKE_FLAGS (extra -D options),
#            THREADS (threads for demo and bench; default: all cores).

BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
THREADS ?= $(JOBS)

.PHONY: all deps build test demo bench clean

all: build

deps:
	@bash tools/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

demo: deps
	@$(MAKE) --no-print-directory build
	$(BUILD_DIR)/elbo demo --threads $(THREADS)

bench: deps
	@$(MAKE) --no-print-directory build
	bash tools/bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
