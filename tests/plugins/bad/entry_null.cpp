// Bad plugin entry_null: its entry function returns NULL to every host.
#include "bad_plugin.hpp"

BAD_PLUGIN_ENTRY(nullptr)
