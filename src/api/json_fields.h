// Typed reading of one JSON object of a request body, field by field, so that every field a
// client sends is accounted for: read, accepted at its default value, or reported. Errors name
// the field by its path ("HostConfig.Memory").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace corral::api {

// Parses a request body; the error says where the JSON is malformed. Empty text is an error
// unless `allow_empty` (then it reads as {}).
ErrorOr<nlohmann::json> parse_json_body(std::string_view text, bool allow_empty = false);

// True for the zero value of any JSON type: null, false, 0, "", and arrays or objects whose
// members are all zero ({"Type": "", "Config": {}}, [0, 0]).
bool is_zero_value(const nlohmann::json& value);

class Fields {
  public:
    // `object` must be an object or null (null reads as an empty object).
    static ErrorOr<Fields> of(const nlohmann::json& object, std::string path);

    // The value of `key`, marked as read; nullptr when absent or null.
    const nlohmann::json* take(std::string_view key);

    ErrorOr<std::string> string(std::string_view key);
    ErrorOr<bool> boolean(std::string_view key);
    // A boolean that may be null: nullopt when absent or null.
    ErrorOr<std::optional<bool>> optional_boolean(std::string_view key);
    ErrorOr<int64_t> integer(std::string_view key, int64_t min = INT64_MIN,
                             int64_t max = INT64_MAX);
    ErrorOr<std::optional<int64_t>> optional_integer(std::string_view key);
    // A list of strings; a single string is read as a one-element list (docker's StrSlice).
    ErrorOr<std::vector<std::string>> strings(std::string_view key);
    // As strings, but nullopt when absent or null (Cmd, Entrypoint).
    ErrorOr<std::optional<std::vector<std::string>>> optional_strings(std::string_view key);
    ErrorOr<std::map<std::string, std::string>> string_map(std::string_view key);
    // The keys of an object whose values must be empty objects ({"/data": {}}).
    ErrorOr<std::vector<std::string>> key_set(std::string_view key);
    // A nested object (absent or null gives an empty one).
    ErrorOr<Fields> object(std::string_view key);

    // A field this engine accepts only at its zero value (or equal to `allowed`).
    ErrorOr<void> unsupported(std::string_view key,
                              const std::vector<nlohmann::json>& allowed = {});
    // A field that is accepted and has no effect here, whatever its value.
    void ignore(std::string_view key);
    // Fails naming the first field that was not read.
    ErrorOr<void> finish() const;

    // "HostConfig.Memory"
    std::string field_path(std::string_view key) const;
    const std::string& path() const { return path_; }

  private:
    Fields(const nlohmann::json* object, std::string path)
        : object_(object), path_(std::move(path)) {}
    const nlohmann::json* object_;
    std::string path_;
    std::set<std::string, std::less<>> taken_;
};

}  // namespace corral::api
