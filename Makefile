# signals: PostgreSQL extension (PGXS) and its HTTP gateway

EXTENSION = signals
EXTVERSION = 0.2.0

MODULE_big = signals
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
# The library knows its version; schema-dependent C symbols carry it (src/versions.c).
PG_CPPFLAGS = -I$(srcdir)/src -DSIGNALS_VERSION='"$(EXTVERSION)"' \
	-DSIGNALS_SYMBOL_SUFFIX=_$(subst .,_,$(EXTVERSION))

# The install script is assembled from one file per concern, in name order.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
# Released versions: their install scripts are frozen, and an upgrade script
# leads from each to the next.
DATA = sql/$(EXTENSION)--0.1.0.sql sql/$(EXTENSION)--0.1.0--0.2.0.sql

REGRESS = hostile setup profile provider_rights keys processing source_configs scratchpad scout_runs emit reports report_corrections grouping grouping_quality judge pipeline badinput privileges api_schema install_notify operations cleanup
ISOLATION = scratchpad_upsert source_config_create profile_concurrent_miss profile_lock_hostile grouping_concurrent pipeline_concurrent report_corrections_concurrent candidate_notify judge_concurrent create_team_concurrent

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS)
	cat $^ > $@

# Every object is rebuilt when a header changes (PGXS tracks no dependencies).
$(OBJS): $(wildcard src/*.h)

# General English word frequencies for grouping's prior, from SCOWL.
src/word_prior.o: src/word_prior_data.h
src/word_prior_data.h: scripts/word_prior.sh
	scripts/word_prior.sh > $@.tmp && mv $@.tmp $@
EXTRA_CLEAN = src/word_prior_data.h

# The HTTP gateway (gateway/Makefile): built by "all", installed by "install"
# into the bindir of $(PG_CONFIG), removed by "clean".
all: gateway
install: install-gateway
clean: clean-gateway

gateway:
	$(MAKE) -C gateway PG_CONFIG=$(PG_CONFIG)

install-gateway: gateway
	$(MAKE) -C gateway install PG_CONFIG=$(PG_CONFIG)

clean-gateway:
	$(MAKE) -C gateway clean

.PHONY: gateway install-gateway clean-gateway
