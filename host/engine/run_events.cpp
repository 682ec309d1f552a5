// What a run reports as it goes: events as plain values, each stamped with a monotonic time, for observers to render.
// SPDX-License-Identifier: Apache-2.0
#include "engine/run_events.hpp"

namespace migration_host {

StepDescription StepDescription::of(const Step& step) {
    const Migration& migration = *step.migration;
    StepDescription description;
    description.track = migration.ref.track;
    description.version = migration.ref.version;
    description.from_version = step.from_version();
    description.to_version = step.to_version();
    description.direction = step.direction;
    description.name = migration.name;
    description.label = step.direction == Direction::upgrade ? migration.label() : migration.label() + " downgrade";
    description.plugin_id = migration.plugin->id();
    description.plugin_version = migration.plugin->version();
    return description;
}

void RunReporter::report(RunEventKind what) const {
    const std::lock_guard lock(mutex_);
    const RunEvent event{std::chrono::steady_clock::now(), std::move(what)};
    for (RunObserver* observer : observers_) observer->on_event(event);
}

}  // namespace migration_host
