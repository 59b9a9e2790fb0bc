# What `cmake --install` and `cpack -G DEB` install: the program, the emulators, the rule packs
# (found by the program relative to itself: PREFIX/bin/crmscan reads PREFIX/share/crmscan/rules),
# a man page made from the program's --help, and the README.
include(GNUInstallDirs)

install(TARGETS crmscan crmscan-sf-emulator crmscan-d365-emulator crmscan-hubspot-emulator
                crmscan-vcc-emulator
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY rules/ DESTINATION ${CMAKE_INSTALL_DATADIR}/crmscan/rules
        FILES_MATCHING PATTERN "*.yaml" PATTERN "*.yaml.example")
install(FILES README.md SECURITY.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CRMSCAN_MAN_PAGE ${CMAKE_BINARY_DIR}/crmscan.1)
add_custom_command(
  OUTPUT ${CRMSCAN_MAN_PAGE}.gz
  COMMAND ${CMAKE_COMMAND} -DCRMSCAN=$<TARGET_FILE:crmscan> -DVERSION=${PROJECT_VERSION}
          -DOUT=${CRMSCAN_MAN_PAGE} -P ${CMAKE_SOURCE_DIR}/cmake/ManPage.cmake
  COMMAND gzip -9nf ${CRMSCAN_MAN_PAGE}
  DEPENDS crmscan ${CMAKE_SOURCE_DIR}/cmake/ManPage.cmake
  COMMENT "Writing the man page from crmscan --help")
add_custom_target(crmscan_man_page ALL DEPENDS ${CRMSCAN_MAN_PAGE}.gz)
install(FILES ${CRMSCAN_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(CPACK_PACKAGE_NAME crmscan)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "crmscan maintainers <crmscan@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
# The shared libraries the programs link (libcurl and OpenSSL always; all of them with
# CRMSCAN_STATIC_DEPS=OFF) become the package's Depends, as dpkg-shlibdeps finds them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates")
set(CPACK_STRIP_FILES ON)
include(CPack)
