#include "cli/system_docker_template.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace corral::cli {

namespace {

struct Pipeline;

// One argument of a command: a field path from the dot, a literal, or a nested pipeline.
struct Operand {
    enum class Kind { field, literal, pipeline } kind = Kind::field;
    std::vector<std::string> path;  // field: "" elements never occur; empty path is "."
    Json literal;
    std::shared_ptr<Pipeline> nested;
};

struct Command {
    std::string function;  // empty: the value of operands[0]
    std::vector<Operand> operands;
};

struct Pipeline {
    std::vector<Command> commands;
};

}  // namespace

struct Template::Node {
    enum class Kind { text, action, if_block, range_block, with_block } kind = Kind::text;
    std::string text;
    Pipeline pipeline;
    std::vector<Node> body;
    std::vector<Node> else_body;
};

namespace {

using Node = Template::Node;

Error template_error(std::string message) {
    return Error::invalid("template: " + std::move(message));
}

class Lexer {
  public:
    explicit Lexer(std::string_view action) : text_(action) {}

    void skip_space() {
        while (position_ < text_.size() &&
               std::isspace(static_cast<unsigned char>(text_[position_])))
            ++position_;
    }
    bool at_end() {
        skip_space();
        return position_ >= text_.size();
    }
    char peek() {
        skip_space();
        return position_ < text_.size() ? text_[position_] : '\0';
    }
    void advance() { ++position_; }
    std::string word() {
        skip_space();
        size_t start = position_;
        while (
            position_ < text_.size() &&
            (std::isalnum(static_cast<unsigned char>(text_[position_])) || text_[position_] == '_'))
            ++position_;
        return std::string(text_.substr(start, position_ - start));
    }
    ErrorOr<std::string> string_literal() {
        char quote = text_[position_++];
        std::string value;
        while (position_ < text_.size() && text_[position_] != quote) {
            char c = text_[position_++];
            if (c == '\\' && quote == '"' && position_ < text_.size()) {
                char escaped = text_[position_++];
                value += escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped;
            } else {
                value += c;
            }
        }
        if (position_ >= text_.size())
            return template_error("unterminated string");
        ++position_;
        return value;
    }
    std::string number() {
        size_t start = position_;
        while (position_ < text_.size() &&
               (std::isdigit(static_cast<unsigned char>(text_[position_])) ||
                text_[position_] == '-' || text_[position_] == '.'))
            ++position_;
        return std::string(text_.substr(start, position_ - start));
    }
    std::string_view rest() const { return text_.substr(position_); }

