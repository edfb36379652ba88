#include "engine/names.h"

#include <sys/random.h>

#include <array>
#include <random>

namespace corral::engine {

namespace {

// Small lists of our own; 32 x 32 combinations before numbers are appended.
constexpr std::array<std::string_view, 32> adjectives = {
    "amber",  "brave",  "calm",   "clever",  "cosy",   "dusty",  "eager", "fancy",
    "gentle", "golden", "happy",  "hardy",   "humble", "jolly",  "keen",  "lively",
    "lucky",  "mellow", "nimble", "patient", "plucky", "quiet",  "rapid", "rustic",
    "shiny",  "steady", "sunny",  "swift",   "tidy",   "trusty", "vivid", "witty"};
constexpr std::array<std::string_view, 32> nouns = {
    "badger", "bison", "burro",   "cactus",   "canyon",  "cattle", "colt",  "condor",
    "coyote", "creek", "dune",    "falcon",   "filly",   "gopher", "heron", "lariat",
    "lasso",  "mesa",  "mustang", "pony",     "prairie", "quail",  "ranch", "rodeo",
    "saddle", "sage",  "spur",    "stallion", "steer",   "trail",  "wagon", "yucca"};

uint64_t random_u64() {
    uint64_t value = 0;
    if (::getrandom(&value, sizeof(value), 0) != sizeof(value)) {
        static thread_local std::mt19937_64 fallback{std::random_device{}()};
        value = fallback();
    }
    return value;
}

bool name_char(char c, bool first) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

}  // namespace

std::string generate_id() {
    static const char digits[] = "0123456789abcdef";
    std::string id;
    id.reserve(64);
    for (int word = 0; word < 4; ++word) {
        uint64_t value = random_u64();
        for (int i = 0; i < 16; ++i, value >>= 4)
            id += digits[value & 15];
    }
    return id;
}

bool is_full_id(std::string_view text) {
    if (text.size() != 64)
        return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

ErrorOr<std::string> validate_name(std::string_view name) {
    if (!name.empty() && name.front() == '/')
        name.remove_prefix(1);
    auto invalid = [&] {
        return Error::invalid("Invalid container name (" + std::string(name) +
                              "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    };
    if (name.size() < 2)
        return invalid();
    if (name.size() > max_name_length)
        return Error::invalid("container name longer than " + std::to_string(max_name_length) +
                              " characters");
    for (size_t i = 0; i < name.size(); ++i)
        if (!name_char(name[i], i == 0))
            return invalid();
    return std::string(name);
}

std::string generate_name(const std::function<bool(const std::string&)>& taken) {
    for (int attempt = 0;; ++attempt) {
        uint64_t value = random_u64();
        std::string name = std::string(adjectives[value % adjectives.size()]) + "_" +
                           std::string(nouns[(value >> 8) % nouns.size()]);
        // After a few collisions the space is crowded: add a number, as docker does.
        if (attempt >= 8)
            name += std::to_string((value >> 16) % 10000);
        if (!taken(name))
            return name;
    }
}

}  // namespace corral::engine
