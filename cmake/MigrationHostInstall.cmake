# Installs the host, the SDK (headers, CMake package, pkg-config file, docs, examples) and the licences, by component:
# SPDX-License-Identifier: Apache-2.0
#   host  bin/migration-host, its (empty) plugin directory, README, its pages of docs/, LICENSE, NOTICE, its manual
#         page, its bash and zsh completion scripts and the JSON Schemas of its output (share/migration-host/schemas)
#   dev   the SDK: include/migration_host, lib/cmake/MigrationHost, share/pkgconfig/migration-host-sdk.pc, the plugin
#         author docs and examples under share/doc/migration-host
# (plugins/ installs its plugins as component plugin_cinder). MigrationHostPackaging turns each into a .deb.
include(CMakePackageConfigHelpers)

set(MIGRATION_HOST_DOC_DIR "${CMAKE_INSTALL_DATADIR}/doc/migration-host")

# The ABI version of the headers, for the CMake package and pkg-config.
file(STRINGS "${PROJECT_SOURCE_DIR}/sdk/include/migration_host/plugin.h" abi_lines
    REGEX "^#define MH_ABI_VERSION_(MAJOR|MINOR) [0-9]+u$")
string(REGEX REPLACE ".*MAJOR ([0-9]+)u.*MINOR ([0-9]+)u.*" "\\1.\\2" MIGRATION_HOST_ABI_VERSION "${abi_lines}")

install(TARGETS migration-host RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT host)
# The host owns its plugin directory; plugin packages only add files to it.
install(DIRECTORY DESTINATION "${MIGRATION_HOST_PLUGIN_SUBDIR}" COMPONENT host)
install(FILES "${PROJECT_SOURCE_DIR}/README.md" "${PROJECT_SOURCE_DIR}/LICENSE" "${PROJECT_SOURCE_DIR}/NOTICE"
    DESTINATION "${MIGRATION_HOST_DOC_DIR}" COMPONENT host)
# The pages of docs/ the README links to, beside it; the plugin author's two pages go with the SDK (below).
file(GLOB operator_docs CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/*.md")
list(REMOVE_ITEM operator_docs "${PROJECT_SOURCE_DIR}/docs/plugin-authoring.md" "${PROJECT_SOURCE_DIR}/docs/plugin-abi.md")
install(FILES ${operator_docs} DESTINATION "${MIGRATION_HOST_DOC_DIR}/docs" COMPONENT host)
# Made when the host is linked (host/CMakeLists.txt): `man migration-host`, and completion in bash (bash-completion
# loads it on demand) and zsh (vendor-completions is in Debian's default $fpath).
if(MIGRATION_HOST_HELP2MAN)
    install(FILES "${MIGRATION_HOST_MAN_PAGE}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" COMPONENT host)
endif()
install(FILES "${MIGRATION_HOST_BASH_COMPLETION}" DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    COMPONENT host)
install(FILES "${MIGRATION_HOST_ZSH_COMPLETION}" DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions"
    COMPONENT host)
# The JSON Schemas of --format json (docs/output-formats.md) are data that scripts and validators read, not docs:
# under share/migration-host, not share/doc, which minimal systems drop (Debian policy lets them; the OCI image's
# path-exclude=/usr/share/doc/* does).
install(DIRECTORY "${PROJECT_SOURCE_DIR}/docs/schemas/" DESTINATION "${CMAKE_INSTALL_DATADIR}/migration-host/schemas"
    COMPONENT host FILES_MATCHING PATTERN "*.schema.json")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/sdk/include/" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT dev)
install(TARGETS migration_host_sdk EXPORT MigrationHostTargets COMPONENT dev)
install(EXPORT MigrationHostTargets
    NAMESPACE MigrationHost::
    DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/MigrationHost"
    COMPONENT dev)
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/MigrationHostConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/MigrationHostConfig.cmake"
    INSTALL_DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/MigrationHost"
    PATH_VARS MIGRATION_HOST_PLUGIN_SUBDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/MigrationHostConfigVersion.cmake"
    COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES
    "${PROJECT_BINARY_DIR}/MigrationHostConfig.cmake"
    "${PROJECT_BINARY_DIR}/MigrationHostConfigVersion.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/MigrationHostPlugin.cmake"
    DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/MigrationHost"
    COMPONENT dev)

# pkg-config: arch-independent (the SDK is headers only), so under DATADIR; paths relative to the file itself.
set(pkgconfig_dir "${CMAKE_INSTALL_DATADIR}/pkgconfig")
file(RELATIVE_PATH MIGRATION_HOST_PC_PREFIX_FROM_PCFILEDIR "/prefix/${pkgconfig_dir}" "/prefix")
string(REGEX REPLACE "/$" "" MIGRATION_HOST_PC_PREFIX_FROM_PCFILEDIR "${MIGRATION_HOST_PC_PREFIX_FROM_PCFILEDIR}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/migration-host-sdk.pc.in" "${PROJECT_BINARY_DIR}/migration-host-sdk.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/migration-host-sdk.pc" DESTINATION "${pkgconfig_dir}" COMPONENT dev)

# docs/ and examples/ side by side, as in the source tree, so that the links between them hold; without what building
# an example in its own folder leaves there (CMake's build*/, Cargo's target/, go build's library and header).
install(FILES "${PROJECT_SOURCE_DIR}/docs/plugin-authoring.md" "${PROJECT_SOURCE_DIR}/docs/plugin-abi.md"
    DESTINATION "${MIGRATION_HOST_DOC_DIR}/docs" COMPONENT dev)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/examples/"
    DESTINATION "${MIGRATION_HOST_DOC_DIR}/examples"
    COMPONENT dev
    REGEX "/build[^/]*$" EXCLUDE
    REGEX "/rust-plugin/target$" EXCLUDE
    REGEX "/go-plugin/[^/]*\\.(so|h)$" EXCLUDE)
