#include "api/json_fields.h"

namespace corral::api {

namespace {

const nlohmann::json null_value;

Error type_error(const std::string& path, std::string_view expected) {
    return Error::invalid("invalid value for " + path + ": expected " + std::string(expected));
}

}  // namespace

ErrorOr<nlohmann::json> parse_json_body(std::string_view text, bool allow_empty) {
    bool blank = text.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (blank) {
        if (allow_empty)
            return nlohmann::json::object();
        return Error::invalid("request body is empty; a JSON object is required");
    }
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid(std::string("malformed JSON in request body: ") + error.what());
    }
}

bool is_zero_value(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null:
            return true;
        case nlohmann::json::value_t::boolean:
            return !value.get<bool>();
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float:
            return value.get<double>() == 0;
        case nlohmann::json::value_t::string:
            return value.get_ref<const std::string&>().empty();
        case nlohmann::json::value_t::array:
        case nlohmann::json::value_t::object:
            for (const auto& member : value) {
                if (!is_zero_value(member))
                    return false;
            }
            return true;
        default:
            return false;
    }
}

ErrorOr<Fields> Fields::of(const nlohmann::json& object, std::string path) {
    if (object.is_null())
        return Fields(&null_value, std::move(path));
    if (!object.is_object())
        return type_error(path.empty() ? "the request body" : path, "an object");
    return Fields(&object, std::move(path));
}

std::string Fields::field_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const nlohmann::json* Fields::take(std::string_view key) {
    taken_.emplace(key);
    if (!object_->is_object())
        return nullptr;
    auto it = object_->find(key);
    if (it == object_->end() || it->is_null())
        return nullptr;
    return &*it;
}

ErrorOr<std::string> Fields::string(std::string_view key) {
    const auto* value = take(key);
    if (!value)
        return std::string();
    if (!value->is_string())
        return type_error(field_path(key), "a string");
    return value->get<std::string>();
}

ErrorOr<bool> Fields::boolean(std::string_view key) {
    auto value = TRY(optional_boolean(key));
    return value.value_or(false);
}

ErrorOr<std::optional<bool>> Fields::optional_boolean(std::string_view key) {
    const auto* value = take(key);
    if (!value)
        return std::optional<bool>();
    if (!value->is_boolean())
        return type_error(field_path(key), "a boolean");
    return std::optional<bool>(value->get<bool>());
}

ErrorOr<int64_t> Fields::integer(std::string_view key, int64_t min, int64_t max) {
    auto value = TRY(optional_integer(key));
    int64_t number = value.value_or(0);
    if (value && (number < min || number > max))
        return Error::invalid("invalid value for " + field_path(key) + ": " +
                              std::to_string(number) + " is out of range");
    return number;
}

ErrorOr<std::optional<int64_t>> Fields::optional_integer(std::string_view key) {
    const auto* value = take(key);
    if (!value)
        return std::optional<int64_t>();
    if (value->is_number_unsigned()) {
        auto number = value->get<uint64_t>();
        if (number > static_cast<uint64_t>(INT64_MAX))
            return Error::invalid("invalid value for " + field_path(key) + ": out of range");
        return std::optional<int64_t>(static_cast<int64_t>(number));
    }
    if (value->is_number_integer())
        return std::optional<int64_t>(value->get<int64_t>());
    if (value->is_number_float()) {
        double number = value->get<double>();
        if (number == static_cast<double>(static_cast<int64_t>(number)) && number < 9.2e18 &&
            number > -9.2e18)
            return std::optional<int64_t>(static_cast<int64_t>(number));
    }
    return type_error(field_path(key), "an integer");
}

ErrorOr<std::optional<std::vector<std::string>>> Fields::optional_strings(std::string_view key) {
    const auto* value = take(key);
    if (!value)
        return std::optional<std::vector<std::string>>();
    std::vector<std::string> list;
    if (value->is_string()) {
        list.push_back(value->get<std::string>());
        return std::optional(std::move(list));
    }
    if (!value->is_array())
        return type_error(field_path(key), "a list of strings");
    for (const auto& item : *value) {
        if (!item.is_string())
            return type_error(field_path(key), "a list of strings");
        list.push_back(item.get<std::string>());
    }
    return std::optional(std::move(list));
}

ErrorOr<std::vector<std::string>> Fields::strings(std::string_view key) {
    auto list = TRY(optional_strings(key));
    return list ? std::move(*list) : std::vector<std::string>();
}

ErrorOr<std::map<std::string, std::string>> Fields::string_map(std::string_view key) {
    const auto* value = take(key);
    std::map<std::string, std::string> map;
    if (!value)
        return map;
    if (!value->is_object())
        return type_error(field_path(key), "an object of strings");
    for (const auto& [name, item] : value->items()) {
        if (!item.is_string())
            return type_error(field_path(key) + "." + name, "a string");
        map[name] = item.get<std::string>();
    }
    return map;
}

ErrorOr<std::vector<std::string>> Fields::key_set(std::string_view key) {
    const auto* value = take(key);
    std::vector<std::string> keys;
    if (!value)
        return keys;
    if (!value->is_object())
        return type_error(field_path(key), "an object");
    for (const auto& [name, item] : value->items()) {
        if (!is_zero_value(item))
            return type_error(field_path(key) + "." + name, "an empty object");
        keys.push_back(name);
    }
    return keys;
}

ErrorOr<Fields> Fields::object(std::string_view key) {
    const auto* value = take(key);
    if (!value)
        return Fields(&null_value, field_path(key));
    return of(*value, field_path(key));
}

ErrorOr<void> Fields::unsupported(std::string_view key,
                                  const std::vector<nlohmann::json>& allowed) {
    const auto* value = take(key);
    if (!value || is_zero_value(*value))
        return {};
    for (const auto& accepted : allowed) {
        if (*value == accepted)
            return {};
    }
    return Error{ErrorKind::invalid_argument,
                 field_path(key) + " is not supported by this engine (got " +
                     value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ")"};
}

void Fields::ignore(std::string_view key) {
    (void)take(key);
}

ErrorOr<void> Fields::finish() const {
    if (!object_->is_object())
        return {};
    for (const auto& [key, value] : object_->items()) {
        if (!taken_.count(key))
            return Error::invalid("unknown field " + field_path(key));
    }
    return {};
}

}  // namespace corral::api
