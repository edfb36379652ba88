#include "api/query.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace corral::api {

namespace {

// Nanoseconds since the epoch fit an int64_t until 2262; later times are refused.
constexpr int64_t max_timestamp_seconds = 9'000'000'000;

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Digits only, at most `max_digits`; returns -1 otherwise.
int64_t digits_value(std::string_view text, size_t max_digits = 18) {
    if (text.empty() || text.size() > max_digits)
        return -1;
    int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return -1;
        value = value * 10 + (c - '0');
    }
    return value;
}

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)" → ns since the epoch, or -1.
int64_t parse_rfc3339(std::string_view text) {
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
        return -1;
    int64_t year = digits_value(text.substr(0, 4)), month = digits_value(text.substr(5, 2)),
            day = digits_value(text.substr(8, 2)), hour = digits_value(text.substr(11, 2)),
            minute = digits_value(text.substr(14, 2)), second = digits_value(text.substr(17, 2));
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
        minute < 0 || minute > 59 || second < 0 || second > 60)
        return -1;
    std::string_view rest = text.substr(19);
    int64_t fraction_ns = 0;
    if (!rest.empty() && rest.front() == '.') {
        size_t digits = 1;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9')
            ++digits;
        std::string fraction(rest.substr(1, digits - 1));
        if (fraction.empty())
            return -1;
        fraction.resize(9, '0');
        fraction_ns = digits_value(fraction.substr(0, 9));
        rest.remove_prefix(digits);
    }
    int64_t offset_seconds = 0;
    if (rest == "Z" || rest == "z") {
        offset_seconds = 0;
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
        int64_t hours = digits_value(rest.substr(1, 2)), minutes = digits_value(rest.substr(4, 2));
        if (hours < 0 || minutes < 0)
            return -1;
        offset_seconds = (hours * 60 + minutes) * 60 * (rest[0] == '-' ? -1 : 1);
    } else {
        return -1;
    }
    tm parts{};
    parts.tm_year = static_cast<int>(year - 1900);
    parts.tm_mon = static_cast<int>(month - 1);
    parts.tm_mday = static_cast<int>(day);
    parts.tm_hour = static_cast<int>(hour);
    parts.tm_min = static_cast<int>(minute);
    parts.tm_sec = static_cast<int>(second);
    int64_t seconds = static_cast<int64_t>(::timegm(&parts)) - offset_seconds;
    if (seconds < 0 || seconds > max_timestamp_seconds)
        return -1;
    return seconds * 1000000000 + fraction_ns;
}

}  // namespace

ErrorOr<std::string> percent_decode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
            int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
            if (high < 0 || low < 0)
                return Error::invalid("invalid URL escape in " + std::string(text));
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

ErrorOr<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> values;
    size_t count = 0;
    size_t start = 0;
    while (start < query.size()) {
        size_t amp = query.find('&', start);
        if (amp == std::string_view::npos)
            amp = query.size();
        std::string_view pair = query.substr(start, amp - start);
        start = amp + 1;
        if (pair.empty())
            continue;
        if (++count > max_query_parameters)
            return Error::invalid("too many query parameters");
        size_t equals = pair.find('=');
        std::string key = TRY(percent_decode(pair.substr(0, equals), true));
        std::string value;
        if (equals != std::string_view::npos)
            value = TRY(percent_decode(pair.substr(equals + 1), true));
        values.emplace_back(std::move(key), std::move(value));
    }
    return values;
}

bool parse_bool(std::string_view text) {
    std::string lower = lowercase(text);
    return !(lower.empty() || lower == "0" || lower == "no" || lower == "false" || lower == "none");
}

ErrorOr<int64_t> parse_int(std::string_view text, std::string_view name, int64_t min, int64_t max) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        return Error::invalid("invalid value for " + std::string(name) + ": \"" +
                              std::string(text) + "\" is not an integer");
    if (value < min || value > max)
        return Error::invalid("invalid value for " + std::string(name) + ": " + std::string(text) +
                              " is out of range");
    return value;
}

ErrorOr<Filters> parse_filters(std::string_view json) {
    Filters filters;
    if (json.empty())
        return filters;
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(json);
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid(std::string("invalid filters: ") + error.what());
    }
    if (!document.is_object())
        return Error::invalid("invalid filters: expected a JSON object");
    size_t count = 0;
    for (const auto& [key, value] : document.items()) {
        auto& list = filters[key];
        if (value.is_object()) {
            // {"status": {"exited": true}}
            for (const auto& [item, enabled] : value.items()) {
                if (!enabled.is_boolean())
                    return Error::invalid("invalid filters: value of " + key + "." + item +
                                          " must be a boolean");
                if (enabled.get<bool>())
                    list.push_back(item);
                ++count;
            }
        } else if (value.is_array()) {
            // The legacy form: {"status": ["exited"]}
            for (const auto& item : value) {
                if (!item.is_string())
                    return Error::invalid("invalid filters: values of " + key + " must be strings");
                list.push_back(item.get<std::string>());
                ++count;
            }
        } else {
            return Error::invalid("invalid filters: value of " + key +
                                  " must be an object or a list");
        }
        if (count > max_filter_values)
            return Error::invalid("invalid filters: too many values");
        std::sort(list.begin(), list.end());
    }
    return filters;
}

ErrorOr<void> check_filter_keys(const Filters& filters, const std::set<std::string>& accepted) {
    for (const auto& [key, values] : filters) {
        if (!accepted.count(key))
            return Error::invalid("invalid filter '" + key + "'");
    }
    return {};
}

ErrorOr<int64_t> parse_timestamp(std::string_view text, std::string_view name) {
    if (text.empty())
        return int64_t{0};
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    int64_t seconds = digits_value(whole, 12);
    if (seconds > max_timestamp_seconds)
        return Error::invalid("invalid value for " + std::string(name) + ": " + std::string(text) +
                              " is out of range");
    if (seconds >= 0) {
        int64_t nanoseconds = 0;
        if (dot != std::string_view::npos) {
            std::string fraction(text.substr(dot + 1));
            if (fraction.empty() || fraction.size() > 9 || digits_value(fraction) < 0)
                return Error::invalid("invalid value for " + std::string(name) + ": " +
                                      std::string(text));
            fraction.resize(9, '0');
            nanoseconds = digits_value(fraction);
        }
        return seconds * 1000000000 + nanoseconds;
    }
    int64_t parsed = parse_rfc3339(text);
    if (parsed < 0)
        return Error::invalid("invalid value for " + std::string(name) + ": " + std::string(text));
    return parsed;
}

}  // namespace corral::api
