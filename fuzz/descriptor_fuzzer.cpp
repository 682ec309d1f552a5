// Fuzz target: descriptor validation on descriptors built from fuzz bytes, each struct exactly as large as it claims.
// SPDX-License-Identifier: Apache-2.0
//
// The bytes choose every member a plugin controls: struct sizes (the host must read nothing beyond them; each struct
// lives in a heap block of exactly its claimed size, so AddressSanitizer reports any read past it), magic and ABI
// versions, texts (NULL, empty, long, any bytes), counts, versions, flags, reserved fields, requirements and which
// step functions are present. Whatever validate_descriptor accepts must obey the catalog's rules.
#include <migration_host/plugin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_check.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/version_ref.hpp"

namespace {

int32_t fuzz_step(const mh_host_api*, mh_host_context*) {
    return MH_OK;
}

// Hands out the fuzz input piece by piece; zeros once it runs out.
class Bytes {
public:
    Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
    std::uint32_t u32() { return byte() | (byte() << 8U) | (byte() << 16U) | (static_cast<std::uint32_t>(byte()) << 24U); }
    std::int64_t i64() { return static_cast<std::int64_t>(static_cast<std::uint64_t>(u32()) << 32U | u32()); }
    std::string text() {
        const std::size_t length = std::min<std::size_t>(byte(), size_ - std::min(at_, size_));
        std::string out(reinterpret_cast<const char*>(data_ + at_), length);
        at_ += length;
        return out;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

// Keeps every string and block alive while the host reads them.
struct Arena {
    std::vector<std::unique_ptr<std::string>> texts;
    std::vector<std::unique_ptr<std::uint8_t[]>> blocks;
    std::vector<std::unique_ptr<const char*[]>> text_arrays;
    std::vector<std::unique_ptr<const mh_migration*[]>> migration_arrays;

    // NULL, a common valid name, or fuzz bytes, as the next byte says.
    const char* text(Bytes& bytes) {
        switch (bytes.byte() % 4) {
            case 0: return nullptr;
            case 1: texts.push_back(std::make_unique<std::string>("cinder")); break;
            default: texts.push_back(std::make_unique<std::string>(bytes.text())); break;
        }
        return texts.back()->c_str();
    }

    // A heap block of exactly `claimed` bytes holding the first `claimed` bytes of `full` (zeros past it), and never
    // less than the struct_size member itself, which every producer writes.
    template <typename Struct>
    Struct* exact_block(const Struct& full, std::uint32_t claimed) {
        const std::size_t size = std::max<std::size_t>(claimed, sizeof(std::uint32_t));
        blocks.push_back(std::make_unique<std::uint8_t[]>(size));
        std::uint8_t* block = blocks.back().get();
        std::memcpy(block, &full, std::min(size, sizeof(Struct)));
        // Members are only read when struct_size covers them (MH_STRUCT_HAS), so a short block is enough.
        return reinterpret_cast<Struct*>(block);
    }
};

// Which struct size to claim: the real one most of the time, or an earlier layout, or anything.
std::uint32_t claimed_size(Bytes& bytes, std::uint32_t real) {
    switch (bytes.byte() % 4) {
        case 0:
        case 1: return real;
        case 2: return real - 8U * (bytes.byte() % 3U);
        default: return bytes.u32() % 8192U;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Bytes bytes(data, size);
    Arena arena;

    mh_plugin_descriptor full{};
    full.magic = bytes.byte() % 8 == 0 ? bytes.u32() : MH_PLUGIN_MAGIC;
    full.abi_major = bytes.byte() % 8 == 0 ? bytes.u32() : MH_ABI_VERSION_MAJOR;
    full.abi_minor = bytes.byte() % 4;
    full.id = arena.text(bytes);
    full.name = arena.text(bytes);
    full.version = arena.text(bytes);
    full.description = arena.text(bytes);
    full.reserved0 = bytes.byte() % 16 == 0 ? bytes.u32() : 0;
    const std::uint32_t migration_count = bytes.byte() % 6;
    full.migration_count = bytes.byte() % 16 == 0 ? bytes.u32() : migration_count;
    if (bytes.byte() % 16 != 0) {
        arena.migration_arrays.push_back(std::make_unique<const mh_migration*[]>(std::max<std::uint32_t>(migration_count, 1)));
        for (std::uint32_t i = 0; i < migration_count; ++i) {
            if (bytes.byte() % 16 == 0) {
                arena.migration_arrays.back()[i] = nullptr;
                continue;
            }
            mh_migration migration{};
            migration.flags = bytes.byte();
            migration.track = arena.text(bytes);
            migration.version = bytes.byte() % 4 == 0 ? bytes.i64() : static_cast<std::int64_t>(bytes.byte() % 4);
            migration.name = arena.text(bytes);
            const std::uint32_t requirement_count = bytes.byte() % 4;
            migration.requirement_count = bytes.byte() % 16 == 0 ? bytes.u32() : requirement_count;
            if (bytes.byte() % 8 != 0) {
                arena.text_arrays.push_back(std::make_unique<const char*[]>(std::max<std::uint32_t>(requirement_count, 1)));
                for (std::uint32_t r = 0; r < requirement_count; ++r) arena.text_arrays.back()[r] = arena.text(bytes);
                migration.requirements = arena.text_arrays.back().get();
            }
            migration.reserved0 = bytes.byte() % 16 == 0 ? bytes.u32() : 0;
            migration.upgrade = bytes.byte() % 8 == 0 ? nullptr : fuzz_step;
            migration.downgrade = bytes.byte() % 2 == 0 ? nullptr : fuzz_step;
            migration.downgrade_refusal = arena.text(bytes);
            migration.checksum = arena.text(bytes);
            migration.struct_size = claimed_size(bytes, sizeof(mh_migration));
            arena.migration_arrays.back()[i] = arena.exact_block(migration, migration.struct_size);
        }
        full.migrations = arena.migration_arrays.back().get();
    }
    // More migrations claimed than built would read past the array: that is the plugin lying about its
    // own memory, which no host can detect, so the fuzzer never claims more than it built.
    if (full.migrations != nullptr) full.migration_count = std::min(full.migration_count, migration_count);
    full.struct_size = claimed_size(bytes, sizeof(mh_plugin_descriptor));
    const mh_plugin_descriptor* descriptor = arena.exact_block(full, full.struct_size);

    auto result = migration_host::validate_descriptor(descriptor, "/fuzz/descriptor.so");
    if (const auto* plugin = std::get_if<std::unique_ptr<migration_host::LoadedPlugin>>(&result)) {
        const std::string_view input(reinterpret_cast<const char*>(data), size);
        fuzz::require(migration_host::is_valid_track_name((*plugin)->id()), "an accepted plugin id is valid", input);
        for (const auto& migration : (*plugin)->migrations()) {
            fuzz::require(migration_host::is_valid_track_name(migration.ref.track), "accepted tracks are valid", input);
            fuzz::require(migration.ref.version > 0, "accepted versions are positive", input);
            fuzz::require(migration.upgrade != nullptr, "accepted migrations have an upgrade", input);
            for (const auto& requirement : migration.requirements) {
                fuzz::require(requirement.version > 0, "accepted requirements name a positive version", input);
            }
        }
    }
    return 0;
}