  private:
    std::string_view text_;
    size_t position_ = 0;
};

ErrorOr<Pipeline> parse_pipeline(Lexer& lexer, bool nested);

ErrorOr<Operand> parse_operand(Lexer& lexer) {
    Operand operand;
    char c = lexer.peek();
    if (c == '.') {
        operand.kind = Operand::Kind::field;
        while (lexer.peek() == '.') {
            lexer.advance();
            std::string name = lexer.word();
            if (!name.empty())
                operand.path.push_back(name);
            else if (!operand.path.empty())
                return template_error("bad field path");
        }
        return operand;
    }
    if (c == '"' || c == '`') {
        operand.kind = Operand::Kind::literal;
        operand.literal = TRY(lexer.string_literal());
        return operand;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
        std::string text = lexer.number();
        operand.kind = Operand::Kind::literal;
        try {
            operand.literal = Json::parse(text);
        } catch (const std::exception&) {
            return template_error("bad number " + text);
        }
        return operand;
    }
    if (c == '(') {
        lexer.advance();
        operand.kind = Operand::Kind::pipeline;
        operand.nested = std::make_shared<Pipeline>(TRY(parse_pipeline(lexer, true)));
        return operand;
    }
    std::string word = lexer.word();
    if (word == "true" || word == "false") {
        operand.kind = Operand::Kind::literal;
        operand.literal = word == "true";
        return operand;
    }
    return template_error("unexpected \"" + std::string(lexer.rest().substr(0, 10)) + "\"");
}

bool is_function(std::string_view name) {
    static const char* const functions[] = {"json",  "index", "join",  "len",     "lower",
                                            "upper", "split", "title", "println", "print"};
    return std::find(std::begin(functions), std::end(functions), name) != std::end(functions);
}

ErrorOr<Pipeline> parse_pipeline(Lexer& lexer, bool nested) {
    Pipeline pipeline;
    for (;;) {
        Command command;
        char c = lexer.peek();
        if (std::isalpha(static_cast<unsigned char>(c))) {
            Lexer probe = lexer;
            std::string name = probe.word();
            if (name != "true" && name != "false") {
                if (!is_function(name))
                    return template_error("function \"" + name + "\" not defined");
                command.function = name;
                lexer = probe;
            }
        }
        while (!lexer.at_end() && lexer.peek() != '|' && lexer.peek() != ')')
            command.operands.push_back(TRY(parse_operand(lexer)));
        if (command.function.empty() && command.operands.size() != 1)
            return template_error("a value takes no arguments");
        pipeline.commands.push_back(std::move(command));
        if (lexer.at_end()) {
            if (nested)
                return template_error("unclosed parenthesis");
            return pipeline;
        }
        if (lexer.peek() == ')') {
            if (!nested)
                return template_error("unexpected )");
            lexer.advance();
            return pipeline;
        }
        lexer.advance();  // '|'
    }
}

// Parses nodes until {{end}} or {{else}} (reported in `terminator`) or the end of the text.
ErrorOr<std::vector<Node>> parse_nodes(std::string_view& text, std::string& terminator, int depth) {
    if (depth > 32)
        return template_error("blocks nested too deeply");
    std::vector<Node> nodes;
    terminator.clear();
    while (!text.empty()) {
        size_t open = text.find("{{");
        std::string_view literal = text.substr(0, open);
        bool trim_left = open != std::string_view::npos && text.substr(open).starts_with("{{-");
        if (trim_left) {
            while (!literal.empty() && std::isspace(static_cast<unsigned char>(literal.back())))
                literal.remove_suffix(1);
        }
        if (!literal.empty())
            nodes.push_back({Node::Kind::text, std::string(literal), {}, {}, {}});
        if (open == std::string_view::npos)
            break;
        size_t close = text.find("}}", open);
        if (close == std::string_view::npos)
            return template_error("unclosed action");
        std::string_view action = text.substr(open + 2, close - open - 2);
        if (trim_left)
            action.remove_prefix(1);
        bool trim_right = action.ends_with("-") && action.size() > 1 &&
                          std::isspace(static_cast<unsigned char>(action[action.size() - 2]));
        if (trim_right)
            action.remove_suffix(1);
        text.remove_prefix(close + 2);
        if (trim_right) {
            while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
                text.remove_prefix(1);
        }
        Lexer lexer(action);
        Lexer probe = lexer;
        std::string keyword = probe.word();
        if (keyword == "end" || keyword == "else") {
            terminator = keyword;
            return nodes;
        }
        if (keyword == "if" || keyword == "range" || keyword == "with") {
            Node block;
            block.kind = keyword == "if"      ? Node::Kind::if_block
                         : keyword == "range" ? Node::Kind::range_block
                                              : Node::Kind::with_block;
            block.pipeline = TRY(parse_pipeline(probe, false));
            std::string inner;
            block.body = TRY(parse_nodes(text, inner, depth + 1));
            if (inner == "else") {
                block.else_body = TRY(parse_nodes(text, inner, depth + 1));
            }
            if (inner != "end")
                return template_error("missing {{end}}");
            nodes.push_back(std::move(block));
            continue;
        }
        if (lexer.at_end())
            return template_error("missing value for command");
        Node node;
        node.kind = Node::Kind::action;
        node.pipeline = TRY(parse_pipeline(lexer, false));
        nodes.push_back(std::move(node));
    }
    return nodes;
}

const Json& missing() {
    static const Json value = Json::value_t::discarded;
    return value;
}

bool truthy(const Json& value) {
    if (value.is_discarded() || value.is_null())
        return false;
    if (value.is_boolean())
        return value.get<bool>();
    if (value.is_number())
        return value != 0;
    if (value.is_string() || value.is_array() || value.is_object())
        return !value.empty();
    return true;
}

class Executor {
  public:
    ErrorOr<void> run(const std::vector<Node>& nodes, const Json& dot, std::string& out) {
        for (const auto& node : nodes) {
            switch (node.kind) {
                case Node::Kind::text:
                    out += node.text;
                    break;
                case Node::Kind::action:
                    out += format_value(TRY(evaluate(node.pipeline, dot)));
                    break;
                case Node::Kind::if_block:
                case Node::Kind::with_block: {
                    Json value = TRY(evaluate(node.pipeline, dot));
                    if (truthy(value))
                        TRY(run(node.body, node.kind == Node::Kind::with_block ? value : dot, out));
                    else
                        TRY(run(node.else_body, dot, out));
                    break;
                }
                case Node::Kind::range_block: {
                    Json value = TRY(evaluate(node.pipeline, dot));
                    if (!truthy(value)) {
                        TRY(run(node.else_body, dot, out));
                        break;
                    }
                    if (!value.is_array() && !value.is_object())
                        return template_error("range can't iterate over " + format_value(value));
                    if (value.is_object()) {
                        // Go ranges over maps in key order.
                        std::map<std::string, const Json*> sorted;
                        for (auto it = value.begin(); it != value.end(); ++it)
                            sorted[it.key()] = &it.value();
                        for (const auto& [key, element] : sorted)
                            TRY(run(node.body, *element, out));
                    } else {
                        for (const auto& element : value)
                            TRY(run(node.body, element, out));
                    }
                    break;
                }
            }
        }
        return {};
    }

