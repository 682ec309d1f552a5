// Which of a fleet's targets one shard runs: rendezvous (highest random weight) hashing of the target names.
// SPDX-License-Identifier: Apache-2.0
#include "engine/fleet_shard.hpp"

namespace migration_host {
namespace {

// FNV-1a, 64 bits (Fowler, Noll, Vo): offset basis 0xcbf29ce484222325, prime 0x100000001b3, one byte at a time.
std::uint64_t fnv1a_64(std::string_view bytes) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char byte : bytes) {
        hash ^= static_cast<unsigned char>(byte);
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

// SplitMix64 (Steele, Lea, Flood; as in Java's SplittableRandom): the n-th output (n from 1) from `seed` mixes
// seed + n * 0x9e3779b97f4a7c15. FNV-1a alone spreads its last bytes poorly over the high bits; this mix does not.
std::uint64_t splitmix64_output(std::uint64_t seed, std::uint64_t n) {
    std::uint64_t z = seed + n * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace

std::uint64_t shard_weight(std::string_view name, std::uint32_t shard_index) {
    return splitmix64_output(fnv1a_64(name), std::uint64_t{shard_index} + 1);
}

std::uint32_t owning_shard(std::string_view name, std::uint32_t shard_count) {
    const std::uint64_t seed = fnv1a_64(name);
    std::uint32_t owner = 0;
    std::uint64_t highest = splitmix64_output(seed, 1);
    for (std::uint32_t shard = 1; shard < shard_count; ++shard) {
        const std::uint64_t weight = splitmix64_output(seed, std::uint64_t{shard} + 1);
        if (weight > highest) {
            highest = weight;
            owner = shard;
        }
    }
    return owner;
}

std::vector<std::size_t> owned_by_shard(const std::vector<std::string>& names, const FleetShard& shard) {
    std::vector<std::size_t> owned;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (owning_shard(names[i], shard.count) == shard.index) owned.push_back(i);
    }
    return owned;
}

}  // namespace migration_host
