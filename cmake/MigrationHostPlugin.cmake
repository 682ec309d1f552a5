# migration_host_add_plugin(<name> SOURCES ...): a plugin is a MODULE library
# with hidden visibility, so the entry function is its only exported symbol.
# Installed with the package config, so other projects build plugins the same way.
function(migration_host_add_plugin name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_DIRECTORY" "SOURCES")
    add_library(${name} MODULE ${arg_SOURCES})
    target_link_libraries(${name} PRIVATE MigrationHost::sdk)
    set_target_properties(${name} PROPERTIES
        PREFIX ""
        C_VISIBILITY_PRESET hidden
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON)
    if(arg_OUTPUT_DIRECTORY)
        set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${arg_OUTPUT_DIRECTORY}")
    elseif(DEFINED MIGRATION_HOST_PLUGIN_OUTPUT_DIR)
        set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${MIGRATION_HOST_PLUGIN_OUTPUT_DIR}")
    endif()
    if(COMMAND migration_host_set_warnings)
        migration_host_set_warnings(${name})
    endif()
endfunction()
