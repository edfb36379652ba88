#include "config/tree.h"

#include "config/schema.h"
#include "config/yaml.h"

namespace corral::config {

Value merge(const Value& left, const Value& right) {
    if (!left.is_mapping() || !right.is_mapping())
        return right;
    Value result = left;
    for (const auto& [key, value] : right.entries()) {
        if (Value* existing = result.find(key))
            *existing = merge(*existing, value);
        else
            result.set(key, value);
    }
    return result;
}

std::vector<std::string> split_key(std::string_view key) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t dot = key.find('.', start);
        parts.emplace_back(key.substr(start, dot - start));
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return parts;
}

namespace {

std::string join_parts(const std::vector<std::string>& parts, size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to; ++i) {
        if (i > from)
            out += '.';
        out += parts[i];
    }
    return out;
}

// The longest run of segments from `from` naming an existing key of `map`: returns how many
// segments it took (0 when none matches).
size_t match_segments(const Value& map, const std::vector<std::string>& parts, size_t from) {
    if (!map.is_mapping())
        return 0;
    for (size_t to = parts.size(); to > from; --to) {
        if (map.find(join_parts(parts, from, to)))
            return to - from;
    }
    return 0;
}

}  // namespace

const Value* lookup(const Value& root, std::string_view key) {
    if (key.empty())
        return &root;
    auto parts = split_key(key);
    const Value* node = &root;
    size_t index = 0;
    while (index < parts.size()) {
        size_t taken = match_segments(*node, parts, index);
        if (taken == 0)
            return nullptr;
        node = node->find(join_parts(parts, index, index + taken));
        index += taken;
    }
    return node;
}

ErrorOr<void> assign(Value& root, std::string_view key, Value value) {
    if (key.empty())
        return Error::invalid("empty key");
    auto parts = split_key(key);
    for (const auto& part : parts) {
        if (part.empty())
            return Error::invalid("key `" + std::string(key) + "` has an empty segment");
    }
    if (root.is_null())
        root = Value::mapping();
    Value* node = &root;
    std::string walked;
    size_t index = 0;
    while (index < parts.size()) {
        if (!node->is_mapping()) {
            if (!node->is_null())
                return Error::invalid("cannot set `" + std::string(key) + "`: `" + walked +
                                      "` is " + node->describe() + ", not a map");
            *node = Value::mapping();
        }
        size_t taken = match_segments(*node, parts, index);
        if (taken == 0) {
            // A new key: the schema says whether the rest is one free-form key.
            taken = free_form_key_here(walked) ? parts.size() - index : 1;
        }
        std::string name = join_parts(parts, index, index + taken);
        index += taken;
        walked += (walked.empty() ? "" : ".") + name;
        if (index == parts.size()) {
            node->set(name, std::move(value));
            return {};
        }
        Value* next = node->find(name);
        if (!next)
            next = &node->set(name, Value::mapping());
        node = next;
    }
    return {};
}

bool remove(Value& root, std::string_view key) {
    auto parts = split_key(key);
    Value* node = &root;
    size_t index = 0;
    while (index < parts.size()) {
        size_t taken = match_segments(*node, parts, index);
        if (taken == 0)
            return false;
        std::string name = join_parts(parts, index, index + taken);
        index += taken;
        if (index == parts.size())
            return node->erase(name);
        node = node->find(name);
    }
    return false;
}

namespace {

// Stand-ins that YAML treats as ordinary characters, so `url:http://x` or `a?b` are not read
// as mappings; restored after parsing.
// Private-use code points U+E000 and U+E001: printable for YAML, never in real config text.
constexpr std::string_view colon_stand_in = "\xee\x80\x80";
constexpr std::string_view question_stand_in = "\xee\x80\x81";

std::string replace_all(const std::string& text, std::string_view from, std::string_view to) {
    // Built piecewise: GCC 12 warns (-Wrestrict) on std::string::replace here at -O3.
    std::string out;
    size_t start = 0;
    for (;;) {
        size_t found = text.find(from, start);
        out.append(text, start, found == std::string::npos ? std::string::npos : found - start);
        if (found == std::string::npos)
            return out;
        out.append(to);
        start = found + from.size();
    }
}

void restore(Value& value) {
    if (value.is_scalar()) {
        std::string text =
            replace_all(replace_all(value.text(), colon_stand_in, ":"), question_stand_in, "?");
        value = Value::scalar(std::move(text), value.quoted());
    }
    for (auto& item : value.items())
        restore(item);
    for (auto& entry : value.entries()) {
        entry.first =
            replace_all(replace_all(entry.first, colon_stand_in, ":"), question_stand_in, "?");
        restore(entry.second);
    }
}

// Protects ": "-less colons: a colon followed by a space still separates a key from a value.
std::string protect(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        bool separator = i + 1 < text.size() && text[i + 1] == ' ';
        if (c == ':' && !separator)
            out += colon_stand_in;
        else if (c == '?' && !separator)
            out += question_stand_in;
        else
            out += c;
    }
    return out;
}

}  // namespace

Value parse_value_text(std::string_view text) {
    if (text.empty())
        return Value::string("");
    if (text.find(colon_stand_in) != std::string_view::npos ||
        text.find(question_stand_in) != std::string_view::npos)
        return Value::string(std::string(text));
    auto parsed = parse_yaml(protect(text));
    if (!parsed)
        return Value::string(std::string(text));
    Value value = parsed.release_value();
    restore(value);
    value.set_file({});
    return value;
}

}  // namespace corral::config
