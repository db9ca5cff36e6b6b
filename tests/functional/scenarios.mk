# tests/functional/scenarios.mk: end-to-end scenarios over several hearsayd
# processes (issue 7): partition and heal, kill -9 during sync, hostile
# peers beside honest relay, RPC result shapes. (Catch-up after downtime is
# relay_catchup.py.)
SCENARIO_TESTS = tests/functional/scn_partition.py tests/functional/scn_sync_kill.py \
	tests/functional/scn_hostile_relay.py tests/functional/scn_rpc_compat.py
TESTS += $(SCENARIO_TESTS)
EXTRA_DIST += $(SCENARIO_TESTS)
