# Debian packages with CPack (`cpack -G DEB` in the build tree), one per install component, prefix /usr:
# SPDX-License-Identifier: Apache-2.0
#   migration-host                the host (component host): Depends from dpkg-shlibdeps plus unixodbc and the SQLite
#                                 ODBC driver (the embedded default needs it), Recommends the MariaDB and PostgreSQL
#                                 drivers
#   migration-host-dev            the SDK (component dev): headers, CMake package, pkg-config file, docs, examples
#   migration-host-plugin-cinder  cinder_initial and cinder_grizzly in the host's plugin directory (plugin_cinder)
# Each carries the Debian copyright file and the changelog in its /usr/share/doc/<package>, and its binaries stripped.
# The version is project(VERSION), which must be the latest entry of packaging/debian/changelog.
set(MIGRATION_HOST_PACKAGE_MAINTAINER "migration-host maintainers <maintainers@migration-host.org>"
    CACHE STRING "Maintainer field of the Debian packages")

# The changelog (Debian's format, so that dpkg-parsechangelog and apt-listchanges read it) is the project's NEWS: one
# source file, whose latest entry must name the version being built.
set(debian_changelog "${PROJECT_SOURCE_DIR}/packaging/debian/changelog")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${debian_changelog}")
file(STRINGS "${debian_changelog}" changelog_head LIMIT_COUNT 1)
if(NOT changelog_head MATCHES "^migration-host \\(([^)]+)\\) ")
    message(FATAL_ERROR "${debian_changelog} does not start with a 'migration-host (VERSION) ...' entry")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
    message(FATAL_ERROR "${debian_changelog}: the latest entry is ${CMAKE_MATCH_1}, the project is ${PROJECT_VERSION}")
endif()
# The packages' version has no Debian revision: they are native (built from this tree, not from an upstream tarball),
# so Debian policy (12.7) wants the changelog as changelog.gz, compressed with gzip -9n as dh_compress would.
find_program(MIGRATION_HOST_GZIP gzip REQUIRED)
set(debian_changelog_gz "${PROJECT_BINARY_DIR}/packaging/changelog.gz")
add_custom_command(OUTPUT "${debian_changelog_gz}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${PROJECT_BINARY_DIR}/packaging"
    COMMAND "${MIGRATION_HOST_GZIP}" -9 -n -c "${debian_changelog}" > "${debian_changelog_gz}"
    DEPENDS "${debian_changelog}"
    COMMENT "Compressing the Debian changelog"
    VERBATIM)
add_custom_target(debian_changelog ALL DEPENDS "${debian_changelog_gz}")
# Whatever builds the host can be packaged (the quickstart builds only the host and plugins).
add_dependencies(migration-host debian_changelog)

# Only the packages get the Debian copyright files and the changelog (EXCLUDE_FROM_ALL keeps them out of a plain
# `cmake --install`; CPack installs each component by name, which includes them).
foreach(component_package IN ITEMS "host;migration-host" "dev;migration-host-dev"
                                   "plugin_cinder;migration-host-plugin-cinder")
    list(GET component_package 0 component)
    list(GET component_package 1 package)
    install(FILES "${PROJECT_SOURCE_DIR}/packaging/debian/copyright" "${debian_changelog_gz}"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/${package}"
        COMPONENT ${component}
        EXCLUDE_FROM_ALL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME migration-host)
set(CPACK_PACKAGE_VENDOR "The migration-host authors")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
# Each package's description (summary line first) is its own, below. CPackDeb would put the one summary above every
# one of them unless it is CPack's default text, so it is left at that.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# install(TARGETS) strips the host and the plugins (debug symbols do not belong in these packages).
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL host dev plugin_cinder)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MIGRATION_HOST_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_HOST_PACKAGE_NAME migration-host)
set(CPACK_DEBIAN_HOST_PACKAGE_SECTION database)
# Without the SQLite driver the host cannot open its embedded default (an image built with --no-install-recommends).
set(CPACK_DEBIAN_HOST_PACKAGE_DEPENDS "unixodbc, libsqliteodbc")
set(CPACK_DEBIAN_HOST_PACKAGE_RECOMMENDS "odbc-mariadb, odbc-postgresql")
set(CPACK_DEBIAN_HOST_DESCRIPTION "database-schema migration host with a stable C plugin ABI, over ODBC
migration-host applies versioned schema migrations that ship as plugins (shared
libraries in /usr/lib/migration-host/plugins) to SQLite, MariaDB/MySQL or
PostgreSQL through ODBC, keeping each track's version in sqlalchemy-migrate's
migrate_version table and every attempt in migration_host_history.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME migration-host-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "migration-host (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "cmake, pkgconf")
set(CPACK_DEBIAN_DEV_DESCRIPTION "SDK for migration-host plugins
The C plugin ABI header, header-only C++17 helpers (schema definitions and
Alembic-style operations rendered for SQLite, MySQL and PostgreSQL), the CMake
package (find_package(MigrationHost), migration_host_add_plugin) and the
pkg-config file migration-host-sdk.pc, with the plugin author's guide and two
example plugins (C99 and C++) in /usr/share/doc/migration-host.")

set(CPACK_DEBIAN_PLUGIN_CINDER_PACKAGE_NAME migration-host-plugin-cinder)
set(CPACK_DEBIAN_PLUGIN_CINDER_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PLUGIN_CINDER_PACKAGE_DEPENDS "migration-host (>= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_PLUGIN_CINDER_DESCRIPTION "OpenStack Cinder schema migrations for migration-host
The cinder_initial (001_cinder_init) and cinder_grizzly (002 to 009, Cinder
2013.1) plugins: track cinder up to version 9, on SQLite, MariaDB/MySQL and
PostgreSQL, continuing databases that sqlalchemy-migrate migrated.")

include(CPack)
