# Project-wide warning flags, applied per target so that consumers of the SDK never inherit them.
# SPDX-License-Identifier: Apache-2.0
function(migration_host_set_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
    if(MIGRATION_HOST_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
