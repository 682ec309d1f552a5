// Which of a fleet's targets one shard runs: rendezvous (highest random weight) hashing of the target names.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace migration_host {

// One of `count` machines (or Kubernetes pods) that split one targets file between them (--shard INDEX/COUNT).
struct FleetShard {
    std::uint32_t index = 0;  // 0 .. count - 1
    std::uint32_t count = 1;
};

// The most shards a fleet may be split into: Kubernetes' limit on an Indexed Job's completions. Choosing a target's
// shard costs one hash per shard, so the bound also keeps that cheap.
inline constexpr std::uint32_t max_shard_count = 100000;

// The weight of shard `shard_index` for the target `name`: the (shard_index + 1)-th output of SplitMix64 seeded with
// the 64-bit FNV-1a hash of the name's bytes. Both are fixed, published functions of bytes alone, independent of the
// platform, compiler and standard library (std::hash is none of these), so that every machine of a fleet, whatever
// build of the host it runs, computes the same weights. Changing this function would move targets between shards.
std::uint64_t shard_weight(std::string_view name, std::uint32_t shard_index);

// The shard that owns `name` among `shard_count` (at least 1): the one of highest weight, the lowest index on a tie.
// Each name has exactly one owner; going from N to N+1 shards moves only the names the new shard outweighs, about
// 1/(N+1) of them, and none between the old shards.
std::uint32_t owning_shard(std::string_view name, std::uint32_t shard_count);

// The positions in `names` that `shard` owns, in their order.
std::vector<std::size_t> owned_by_shard(const std::vector<std::string>& names, const FleetShard& shard);

}  // namespace migration_host