  private:
    ErrorOr<Json> operand_value(const Operand& operand, const Json& dot) {
        switch (operand.kind) {
            case Operand::Kind::literal:
                return operand.literal;
            case Operand::Kind::pipeline:
                return evaluate(*operand.nested, dot);
            case Operand::Kind::field: {
                const Json* current = &dot;
                for (const auto& name : operand.path) {
                    if (current->is_null() || current->is_discarded())
                        return missing();
                    if (!current->is_object())
                        return template_error("can't evaluate field " + name + " in type " +
                                              current->type_name());
                    auto found = current->find(name);
                    if (found == current->end())
                        return missing();
                    current = &*found;
                }
                return *current;
            }
        }
        return missing();
    }

    ErrorOr<Json> call(const std::string& function, const std::vector<Json>& arguments) {
        auto want = [&](size_t count) -> ErrorOr<void> {
            if (arguments.size() != count)
                return template_error("wrong number of args for " + function);
            return {};
        };
        if (function == "json") {
            TRY(want(1));
            return arguments[0].is_discarded() ? Json("null") : Json(arguments[0].dump());
        }
        if (function == "index") {
            if (arguments.empty())
                return template_error("wrong number of args for index");
            Json value = arguments[0];
            for (size_t i = 1; i < arguments.size(); ++i) {
                const Json& key = arguments[i];
                if (value.is_object() && key.is_string()) {
                    auto found = value.find(key.get<std::string>());
                    value = found == value.end() ? missing() : *found;
                } else if (value.is_array() && key.is_number_integer()) {
                    auto position = key.get<int64_t>();
                    if (position < 0 || static_cast<size_t>(position) >= value.size())
                        return template_error("index out of range");
                    value = value[static_cast<size_t>(position)];
                } else if (value.is_null() || value.is_discarded()) {
                    return missing();
                } else {
                    return template_error("can't index " + std::string(value.type_name()));
                }
            }
            return value;
        }
        if (function == "join") {
            TRY(want(2));
            std::string joined;
            if (!arguments[0].is_array() || !arguments[1].is_string())
                return template_error("join wants a list and a separator");
            for (size_t i = 0; i < arguments[0].size(); ++i) {
                if (i > 0)
                    joined += arguments[1].get<std::string>();
                joined += format_value(arguments[0][i]);
            }
            return joined;
        }
        if (function == "len") {
            TRY(want(1));
            if (arguments[0].is_string())
                return arguments[0].get<std::string>().size();
            if (arguments[0].is_array() || arguments[0].is_object())
                return arguments[0].size();
            return template_error("len of " + std::string(arguments[0].type_name()));
        }
        if (function == "lower" || function == "upper" || function == "title") {
            TRY(want(1));
            std::string text = format_value(arguments[0]);
            bool start = true;
            for (char& c : text) {
                auto byte = static_cast<unsigned char>(c);
                if (function == "lower")
                    c = static_cast<char>(std::tolower(byte));
                else if (function == "upper" || start)
                    c = static_cast<char>(std::toupper(byte));
                start = std::isspace(byte);
            }
            return text;
        }
        if (function == "split") {
            TRY(want(2));
            std::string text = format_value(arguments[0]);
            std::string separator = format_value(arguments[1]);
            Json parts = Json::array();
            if (separator.empty()) {
                for (char c : text)
                    parts.push_back(std::string(1, c));
                return parts;
            }
            size_t start = 0;
            for (size_t found; (found = text.find(separator, start)) != std::string::npos;
                 start = found + separator.size())
                parts.push_back(text.substr(start, found - start));
            parts.push_back(text.substr(start));
            return parts;
        }
        // print and println: operands separated by spaces (println also ends the line).
        std::string text;
        for (size_t i = 0; i < arguments.size(); ++i) {
            if (i > 0)
                text += ' ';
            text += format_value(arguments[i]);
        }
        if (function == "println")
            text += '\n';
        return text;
    }

