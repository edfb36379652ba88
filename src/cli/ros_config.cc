// `ros config`: get, set, merge, export, validate, images.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "base/fs.h"
#include "cli/ros.h"
#include "compose/catalog.h"
#include "config/schema.h"
#include "config/store.h"
#include "config/tree.h"
#include "config/yaml.h"

namespace corral::cli::ros {

namespace {

ErrorOr<std::string> read_input(const std::string& file) {
    if (!file.empty() && file != "-")
        return fs::read_file(file, config::max_document_bytes);
    std::string text;
    char buffer[65536];
    for (;;) {
        ssize_t count = ::read(STDIN_FILENO, buffer, sizeof(buffer));
        if (count < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("read", "stdin", errno);
        }
        if (count == 0)
            break;
        text.append(buffer, static_cast<size_t>(count));
        if (text.size() > config::max_document_bytes)
            return Error(
                ErrorKind::too_large,
                "stdin: larger than " + std::to_string(config::max_document_bytes) + " bytes");
    }
    return text;
}

void print(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
}

// Scalars print as their text; maps and lists as YAML.
std::string render(const config::Value& value) {
    if (value.is_null())
        return "";
    if (value.is_scalar())
        return value.text() + "\n";
    return config::emit_yaml(value);
}

int run_get(const Context& context, const std::string& key) {
    auto value = config::get_key(context.paths(), key);
    if (!value)
        return fail("config get " + key + ": " + value.error().message());
    print(render(*value));
    return 0;
}

int run_set(const Context& context, const std::string& key, const std::string& text) {
    auto result = config::set_key(context.paths(), key, config::parse_value_text(text));
    if (!result)
        return fail("config set " + key + ": " + result.error().message());
    return 0;
}

int run_merge(const Context& context, const std::string& file) {
    auto text = read_input(file);
    if (!text)
        return fail("config merge: " + text.error().message());
    std::string source = file.empty() || file == "-" ? "stdin" : file;
    auto result = config::merge_document(context.paths(), *text, source);
    if (!result)
        return fail("config merge: " + result.error().message());
    return 0;
}

int run_export(const Context& context, const std::string& output, bool include_private, bool full) {
    auto value = config::export_config(context.paths(), {include_private, full});
    if (!value)
        return fail("config export: " + value.error().message());
    std::string text = "#cloud-config\n" + config::emit_yaml(*value);
    if (output.empty() || output == "-") {
        print(text);
        return 0;
    }
    // The export may hold secrets (--private): only its owner reads it.
    auto written = fs::write_file_atomic(output, text, include_private ? 0600 : 0644);
    if (!written)
        return fail("config export: " + written.error().message());
    return 0;
}

int run_validate(const std::string& file) {
    auto text = read_input(file);
    if (!text)
        return fail("config validate: " + text.error().message());
    std::string source = file.empty() || file == "-" ? "stdin" : file;
    auto document = config::parse_cloud_config(*text, source);
    if (!document) {
        std::fprintf(stderr, "%s\n", document.error().message().c_str());
        return 1;
    }
    for (const auto& problem : document->problems)
        std::fprintf(stderr, "%s\n", problem.to_string().c_str());
    return document->problems.empty() ? 0 : 1;
}

int run_images(const Context& context) {
    config::LoadedConfig loaded = config::load_config(context.paths());
    compose::Catalog catalog = compose::Catalog::load(loaded.merged, context.paths());
    for (const auto& error : catalog.errors())
        std::fprintf(stderr, "ros: warning: %s\n", error.c_str());
    auto images = compose::configured_images(loaded.merged, catalog);
    if (!images)
        return fail("config images: " + images.error().message());
    for (const auto& image : *images)
        std::printf("%s\n", image.c_str());
    return 0;
}

int run_keys() {
    for (const auto& [key, type] : config::schema_keys())
        std::printf("%-48s %s\n", key.c_str(), type.c_str());
    return 0;
}

}  // namespace

void add_config_commands(CLI::App& app, Context& context) {
    CLI::App* command = app.add_subcommand(
        "config", "Read and change the configuration (/var/lib/rancher/conf/cloud-config.yml)");
    command->alias("c");
    command->require_subcommand(1);

    CLI::App* get = command->add_subcommand(
        "get",
        "Print the value of KEY (dotted: rancher.network.dns.nameservers) from the "
        "merged configuration");
    get->add_option("KEY", context.key, "Dotted key")->required();
    get->callback(
        [&context] { context.action = [&context] { return run_get(context, context.key); }; });

    CLI::App* set = command->add_subcommand(
        "set", "Set KEY to VALUE (read as YAML: true, 42, [a,b]) in cloud-config.yml");
    set->add_option("KEY", context.key, "Dotted key")->required();
    set->add_option("VALUE", context.value, "YAML value")->required();
    set->callback([&context] {
        context.action = [&context] { return run_set(context, context.key, context.value); };
    });

    CLI::App* merge = command->add_subcommand(
        "merge", "Deep-merge a cloud-config document into cloud-config.yml");
    merge->add_option("-i,--input", context.file, "File to merge (default: stdin)");
    merge->callback(
        [&context] { context.action = [&context] { return run_merge(context, context.file); }; });

    CLI::App* exporter = command->add_subcommand(
        "export", "Print the configuration (secrets hidden unless --private)");
    exporter->add_option("-o,--output", context.file, "Write to this file instead of stdout");
    exporter->add_flag("-p,--private", context.include_private,
                       "Include ssh host keys, passwords, TLS keys and registry credentials");
    exporter->add_flag("-f,--full", context.full, "Include the built-in defaults (os-config, OEM)");
    exporter->callback([&context] {
        context.action = [&context] {
            return run_export(context, context.file, context.include_private, context.full);
        };
    });

    CLI::App* validate =
        command->add_subcommand("validate",
                                "Check a cloud-config: report every problem with its line and key; "
                                "exit 1 when there is any");
    validate->add_option("-i,--input", context.file, "File to check (default: stdin)");
    validate->callback(
        [&context] { context.action = [&context] { return run_validate(context.file); }; });

    CLI::App* images =
        command->add_subcommand("images", "List the images of the configured and enabled services");
    images->callback([&context] { context.action = [&context] { return run_images(context); }; });

    CLI::App* keys =
        command->add_subcommand("keys", "List every known configuration key with its type");
    keys->callback([&context] { context.action = [] { return run_keys(); }; });
}

}  // namespace corral::cli::ros
