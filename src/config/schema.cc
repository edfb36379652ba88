#include "config/schema.h"

#include "config/schema_tables.h"
#include "config/tree.h"
#include "config/yaml.h"

namespace corral::config {

using schema_tables::Field;
using schema_tables::root_schema;
using schema_tables::Schema;
using schema_tables::service_schema;
using schema_tables::Type;

namespace {

const char* type_name(Type type) {
    switch (type) {
        case Type::any:
            return "anything";
        case Type::string:
            return "a string";
        case Type::integer:
            return "an integer";
        case Type::boolean:
            return "a boolean";
        case Type::bool_or_int:
            return "a boolean or an integer";
        case Type::string_list:
            return "a list of strings";
        case Type::list:
        case Type::list_of:
            return "a list";
        case Type::string_or_list:
            return "a string or a list of strings";
        case Type::list_or_map:
            return "a list or a map";
        case Type::object:
        case Type::map_of:
        case Type::record:
            return "a map";
        case Type::scalar_map:
            return "a map of strings";
        case Type::bool_map:
            return "a map of booleans";
        case Type::command_list:
            return "a list of commands";
        case Type::mount_list:
            return "a list of mount entries";
        case Type::choice:
            return "one of a fixed set of words";
    }
    return "?";
}

std::string child_path(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string item_path(const std::string& path, size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

struct Validator {
    std::vector<Problem>& problems;

    void report(const Value& value, const std::string& path, std::string message) {
        problems.push_back(Problem{value.mark(), path, std::move(message)});
    }

    void expected(const Value& value, const std::string& path, const char* what) {
        report(value, path, std::string("expected ") + what + ", got " + value.describe());
    }

    void check_scalar_items(const Value& value, const std::string& path) {
        for (size_t i = 0; i < value.items().size(); ++i) {
            const Value& item = value.items()[i];
            if (!item.is_scalar() && !item.is_null())
                expected(item, item_path(path, i), "a string");
        }
    }

    void check(const Value& value, const Schema& schema, const std::string& path) {
        // An empty key (`rancher:` with nothing after it) means "not set" for every type.
        if (value.is_null())
            return;
        switch (schema.type) {
            case Type::any:
                return;
            case Type::string:
                if (!value.is_scalar())
                    expected(value, path, "a string");
                return;
            case Type::integer:
                if (!value.as_int())
                    expected(value, path, "an integer");
                return;
            case Type::boolean:
                if (!value.as_bool())
                    expected(value, path, "a boolean");
                return;
            case Type::bool_or_int:
                if (!value.as_bool() && !value.as_int())
                    expected(value, path, "a boolean or an integer");
                return;
            case Type::string_list:
                if (!value.is_sequence())
                    return expected(value, path, "a list of strings");
                check_scalar_items(value, path);
                return;
            case Type::list:
                if (!value.is_sequence())
                    expected(value, path, "a list");
                return;
            case Type::string_or_list:
                if (value.is_sequence())
                    check_scalar_items(value, path);
                else if (!value.is_scalar())
                    expected(value, path, "a string or a list of strings");
                return;
            case Type::list_or_map:
                if (value.is_sequence())
                    check_scalar_items(value, path);
                else if (value.is_mapping())
                    check_scalar_map(value, path);
                else
                    expected(value, path, "a list or a map");
                return;
            case Type::object:
                if (!value.is_mapping())
                    expected(value, path, "a map");
                return;
            case Type::scalar_map:
                if (!value.is_mapping())
                    return expected(value, path, "a map of strings");
                check_scalar_map(value, path);
                return;
            case Type::bool_map:
                if (!value.is_mapping())
                    return expected(value, path, "a map of booleans");
                for (const auto& [key, item] : value.entries()) {
                    if (!item.is_null() && !item.as_bool())
                        expected(item, child_path(path, key), "a boolean");
                }
                return;
            case Type::map_of:
                if (!value.is_mapping())
                    return expected(value, path, "a map");
                for (const auto& [key, item] : value.entries())
                    check(item, *schema.element, child_path(path, key));
                return;
            case Type::list_of:
                if (!value.is_sequence())
                    return expected(value, path, "a list");
                for (size_t i = 0; i < value.items().size(); ++i)
                    check(value.items()[i], *schema.element, item_path(path, i));
                return;
            case Type::record:
                if (!value.is_mapping())
                    return expected(value, path, "a map");
                for (size_t index = 0; index < value.entries().size(); ++index) {
                    const auto& [key, item] = value.entries()[index];
                    const Field* field = nullptr;
                    for (const auto& candidate : schema.fields) {
                        if (candidate.name == key)
                            field = &candidate;
                    }
                    if (!field) {
                        Mark mark = value.key_mark(index);
                        problems.push_back(Problem{mark.line ? mark : item.mark(),
                                                   child_path(path, key), "unknown key"});
                        continue;
                    }
                    check(item, *field->schema, child_path(path, key));
                }
                return;
            case Type::command_list:
                if (!value.is_sequence())
                    return expected(value, path, "a list of commands");
                for (size_t i = 0; i < value.items().size(); ++i) {
                    const Value& item = value.items()[i];
                    if (item.is_sequence())
                        check_scalar_items(item, item_path(path, i));
                    else if (!item.is_scalar() && !item.is_null())
                        expected(item, item_path(path, i), "a command string or list");
                }
                return;
            case Type::choice: {
                if (value.is_scalar()) {
                    for (const auto& choice : schema.choices) {
                        if (value.text() == choice || value.text().empty())
                            return;
                    }
                }
                std::string words;
                for (const auto& choice : schema.choices)
                    words += (words.empty() ? "" : ", ") + std::string(choice);
                report(value, path, "expected one of " + words + "; got " + value.describe());
                return;
            }
            case Type::mount_list:
                if (!value.is_sequence())
                    return expected(value, path, "a list of mount entries");
                for (size_t i = 0; i < value.items().size(); ++i) {
                    const Value& item = value.items()[i];
                    if (!item.is_sequence()) {
                        expected(item, item_path(path, i),
                                 "a mount entry [device, directory, type, options]");
                        continue;
                    }
                    check_scalar_items(item, item_path(path, i));
                }
                return;
        }
    }

    void check_scalar_map(const Value& value, const std::string& path) {
        for (const auto& [key, item] : value.entries()) {
            if (!item.is_scalar() && !item.is_null())
                expected(item, child_path(path, key), "a string");
        }
    }
};

// The schema node at a dotted path, walking free-form map keys as one segment each.
const Schema* schema_at(std::string_view path) {
    const Schema* schema = &root_schema;
    if (path.empty())
        return schema;
    for (const auto& part : split_key(path)) {
        switch (schema->type) {
            case Type::record: {
                const Schema* next = nullptr;
                for (const auto& field : schema->fields) {
                    if (field.name == part)
                        next = field.schema;
                }
                if (!next)
                    return nullptr;
                schema = next;
                break;
            }
            case Type::map_of:
                schema = schema->element;
                break;
            default:
                return nullptr;
        }
    }
    return schema;
}

void collect_keys(const Schema& schema, const std::string& path,
                  std::vector<std::pair<std::string, std::string>>& out, int depth) {
    if (depth > 6)
        return;
    switch (schema.type) {
        case Type::record:
            for (const auto& field : schema.fields) {
                std::string child = child_path(path, field.name);
                if (field.schema == &service_schema || field.schema->type == Type::record ||
                    field.schema->type == Type::map_of) {
                    if (field.schema->element == &service_schema) {
                        out.emplace_back(child + ".*", "compose services");
                        continue;
                    }
                    collect_keys(*field.schema, child, out, depth + 1);
                } else {
                    out.emplace_back(child, type_name(field.schema->type));
                    if (field.schema->type == Type::scalar_map ||
                        field.schema->type == Type::bool_map)
                        out.back().first += ".*";
                }
            }
            return;
        case Type::map_of:
            if (schema.element->type == Type::record)
                collect_keys(*schema.element, path + ".*", out, depth + 1);
            return;
        default:
            return;
    }
}

}  // namespace

std::string Problem::to_string() const {
    return format_mark(mark) + (path.empty() ? std::string("document") : path) + ": " + message;
}

std::vector<Problem> validate_cloud_config(const Value& root) {
    std::vector<Problem> problems;
    Validator validator{problems};
    if (!root.is_null() && !root.is_mapping()) {
        validator.expected(root, "", "a map of cloud-config keys");
        return problems;
    }
    validator.check(root, root_schema, "");
    return problems;
}

std::vector<Problem> validate_service(const Value& service, const std::string& path) {
    std::vector<Problem> problems;
    Validator validator{problems};
    validator.check(service, service_schema, path);
    return problems;
}

bool free_form_key_here(std::string_view path) {
    const Schema* schema = schema_at(path);
    return schema && (schema->type == Type::scalar_map || schema->type == Type::bool_map ||
                      schema->type == Type::object);
}

bool is_secret_path(std::string_view path) {
    auto parts = split_key(path);
    if (parts.size() < 2 || parts[0] != "rancher")
        return false;
    const std::string& section = parts[1];
    if (section == "password" || section == "registry_auths")
        return true;
    if (section == "ssh" && parts.size() >= 3 && parts[2] == "keys")
        return true;
    if ((section == "docker" || section == "system_docker" || section == "bootstrap_docker") &&
        parts.size() >= 3) {
        const std::string& key = parts[2];
        return key == "ca_key" || key == "ca_cert" || key == "server_key" || key == "server_cert";
    }
    if (section == "network" && parts.size() >= 5 && parts[2] == "wifi_networks") {
        const std::string& key = parts[4];
        return key == "psk" || key == "password" || key == "private_key_passwds";
    }
    return false;
}

std::vector<std::pair<std::string, std::string>> schema_keys() {
    std::vector<std::pair<std::string, std::string>> keys;
    collect_keys(root_schema, "", keys, 0);
    return keys;
}

}  // namespace corral::config
