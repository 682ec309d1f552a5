# Debian packages with CPack (`cpack -G DEB` in the build tree), one per install component, prefix /usr:
# SPDX-License-Identifier: Apache-2.0
#   migration-host                the host (component host): Depends from dpkg-shlibdeps plus unixodbc, Recommends
#                                 the SQLite, MariaDB and PostgreSQL ODBC drivers
#   migration-host-dev            the SDK (component dev): headers, CMake package, pkg-config file, docs, examples
#   migration-host-plugin-cinder  cinder_initial and cinder_grizzly in the host's plugin directory (plugin_cinder)
# Each carries the Debian copyright file in its /usr/share/doc/<package>. The version is project(VERSION).
set(MIGRATION_HOST_PACKAGE_MAINTAINER "The migration-host authors <maintainers@migration-host.invalid>"
    CACHE STRING "Maintainer field of the Debian packages")

# Only the packages get the Debian copyright files (EXCLUDE_FROM_ALL keeps them out of a plain `cmake --install`;
# CPack installs each component by name, which includes them).
foreach(component_package IN ITEMS "host;migration-host" "dev;migration-host-dev"
                                   "plugin_cinder;migration-host-plugin-cinder")
    list(GET component_package 0 component)
    list(GET component_package 1 package)
    install(FILES "${PROJECT_SOURCE_DIR}/packaging/debian/copyright"
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
set(CPACK_DEBIAN_HOST_PACKAGE_DEPENDS unixodbc)
set(CPACK_DEBIAN_HOST_PACKAGE_RECOMMENDS "libsqliteodbc, odbc-mariadb, odbc-postgresql")
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
