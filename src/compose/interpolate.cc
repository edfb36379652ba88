#include "compose/interpolate.h"

#include <cctype>

namespace corral::compose {

// Built by appending: GCC 12 -O3 raises a false -Wrestrict on "`" + std::string.
std::string backquoted(std::string_view text) {
    std::string out(1, '`');
    out.append(text);
    out += '`';
    return out;
}

namespace {

bool is_name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

Environment default_environment() {
    return Environment{
        {"REGISTRY_DOMAIN", "docker.io"},
        {"SUFFIX", ""},
        {"VERSION", CORRAL_VERSION},
        {"OS_REPO", "corral"},
        {"ARCH", "amd64"},
    };
}

Environment environment_for(const config::CloudConfig& config) {
    Environment environment = default_environment();
    for (const auto& [name, value] : config.rancher.environment)
        environment[name] = value;
    return environment;
}

ErrorOr<std::string> interpolate(std::string_view text, const Environment& environment,
                                 std::vector<std::string>* missing) {
    std::string out;
    size_t i = 0;
    auto lookup = [&](const std::string& name, const std::string* fallback,
                      bool fallback_when_empty) -> std::string {
        auto found = environment.find(name);
        if (found != environment.end() && !(fallback_when_empty && found->second.empty()))
            return found->second;
        if (fallback)
            return *fallback;
        if (found != environment.end())
            return found->second;
        if (missing)
            missing->push_back(name);
        return {};
    };
    while (i < text.size()) {
        char c = text[i];
        if (c != '$') {
            out += c;
            ++i;
            continue;
        }
        if (i + 1 >= text.size()) {
            out += '$';
            ++i;
            continue;
        }
        char next = text[i + 1];
        if (next == '$') {
            out += '$';
            i += 2;
            continue;
        }
        if (next == '{') {
            size_t close = text.find('}', i + 2);
            if (close == std::string_view::npos)
                return Error::invalid(backquoted(text) + ": unclosed ${");
            std::string_view inner = text.substr(i + 2, close - i - 2);
            size_t name_end = 0;
            while (name_end < inner.size() && is_name_char(inner[name_end]))
                ++name_end;
            std::string name(inner.substr(0, name_end));
            if (name.empty() || !is_name_start(name[0]))
                return Error::invalid(backquoted(text) + ": invalid name in ${" +
                                      std::string(inner) + "}");
            std::string_view rest = inner.substr(name_end);
            if (rest.empty()) {
                out += lookup(name, nullptr, false);
            } else if (rest.starts_with(":-") || rest.starts_with("-")) {
                bool when_empty = rest.starts_with(":-");
                std::string fallback(rest.substr(when_empty ? 2 : 1));
                out += lookup(name, &fallback, when_empty);
            } else {
                return Error::invalid(backquoted(text) + ": unsupported ${" + std::string(inner) +
                                      "}");
            }
            i = close + 1;
            continue;
        }
        if (is_name_start(next)) {
            size_t end = i + 1;
            while (end < text.size() && is_name_char(text[end]))
                ++end;
            out += lookup(std::string(text.substr(i + 1, end - i - 1)), nullptr, false);
            i = end;
            continue;
        }
        // A lone `$` before anything else stays as it is (`$@` in shell snippets).
        out += '$';
        ++i;
    }
    return out;
}

ErrorOr<config::Value> interpolate_tree(const config::Value& value, const Environment& environment,
                                        std::vector<std::string>* missing) {
    config::Value out = value;
    switch (value.kind()) {
        case config::Value::Kind::null:
            break;
        case config::Value::Kind::scalar: {
            std::string text = TRY(interpolate(value.text(), environment, missing));
            out = config::Value::scalar(std::move(text), value.quoted());
            out.with_mark(value.mark());
            break;
        }
        case config::Value::Kind::sequence:
            for (auto& item : out.items())
                item = TRY(interpolate_tree(item, environment, missing));
            break;
        case config::Value::Kind::mapping:
            for (auto& entry : out.entries())
                entry.second = TRY(interpolate_tree(entry.second, environment, missing));
            break;
    }
    return out;
}

}  // namespace corral::compose
