#include "config/value.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace corral::config {

namespace {

bool is_one_of(std::string_view text, std::initializer_list<std::string_view> words) {
    return std::find(words.begin(), words.end(), text) != words.end();
}

bool is_true_word(std::string_view text) {
    return is_one_of(text, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"});
}

bool is_false_word(std::string_view text) {
    return is_one_of(text, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"});
}

bool all_digits(std::string_view text, int base) {
    if (text.empty())
        return false;
    for (char c : text) {
        bool ok = base == 16  ? std::isxdigit(static_cast<unsigned char>(c))
                  : base == 8 ? (c >= '0' && c <= '7')
                              : std::isdigit(static_cast<unsigned char>(c));
        if (!ok)
            return false;
    }
    return true;
}

// Parses YAML integers: decimal, 0x hex, 0o octal and 1.1-style leading-zero octal.
std::optional<int64_t> parse_integer(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    } else if (text.size() > 2 && text[0] == '0' && text[1] == 'o') {
        base = 8;
        text.remove_prefix(2);
    } else if (text.size() > 1 && text[0] == '0') {
        base = 8;
        text.remove_prefix(1);
    }
    if (!all_digits(text, base))
        return std::nullopt;
    uint64_t magnitude = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    if (negative) {
        if (magnitude > uint64_t(INT64_MAX) + 1)
            return std::nullopt;
        return static_cast<int64_t>(0 - magnitude);
    }
    if (magnitude > uint64_t(INT64_MAX))
        return std::nullopt;
    return static_cast<int64_t>(magnitude);
}

bool is_float(std::string_view text) {
    if (is_one_of(text, {".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN"}))
        return true;
    size_t i = 0;
    if (i < text.size() && (text[i] == '-' || text[i] == '+'))
        ++i;
    size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
        ++i, ++digits;
    bool dot = false;
    if (i < text.size() && text[i] == '.') {
        dot = true;
        ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
            ++i, ++digits;
    }
    if (digits == 0)
        return false;
    bool exponent = false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        exponent = true;
        ++i;
        if (i < text.size() && (text[i] == '-' || text[i] == '+'))
            ++i;
        size_t exponent_digits = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
            ++i, ++exponent_digits;
        if (exponent_digits == 0)
            return false;
    }
    return i == text.size() && (dot || exponent);
}

}  // namespace

ScalarType classify_plain_scalar(std::string_view text) {
    if (is_one_of(text, {"", "~", "null", "Null", "NULL"}))
        return ScalarType::null;
    if (is_true_word(text) || is_false_word(text))
        return ScalarType::boolean;
    if (parse_integer(text))
        return ScalarType::integer;
    if (is_float(text))
        return ScalarType::floating;
    return ScalarType::string;
}

Value Value::scalar(std::string text, bool quoted) {
    Value value;
    value.kind_ = Kind::scalar;
    value.text_ = std::move(text);
    value.quoted_ = quoted;
    return value;
}

Value Value::sequence(std::vector<Value> items) {
    Value value;
    value.kind_ = Kind::sequence;
    value.items_ = std::move(items);
    return value;
}

Value Value::mapping(std::vector<Entry> entries) {
    Value value;
    value.kind_ = Kind::mapping;
    value.entries_ = std::move(entries);
    return value;
}

ScalarType Value::scalar_type() const {
    if (kind_ == Kind::null)
        return ScalarType::null;
    if (quoted_)
        return ScalarType::string;
    return classify_plain_scalar(text_);
}

std::optional<bool> Value::as_bool() const {
    if (kind_ != Kind::scalar)
        return std::nullopt;
    // Quoted "true" is accepted too: compose files write `privileged: "true"`.
    if (is_true_word(text_))
        return true;
    if (is_false_word(text_))
        return false;
    return std::nullopt;
}

std::optional<int64_t> Value::as_int() const {
    if (kind_ != Kind::scalar)
        return std::nullopt;
    if (quoted_) {
        // A quoted number is still a number to a reader of config ("60"), but only decimal.
        if (!all_digits(text_[0] == '-' ? std::string_view(text_).substr(1) : text_, 10))
            return std::nullopt;
    }
    return parse_integer(text_);
}

std::optional<std::string> Value::as_string() const {
    if (kind_ == Kind::null)
        return std::string();
    if (kind_ != Kind::scalar)
        return std::nullopt;
    return text_;
}

const Mark& Value::key_mark(size_t index) const {
    static const Mark none;
    return index < key_marks_.size() ? key_marks_[index] : none;
}

void Value::set_key_mark(size_t index, Mark mark) {
    if (index >= entries_.size())
        return;
    if (key_marks_.size() < entries_.size())
        key_marks_.resize(entries_.size());
    key_marks_[index] = std::move(mark);
}

const Value* Value::find(std::string_view key) const {
    for (const auto& [name, value] : entries_) {
        if (name == key)
            return &value;
    }
    return nullptr;
}

Value* Value::find(std::string_view key) {
    for (auto& [name, value] : entries_) {
        if (name == key)
            return &value;
    }
    return nullptr;
}

Value& Value::set(std::string key, Value value) {
    if (kind_ != Kind::mapping) {
        *this = mapping();
    }
    for (auto& entry : entries_) {
        if (entry.first == key) {
            entry.second = std::move(value);
            return entry.second;
        }
    }
    entries_.emplace_back(std::move(key), std::move(value));
    return entries_.back().second;
}

bool Value::erase(std::string_view key) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& entry) { return entry.first == key; });
    if (it == entries_.end())
        return false;
    size_t index = static_cast<size_t>(it - entries_.begin());
    if (index < key_marks_.size())
        key_marks_.erase(key_marks_.begin() + static_cast<std::ptrdiff_t>(index));
    entries_.erase(it);
    return true;
}

void Value::set_file(const std::string& file) {
    mark_.file = file;
    for (auto& key_mark : key_marks_)
        key_mark.file = file;
    for (auto& item : items_)
        item.set_file(file);
    for (auto& entry : entries_)
        entry.second.set_file(file);
}

std::string Value::describe() const {
    switch (kind_) {
        case Kind::null:
            return "null";
        case Kind::scalar:
            return "\"" + text_ + "\"";
        case Kind::sequence:
            return "a list";
        case Kind::mapping:
            return "a map";
    }
    return "?";
}

bool Value::operator==(const Value& other) const {
    if (kind_ != other.kind_)
        return false;
    switch (kind_) {
        case Kind::null:
            return true;
        case Kind::scalar:
            return text_ == other.text_;
        case Kind::sequence:
            return items_ == other.items_;
        case Kind::mapping: {
            if (entries_.size() != other.entries_.size())
                return false;
            for (const auto& [key, value] : entries_) {
                const Value* theirs = other.find(key);
                if (!theirs || !(*theirs == value))
                    return false;
            }
            return true;
        }
    }
    return false;
}

}  // namespace corral::config
