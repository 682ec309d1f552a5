# migration_host_add_plugin(<name> SOURCES ... [INSTALL] [COMPONENT <component>] [OUTPUT_DIRECTORY <dir>]):
# SPDX-License-Identifier: Apache-2.0
# a plugin is a MODULE library with hidden visibility, so the entry function is its only exported symbol.
# INSTALL installs it into MigrationHost_PLUGIN_INSTALL_DIR under the install prefix, where a migration-host installed
# under the same prefix looks (bin/../lib/migration-host/plugins); COMPONENT names the install component (CPack).
# Installed with the package config, so other projects build plugins the same way.

# Relative to an install prefix, so that it follows CMAKE_INSTALL_PREFIX, --prefix, DESTDIR and CPack. The package
# config sets it (and MigrationHost_PLUGIN_DIR, the absolute directory of the installed host) before including this.
if(NOT DEFINED MigrationHost_PLUGIN_INSTALL_DIR)
    set(MigrationHost_PLUGIN_INSTALL_DIR "lib/migration-host/plugins")
endif()

function(migration_host_add_plugin name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "INSTALL" "OUTPUT_DIRECTORY;COMPONENT" "SOURCES")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "migration_host_add_plugin(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(arg_COMPONENT AND NOT arg_INSTALL)
        message(FATAL_ERROR "migration_host_add_plugin(${name}): COMPONENT needs INSTALL")
    endif()
    add_library(${name} MODULE ${arg_SOURCES})
    target_link_libraries(${name} PRIVATE MigrationHost::sdk)
    set_target_properties(${name} PROPERTIES
        PREFIX ""
        C_VISIBILITY_PRESET hidden
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON)
    # Hidden visibility does not cover the std:: template instances the
    # library uses (libstdc++ marks namespace std visible); a version script
    # keeps the exported surface to the one entry function.
    set(export_map "${CMAKE_CURRENT_BINARY_DIR}/${name}.exports.map")
    file(WRITE "${export_map}" "{ global: migration_host_plugin_entry; local: *; };\n")
    target_link_options(${name} PRIVATE "LINKER:--version-script=${export_map}")
    set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${export_map}")
    if(arg_OUTPUT_DIRECTORY)
        set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${arg_OUTPUT_DIRECTORY}")
    elseif(DEFINED MIGRATION_HOST_PLUGIN_OUTPUT_DIR)
        set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${MIGRATION_HOST_PLUGIN_OUTPUT_DIR}")
    endif()
    if(COMMAND migration_host_set_warnings)
        migration_host_set_warnings(${name})
    endif()
    if(arg_INSTALL)
        set(component)
        if(arg_COMPONENT)
            set(component COMPONENT "${arg_COMPONENT}")
        endif()
        install(TARGETS ${name} LIBRARY DESTINATION "${MigrationHost_PLUGIN_INSTALL_DIR}" ${component})
    endif()
endfunction()
