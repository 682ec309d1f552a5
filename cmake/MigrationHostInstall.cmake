# Installs the host, the SDK headers and an exported CMake package (MigrationHost::sdk, migration_host_add_plugin).
include(CMakePackageConfigHelpers)

install(TARGETS migration-host RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/sdk/include/" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS migration_host_sdk EXPORT MigrationHostTargets)
install(EXPORT MigrationHostTargets
    NAMESPACE MigrationHost::
    DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/MigrationHost")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/MigrationHostConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/MigrationHostConfig.cmake"
    INSTALL_DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/MigrationHost")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/MigrationHostConfigVersion.cmake"
    COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES
    "${PROJECT_BINARY_DIR}/MigrationHostConfig.cmake"
    "${PROJECT_BINARY_DIR}/MigrationHostConfigVersion.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/MigrationHostPlugin.cmake"
    DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/MigrationHost")
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" "${PROJECT_SOURCE_DIR}/NOTICE"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/migration-host")
