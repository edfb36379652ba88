#include "config/cmdline.h"

#include "config/tree.h"

namespace corral::config {

std::vector<std::string> split_kernel_cmdline(std::string_view cmdline) {
    if (cmdline.size() > max_cmdline_bytes)
        cmdline = cmdline.substr(0, max_cmdline_bytes);
    std::vector<std::string> words;
    std::string word;
    char quote = 0;
    int brackets = 0;
    bool in_word = false;
    for (char c : cmdline) {
        if (quote) {
            if (c == quote)
                quote = 0;
            word += c;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '[') {
            ++brackets;
        } else if (c == ']' && brackets > 0) {
            --brackets;
        } else if ((c == ' ' || c == '\t' || c == '\n') && brackets == 0) {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
            continue;
        }
        word += c;
        in_word = true;
    }
    if (in_word)
        words.push_back(std::move(word));
    return words;
}

namespace {

// `"rancher.a=b c"` quoted as a whole word: the kernel passes the quotes through.
std::string_view strip_word_quotes(std::string_view word) {
    if (word.size() >= 2 && (word.front() == '"' || word.front() == '\'') &&
        word.back() == word.front()) {
        std::string_view inner = word.substr(1, word.size() - 2);
        if (inner.find(word.front()) == std::string_view::npos)
            return inner;
    }
    return word;
}

}  // namespace

KernelCmdline parse_kernel_cmdline(std::string_view cmdline) {
    KernelCmdline result;
    for (const auto& raw : split_kernel_cmdline(cmdline)) {
        std::string_view word = strip_word_quotes(raw);
        std::string key_prefix;
        if (word.starts_with("cc.")) {
            word.remove_prefix(3);
        } else if (!word.starts_with("rancher.")) {
            continue;
        }
        size_t equals = word.find('=');
        std::string_view key = word.substr(0, equals);
        Value value = equals == std::string_view::npos ? Value::boolean(true)
                      : equals + 1 == word.size()      ? Value::string("")
                                                       : parse_value_text(word.substr(equals + 1));
        if (key.empty() || key.ends_with('.') || key == "rancher") {
            result.rejected.push_back(std::string(raw) + ": no key");
            continue;
        }
        if (result.config.is_null())
            result.config = Value::mapping();
        auto assigned = assign(result.config, key, std::move(value));
        if (!assigned)
            result.rejected.push_back(std::string(raw) + ": " + assigned.error().message());
    }
    return result;
}

}  // namespace corral::config
