/* Compiles the ABI header as strict C99 (-Wall -Wextra -pedantic -Werror) and checks its layout rules. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <migration_host/plugin.h>

#include <stddef.h>

/* Every struct starts with its size. */
typedef char host_api_size_first[offsetof(mh_host_api, struct_size) == 0 ? 1 : -1];
typedef char migration_size_first[offsetof(mh_migration, struct_size) == 0 ? 1 : -1];
typedef char descriptor_size_first[offsetof(mh_plugin_descriptor, struct_size) == 0 ? 1 : -1];
typedef char descriptor_magic_second[offsetof(mh_plugin_descriptor, magic) == 4 ? 1 : -1];

/* Members only ever appended: the 1.4 member is the host API's last, right where the 1.3 layout ended. */
typedef char host_api_1_4_last[offsetof(mh_host_api, progress_report) + sizeof(void (*)(void)) == sizeof(mh_host_api)
                                   ? 1
                                   : -1];
typedef char host_api_1_3_ends_at_1_4[MH_HOST_API_SIZE_1_3 == offsetof(mh_host_api, progress_report) ? 1 : -1];

size_t mh_test_c_sizes(size_t *migration_size, size_t *host_api_size);

size_t mh_test_c_sizes(size_t *migration_size, size_t *host_api_size) {
    *migration_size = sizeof(mh_migration);
    *host_api_size = sizeof(mh_host_api);
    return sizeof(mh_plugin_descriptor);
}
