# Writes the default configuration file (run as `cmake -P` at build time): what the
# built broker prints with --print-config for an installed system, the data in
# /var/lib/dajia and the keys in DAJIA_CONFDIR/keys, under a header that says where the
# rest is. Inputs: DAJIA_BROKER (the built program), DAJIA_CONFDIR, DAJIA_OUT.
execute_process(
  COMMAND ${DAJIA_BROKER} --data /var/lib/dajia/broker --keys ${DAJIA_CONFDIR}/keys
          --print-config
  OUTPUT_VARIABLE config
  ERROR_VARIABLE errors
  RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "dajia-broker --print-config failed: ${errors}")
endif()
set(header "#   ${DAJIA_CONFDIR}/dajia.conf: the configuration of dajia-broker (its unit runs
#   `dajia-broker -c ${DAJIA_CONFDIR}/dajia.conf`) and of the dajia-worker units.
#   The values below are the defaults of an installed system; every key, its variable
#   and its flag are in README.md (Configuration), and `dajia-broker -c FILE
#   --print-config` shows what the broker makes of this file. The workers' settings go
#   in sections aggregate, escalate and circulate (README.md, Configuration).
#   The broker starts once the key directory has keys:
#       sudo -u dajia dajia-ctl keys init --dir ${DAJIA_CONFDIR}/keys
#
")
file(WRITE ${DAJIA_OUT}.tmp "${header}${config}")
file(RENAME ${DAJIA_OUT}.tmp ${DAJIA_OUT})
