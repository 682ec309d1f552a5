// Whether the applied steps still match the loaded plugins (validate): each step's recorded checksum against today's.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/session.hpp"

namespace migration_host {

struct CheckedStep {
    enum class Outcome { ok, changed, no_checksum_recorded, no_offline_checksum };
    const Migration* migration = nullptr;
    Outcome outcome = Outcome::ok;
    std::string recorded, current;
};

struct UnprovidedSteps {
    std::string track;
    std::int64_t first = 0, last = 0;  // the versions, each listed when first == last
    std::string origin;                // for a single version
};

struct ValidateResult {
    LoadedCatalog loaded;  // keeps the plugins that `steps` points into
    std::vector<CheckedStep> steps;
    std::vector<UnprovidedSteps> unprovided;
    std::uint64_t unprovided_count = 0;
    std::size_t verified = 0;
    std::vector<std::string> changed_labels, unprovided_labels;
};

// Loads the plugins, reads the whole history (every row checked) and compares every applied step's checksum.
ValidateResult read_validation(const PluginOptions& plugins, const ConnectionOptions& connection);

}  // namespace migration_host
