#include "config/template.h"

#include <memory>
#include <vector>

namespace corral::config {

namespace {

struct Token {
    bool action = false;
    std::string text;  // literal text, or the action's words without braces and markers
    int line = 1;
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

ErrorOr<std::vector<Token>> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    int line = 1;
    size_t position = 0;
    bool trim_next = false;
    while (position < text.size()) {
        size_t open = text.find("{{", position);
        std::string literal(text.substr(position, open - position));
        if (trim_next) {
            size_t first = 0;
            while (first < literal.size() && is_space(literal[first]))
                ++first;
            literal.erase(0, first);
        }
        trim_next = false;
        if (open == std::string_view::npos) {
            tokens.push_back(Token{false, literal, line});
            break;
        }
        size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos)
            return Error::invalid("template: line " + std::to_string(line) + ": unclosed {{");
        std::string_view inner = text.substr(open + 2, close - open - 2);
        for (char c : text.substr(position, open - position))
            line += c == '\n';
        if (inner.size() >= 2 && inner[0] == '-' && is_space(inner[1])) {
            while (!literal.empty() && is_space(literal.back()))
                literal.pop_back();
            inner.remove_prefix(1);
        }
        if (inner.size() >= 2 && inner.back() == '-' && is_space(inner[inner.size() - 2])) {
            trim_next = true;
            inner.remove_suffix(1);
        }
        tokens.push_back(Token{false, literal, line});
        while (!inner.empty() && is_space(inner.front()))
            inner.remove_prefix(1);
        while (!inner.empty() && is_space(inner.back()))
            inner.remove_suffix(1);
        tokens.push_back(Token{true, std::string(inner), line});
        for (char c : text.substr(open, close + 2 - open))
            line += c == '\n';
        position = close + 2;
    }
    return tokens;
}

std::vector<std::string> words_of(std::string_view action) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < action.size()) {
        if (is_space(action[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        if (action[i] == '"') {
            ++i;
            while (i < action.size() && action[i] != '"')
                ++i;
            ++i;
        } else {
            while (i < action.size() && !is_space(action[i]))
                ++i;
        }
        words.emplace_back(action.substr(start, std::min(i, action.size()) - start));
    }
    return words;
}

struct Renderer {
    const std::vector<Token>& tokens;
    const std::map<std::string, std::string>& variables;
    size_t index = 0;

    Error error(const Token& token, const std::string& message) {
        return Error::invalid("template: line " + std::to_string(token.line) + ": " + message);
    }

    ErrorOr<std::string> operand(const Token& token, const std::string& word, bool strict) {
        if (word.size() >= 2 && word.front() == '"' && word.back() == '"')
            return word.substr(1, word.size() - 2);
        if (word.size() >= 2 && word[0] == '.') {
            auto found = variables.find(word.substr(1));
            if (found != variables.end())
                return found->second;
            if (strict)
                return error(token, "unknown variable " + word);
            return std::string();
        }
        return error(token, "cannot evaluate `" + word + "`");
    }

    ErrorOr<bool> condition(const Token& token, const std::vector<std::string>& words) {
        // words[0] is "if".
        if (words.size() == 2)
            return !TRY(operand(token, words[1], false)).empty();
        if (words.size() == 4 && (words[1] == "eq" || words[1] == "ne")) {
            bool equal =
                TRY(operand(token, words[2], false)) == TRY(operand(token, words[3], false));
            return words[1] == "eq" ? equal : !equal;
        }
        return error(token, "unsupported condition `" + token.text + "`");
    }

    // Renders until {{else}} or {{end}} (returned in `stop`) or the end of input.
    ErrorOr<std::string> block(bool emit, std::string& stop, int depth) {
        if (depth > 32)
            return Error::invalid("template: conditions nested too deep");
        std::string out;
        while (index < tokens.size()) {
            const Token& token = tokens[index++];
            if (!token.action) {
                if (emit)
                    out += token.text;
                continue;
            }
            auto words = words_of(token.text);
            if (words.empty())
                return error(token, "empty action");
            if (words[0] == "else" || words[0] == "end") {
                if (words.size() != 1)
                    return error(token, "unsupported `" + token.text + "`");
                stop = words[0];
                return out;
            }
            if (words[0] == "if") {
                bool taken = emit ? TRY(condition(token, words)) : false;
                std::string inner_stop;
                std::string then_text = TRY(block(emit && taken, inner_stop, depth + 1));
                std::string else_text;
                if (inner_stop == "else") {
                    else_text = TRY(block(emit && !taken, inner_stop, depth + 1));
                }
                if (inner_stop != "end")
                    return error(token, "{{if}} without {{end}}");
                if (emit)
                    out += taken ? then_text : else_text;
                continue;
            }
            if (words.size() == 1 && words[0].size() > 1 && words[0][0] == '.') {
                if (emit)
                    out += TRY(operand(token, words[0], true));
                continue;
            }
            return error(token, "unsupported action `" + token.text + "`");
        }
        stop.clear();
        return out;
    }
};

}  // namespace

ErrorOr<std::string> render_template(std::string_view text,
                                     const std::map<std::string, std::string>& variables) {
    if (text.size() > max_template_bytes)
        return Error(ErrorKind::too_large,
                     "template larger than " + std::to_string(max_template_bytes) + " bytes");
    auto tokens = TRY(tokenize(text));
    Renderer renderer{tokens, variables};
    std::string stop;
    std::string out = TRY(renderer.block(true, stop, 0));
    if (!stop.empty())
        return Error::invalid("template: {{" + stop + "}} without {{if}}");
    return out;
}

}  // namespace corral::config
