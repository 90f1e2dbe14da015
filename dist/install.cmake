# Installation: `make install` (or `cmake --install <build> [--prefix DIR]`, which
# honours DESTDIR) puts in place
#   <prefix>/bin                  the programs
#   <prefix>/share/man/man1       their man pages, made from their --help and --version
#                                 with help2man at build time (scripts/setup installs it)
#   <sysconfdir>/dajia/dajia.conf the broker's configuration, made from `dajia-broker
#                                 --print-config` for an installed system; /etc whatever
#                                 the prefix, and never over a file that is there
#   <prefix>/lib/systemd/system   units: dajia-broker, dajia-worker@ (external workers),
#                                 dajia-dash (when the build has the dashboard)
#   <prefix>/lib/sysusers.d       the dajia user; <prefix>/lib/tmpfiles.d its key directory
#   <prefix>/share/doc/dajia      README.md and docs/
# The data lives in /var/lib/dajia, which the units make (StateDirectory=dajia). Installed
# for real (no DESTDIR) by root, the dajia user and the key directory are made at once
# and systemd is told about the new units.
if(NOT DEFINED CMAKE_INSTALL_SYSCONFDIR)
  set(CMAKE_INSTALL_SYSCONFDIR /etc CACHE PATH
      "where the configuration goes (dajia: /etc/dajia, whatever the prefix)")
endif()
include(GNUInstallDirs)

set(DAJIA_CONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/dajia)
set(DAJIA_DIST_DIR ${CMAKE_CURRENT_LIST_DIR})
set(DAJIA_DIST_OUT ${CMAKE_BINARY_DIR}/dist)
file(MAKE_DIRECTORY ${DAJIA_DIST_OUT}/man)

# The programs, each with the line its man page gives under NAME.
set(DAJIA_PROGRAMS dajia-broker dajia-agent dajia-worker dajia-office dajia-sim dajia-ctl
    dajia-bench)
set(DAJIA_ABOUT_dajia-broker "store the member units' reports durably and run the workers")
set(DAJIA_ABOUT_dajia-agent "report a member unit's events to the dajia broker")
set(DAJIA_ABOUT_dajia-worker "run one dajia worker service for a broker with external workers")
set(DAJIA_ABOUT_dajia-office "follow the escalations, major matters and bulletins of the Office")
set(DAJIA_ABOUT_dajia-sim "generate realistic synthetic reports of the member units")
set(DAJIA_ABOUT_dajia-ctl "administer dajia: counters, the log, keys, backup and restore")
set(DAJIA_ABOUT_dajia-bench "measure a dajia broker's durable throughput and latency")
set(DAJIA_ABOUT_dajia-dash "serve the dajia dashboard over HTTP")
set(DAJIA_UNITS dajia-broker.service dajia-worker@.service)
if(TARGET dajia-dash)
  list(APPEND DAJIA_PROGRAMS dajia-dash)
  list(APPEND DAJIA_UNITS dajia-dash.service)
endif()
install(TARGETS ${DAJIA_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The default configuration, from the built broker.
add_custom_command(
  OUTPUT ${DAJIA_DIST_OUT}/dajia.conf
  COMMAND ${CMAKE_COMMAND} -DDAJIA_BROKER=$<TARGET_FILE:dajia-broker>
          -DDAJIA_CONFDIR=${DAJIA_CONFDIR} -DDAJIA_OUT=${DAJIA_DIST_OUT}/dajia.conf
          -P ${DAJIA_DIST_DIR}/config.cmake
  DEPENDS dajia-broker ${DAJIA_DIST_DIR}/config.cmake
  COMMENT "dist/dajia.conf from dajia-broker --print-config")
set(DAJIA_DIST_FILES ${DAJIA_DIST_OUT}/dajia.conf)

# The man pages, from each program's --help and --version.
set(DAJIA_DOCDIR ${CMAKE_INSTALL_FULL_DOCDIR})
configure_file(${DAJIA_DIST_DIR}/dajia.h2m.in ${DAJIA_DIST_OUT}/dajia.h2m @ONLY)
find_program(HELP2MAN help2man)
if(HELP2MAN)
  foreach(program ${DAJIA_PROGRAMS})
    set(page ${DAJIA_DIST_OUT}/man/${program}.1)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${HELP2MAN} --no-info --section 1
              --name ${DAJIA_ABOUT_${program}} --include ${DAJIA_DIST_OUT}/dajia.h2m
              --output ${page} $<TARGET_FILE:${program}>
      DEPENDS ${program} ${DAJIA_DIST_OUT}/dajia.h2m
      COMMENT "man page ${program}.1 (help2man)"
      VERBATIM)
    list(APPEND DAJIA_DIST_FILES ${page})
  endforeach()
  install(DIRECTORY ${DAJIA_DIST_OUT}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
          FILES_MATCHING PATTERN "*.1")
else()
  message(STATUS "help2man not found: no man pages (scripts/setup install installs it)")
endif()
add_custom_target(dajia_dist ALL DEPENDS ${DAJIA_DIST_FILES})

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB DAJIA_DOCS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${DAJIA_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES ${DAJIA_DIST_OUT}/dajia.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME dajia.conf.example)

# At install time, with the prefix of that moment (`cmake --install --prefix` may differ
# from the configured one): the units and the tmpfiles entry name installed paths; the
# configuration goes in only where there is none (an admin's edits stay); installed for
# real, the user and the key directory are made.
install(CODE "
set(DAJIA_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
set(DAJIA_DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
set(DAJIA_CONFDIR \"${DAJIA_CONFDIR}\")
set(units \"\")
foreach(unit ${DAJIA_UNITS})
  configure_file(\"${DAJIA_DIST_DIR}/\${unit}.in\" \"${DAJIA_DIST_OUT}/units/\${unit}\" @ONLY)
  list(APPEND units \"${DAJIA_DIST_OUT}/units/\${unit}\")
endforeach()
file(INSTALL \${units} DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
configure_file(\"${DAJIA_DIST_DIR}/dajia.tmpfiles\" \"${DAJIA_DIST_OUT}/tmpfiles/dajia.conf\" @ONLY)
file(INSTALL \"${DAJIA_DIST_OUT}/tmpfiles/dajia.conf\"
     DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d\")
file(INSTALL \"${DAJIA_DIST_DIR}/dajia.sysusers\" DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/sysusers.d\"
     RENAME dajia.conf)
if(EXISTS \"\$ENV{DESTDIR}${DAJIA_CONFDIR}/dajia.conf\")
  message(STATUS \"Keeping ${DAJIA_CONFDIR}/dajia.conf; the new default is dajia.conf.new beside it\")
  file(INSTALL \"${DAJIA_DIST_OUT}/dajia.conf\" DESTINATION \"${DAJIA_CONFDIR}\"
       RENAME dajia.conf.new PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
else()
  file(INSTALL \"${DAJIA_DIST_OUT}/dajia.conf\" DESTINATION \"${DAJIA_CONFDIR}\"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
if(\"\$ENV{DESTDIR}\" STREQUAL \"\" AND EXISTS /run/systemd/system)
  execute_process(COMMAND systemd-sysusers \"\${CMAKE_INSTALL_PREFIX}/lib/sysusers.d/dajia.conf\")
  execute_process(COMMAND systemd-tmpfiles --create \"\${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d/dajia.conf\")
  execute_process(COMMAND systemctl daemon-reload)
  message(STATUS \"Made the dajia user and ${DAJIA_CONFDIR}/keys; next: sudo -u dajia dajia-ctl keys init --dir ${DAJIA_CONFDIR}/keys, then systemctl enable --now dajia-broker\")
endif()
")