    ErrorOr<Json> evaluate(const Pipeline& pipeline, const Json& dot) {
        Json previous;
        bool have_previous = false;
        for (const auto& command : pipeline.commands) {
            std::vector<Json> arguments;
            for (const auto& operand : command.operands)
                arguments.push_back(TRY(operand_value(operand, dot)));
            // A piped value becomes the last argument.
            if (have_previous)
                arguments.push_back(std::move(previous));
            if (command.function.empty()) {
                if (arguments.size() != 1)
                    return template_error("a value takes no arguments");
                previous = std::move(arguments[0]);
            } else {
                previous = TRY(call(command.function, arguments));
            }
            have_previous = true;
        }
        return previous;
    }
};

}  // namespace

std::string format_value(const Json& value) {
    if (value.is_discarded())
        return "<no value>";
    if (value.is_null())
        return "<nil>";
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_array()) {
        std::string out = "[";
        for (size_t i = 0; i < value.size(); ++i) {
            if (i > 0)
                out += ' ';
            out += format_value(value[i]);
        }
        return out + "]";
    }
    if (value.is_object()) {
        std::map<std::string, const Json*> sorted;
        for (auto it = value.begin(); it != value.end(); ++it)
            sorted[it.key()] = &it.value();
        std::string out = "map[";
        bool first = true;
        for (const auto& [key, element] : sorted) {
            if (!first)
                out += ' ';
            first = false;
            out += key + ":" + format_value(*element);
        }
        return out + "]";
    }
    return value.dump();
}

ErrorOr<Template> Template::parse(std::string_view text) {
    std::string terminator;
    auto nodes = TRY(parse_nodes(text, terminator, 0));
    if (!terminator.empty())
        return template_error("unexpected {{" + terminator + "}}");
    return Template(std::make_shared<const std::vector<Node>>(std::move(nodes)));
}

ErrorOr<std::string> Template::execute(const Json& data) const {
    std::string out;
    Executor executor;
    TRY(executor.run(*nodes_, data, out));
    return out;
}

}  // namespace corral::cli
