# triggers — PGXS build of the extension, plus the worker in src/worker.
#   make            build        make install   install into PostgreSQL
#   make test       install deps, build, run every test on throwaway clusters
#   make demo       the product end to end on a throwaway cluster
EXTENSION   = triggers
MODULE_big  = triggers
DATA        = $(wildcard sql/triggers--*.sql)
CORE_SRCS   = $(wildcard src/core/*.cpp)
PG_SRCS     = $(wildcard src/pg/*.cpp)
OBJS        = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(filter-out sql/triggers--%,$(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=triggers --inputdir=. --outputdir=test/results
ISOLATION      = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --load-extension=triggers --inputdir=test --outputdir=test/results/isolation

PG_CONFIG ?= pg_config
# PostgreSQL's headers are C: as system headers, C++17 -Wextra does not judge them.
PG_CPPFLAGS = -I$(CURDIR)/include -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -Wno-missing-field-initializers -fno-omit-frame-pointer -MMD -MP
SHLIB_LINK  = -lstdc++
EXTRA_CLEAN = $(OBJS:.o=.d) test/results

PGXS := $(shell $(PG_CONFIG) --pgxs)
# No LLVM bitcode: PGXS would compile our C++ with clang, without our flags.
override with_llvm := no
include $(PGXS)

# PGXS puts CXXFLAGS after its own C flags; C++17 must win over its defaults.
override CXXFLAGS := $(filter-out -Wmissing-prototypes -Wdeclaration-after-statement -Wno-format-truncation -Wno-stringop-truncation,$(CXXFLAGS)) $(PG_CXXFLAGS)

-include $(OBJS:.o=.d)

.PHONY: deps worker install-worker clean-worker test demo bench bench-peers stress fuzz
deps:
	@bash scripts/install-deps.sh

# The worker program has its own PGXS Makefile (PGXS builds one MODULE_big or PROGRAM per Makefile).
all: worker
install: install-worker
clean: clean-worker
worker:
	$(MAKE) -C src/worker
install-worker:
	$(MAKE) -C src/worker install
clean-worker:
	$(MAKE) -C src/worker clean

test: deps
	@bash test/run-all.sh

demo: deps
	@bash scripts/demo.sh

# libFuzzer on the definition parser and validator (FUZZ_SECONDS, default 60).
fuzz: deps
	@bash fuzz/run.sh $${FUZZ_SECONDS:-60}

# The long tests: crash safety, bounded storage, and a short fuzz run.
stress: deps
	@bash test/stress/run.sh && bash fuzz/run.sh $${FUZZ_SECONDS:-60}

# Benchmarks measure the installed extension and worker.
bench: deps install
	@bash bench/run.sh

bench-peers: install
	@bash scripts/install-deps.sh peers
	@bash bench/peers.sh

# C++ core unit tests: plain C++, no PostgreSQL.
UNIT_SRCS = $(wildcard test/unit/*.cpp) $(CORE_SRCS)
test/unit/core_tests: $(UNIT_SRCS) $(wildcard include/triggers/core/*.hpp) test/unit/unit_test.hpp
	$(CXX) -std=c++17 -Wall -Wextra -Werror -O1 -g -I$(CURDIR)/include -o $@ $(UNIT_SRCS)

.PHONY: unit-test
unit-test: test/unit/core_tests
	test/unit/core_tests
