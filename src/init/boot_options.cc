#include "init/boot_options.h"

#include <charconv>

namespace corral::init {

std::vector<CommandLineWord> split_command_line(std::string_view command_line) {
    std::vector<CommandLineWord> words;
    std::string current;
    bool in_word = false;
    bool in_quotes = false;
    auto finish = [&] {
        if (!in_word)
            return;
        CommandLineWord word;
        auto equals = current.find('=');
        if (equals == std::string::npos) {
            word.key = current;
        } else {
            word.key = current.substr(0, equals);
            word.value = current.substr(equals + 1);
            word.has_value = true;
        }
        words.push_back(std::move(word));
        current.clear();
        in_word = false;
    };
    for (char c : command_line) {
        if (c == '"') {
            in_quotes = !in_quotes;
            in_word = true;
            continue;
        }
        if (!in_quotes && (c == ' ' || c == '\t' || c == '\n')) {
            finish();
            continue;
        }
        current.push_back(c);
        in_word = true;
    }
    finish();
    return words;
}

std::vector<std::string> parse_list_value(std::string_view value) {
    if (value.size() >= 2 && value.front() == '[' && value.back() == ']')
        value = value.substr(1, value.size() - 2);
    std::vector<std::string> items;
    while (!value.empty()) {
        auto comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (!item.empty())
            items.emplace_back(item);
        if (comma == std::string_view::npos)
            break;
        value.remove_prefix(comma + 1);
    }
    return items;
}

namespace {

bool parse_seconds(std::string_view text, int& out) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 0 || value > 86400)
        return false;
    out = value;
    return true;
}

bool parse_flag(const CommandLineWord& word) {
    if (!word.has_value)
        return true;
    return word.value == "true" || word.value == "1" || word.value == "yes";
}

}  // namespace

BootOptions parse_boot_options(std::string_view command_line) {
    BootOptions options;
    for (const auto& word : split_command_line(command_line)) {
        const std::string& key = word.key;
        if (key == "rancher.state.dev") {
            options.state_device = word.value;
        } else if (key == "rancher.state.autoformat") {
            options.autoformat = parse_list_value(word.value);
        } else if (key == "rancher.state.fstype") {
            options.state_fstype = word.value;
        } else if (key == "rancher.state.wait") {
            if (!parse_seconds(word.value, options.state_wait_seconds))
                options.unknown_keys.push_back(key + "=" + word.value);
        } else if (key == "rancher.shutdown_timeout") {
            if (!parse_seconds(word.value, options.shutdown_timeout_seconds))
                options.unknown_keys.push_back(key + "=" + word.value);
        } else if (key == "rancher.recovery") {
            options.recovery = parse_flag(word);
        } else if (key == "rancher.debug") {
            options.debug = parse_flag(word);
        } else if (key == "rancher.state.disabled" || key == "rancher.nostate") {
            options.no_state = parse_flag(word);
        } else if (key == "hostname") {
            options.hostname = word.value;
        }
    }
    return options;
}

}  // namespace corral::init
