// Shell-style word splitting and byte sizes for compose values.
#include <cctype>
#include <charconv>

#include "compose/service.h"

namespace corral::compose {

ErrorOr<std::vector<std::string>> split_command(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quote == '\'') {
            if (c == '\'')
                quote = 0;
            else
                word += c;
            continue;
        }
        if (quote == '"') {
            if (c == '"') {
                quote = 0;
            } else if (c == '\\' && i + 1 < text.size() &&
                       (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$')) {
                word += text[++i];
            } else {
                word += c;
            }
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == '\\') {
            if (i + 1 < text.size()) {
                word += text[++i];
                in_word = true;
            }
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (quote)
        return Error::invalid("command " + backquoted(text) + ": unterminated quote");
    if (in_word)
        words.push_back(std::move(word));
    return words;
}

ErrorOr<int64_t> parse_bytes(std::string_view text) {
    std::string_view original = text;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
        ++digits;
    if (digits == 0)
        return Error::invalid(backquoted(original) + ": not a size");
    uint64_t number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + digits, number);
    if (error != std::errc())
        return Error::invalid(backquoted(original) + ": not a size");
    std::string unit;
    for (char c : text.substr(digits))
        unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (unit.ends_with("ib"))
        unit.erase(unit.size() - 2, 1);  // "mib" → "mb"
    uint64_t multiplier = 1;
    if (unit.empty() || unit == "b")
        multiplier = 1;
    else if (unit == "k" || unit == "kb")
        multiplier = 1ull << 10;
    else if (unit == "m" || unit == "mb")
        multiplier = 1ull << 20;
    else if (unit == "g" || unit == "gb")
        multiplier = 1ull << 30;
    else if (unit == "t" || unit == "tb")
        multiplier = 1ull << 40;
    else
        return Error::invalid(backquoted(original) + ": unknown unit `" + unit + "`");
    if (number > uint64_t(INT64_MAX) / multiplier)
        return Error(ErrorKind::too_large, backquoted(original) + ": too large");
    return static_cast<int64_t>(number * multiplier);
}

}  // namespace corral::compose
