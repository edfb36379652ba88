#include "init/kernel_modules.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <functional>
#include <set>
#include <sstream>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::init {

std::string module_name(std::string_view path) {
    auto slash = path.rfind('/');
    if (slash != std::string_view::npos)
        path.remove_prefix(slash + 1);
    auto suffix = path.find(".ko");
    if (suffix != std::string_view::npos)
        path = path.substr(0, suffix);
    std::string name(path);
    for (char& c : name) {
        if (c == '-')
            c = '_';
    }
    return name;
}

ErrorOr<ModuleIndex> ModuleIndex::parse(std::string_view modules_dep) {
    ModuleIndex index;
    size_t line_number = 0;
    while (!modules_dep.empty()) {
        ++line_number;
        auto newline = modules_dep.find('\n');
        std::string_view line = modules_dep.substr(0, newline);
        modules_dep.remove_prefix(newline == std::string_view::npos ? modules_dep.size()
                                                                    : newline + 1);
        if (line.empty() || line.front() == '#')
            continue;
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return Error::invalid("modules.dep line " + std::to_string(line_number) +
                                  ": no `path:`");
        std::string path(line.substr(0, colon));
        std::vector<std::string> dependencies;
        std::istringstream rest{std::string(line.substr(colon + 1))};
        std::string dependency;
        while (rest >> dependency)
            dependencies.push_back(dependency);
        index.path_by_name_[module_name(path)] = path;
        index.dependencies_[path] = std::move(dependencies);
    }
    return index;
}

ErrorOr<std::vector<std::string>> ModuleIndex::load_order(
    const std::vector<std::string>& names) const {
    std::vector<std::string> order;
    std::set<std::string> done;
    std::set<std::string> in_progress;
    std::function<ErrorOr<void>(const std::string&)> visit =
        [&](const std::string& path) -> ErrorOr<void> {
        if (done.count(path))
            return {};
        if (!in_progress.insert(path).second)
            return Error::invalid("module dependency cycle at " + path);
        auto found = dependencies_.find(path);
        if (found == dependencies_.end())
            return Error::not_found("module file " + path + " is not in modules.dep");
        for (const auto& dependency : found->second)
            TRY(visit(dependency));
        in_progress.erase(path);
        done.insert(path);
        order.push_back(path);
        return {};
    };
    for (const auto& name : names) {
        auto found = path_by_name_.find(module_name(name));
        if (found == path_by_name_.end())
            return Error::not_found("module " + name + " is not in modules.dep");
        TRY(visit(found->second));
    }
    return order;
}

std::vector<std::string> parse_module_list(std::string_view text) {
    std::vector<std::string> names;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        line = line.substr(0, line.find('#'));
        std::istringstream words(line);
        std::string name;
        if (words >> name)
            names.push_back(name);
    }
    return names;
}

namespace {

std::string kernel_release() {
    utsname names{};
    ::uname(&names);
    return names.release;
}

// Module names built into the kernel (modules.builtin), which have nothing to load.
std::set<std::string> builtin_modules(const std::string& directory) {
    std::set<std::string> names;
    auto text = fs::read_file(directory + "/modules.builtin");
    if (!text)
        return names;
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.empty())
            names.insert(module_name(line));
    }
    return names;
}

}  // namespace

ErrorOr<ModuleLoadReport> load_module_list(const std::string& list_path,
                                           const std::string& modules_root) {
    std::string directory = modules_root + "/" + kernel_release();
    auto list = TRY(fs::read_file(list_path));
    auto index = TRY(ModuleIndex::parse(TRY(fs::read_file(directory + "/modules.dep"))));
    auto builtin = builtin_modules(directory);
    ModuleLoadReport report;
    std::vector<std::string> names;
    for (auto& name : parse_module_list(list)) {
        if (builtin.count(module_name(name)))
            report.already_loaded.push_back(name);
        else
            names.push_back(std::move(name));
    }
    // Resolve each name alone, so one unknown module does not drop the rest.
    std::vector<std::string> order;
    std::set<std::string> queued;
    for (const auto& name : names) {
        auto files = index.load_order({name});
        if (!files) {
            report.failed.push_back(name + ": " + files.error().message());
            continue;
        }
        for (auto& file : *files) {
            if (queued.insert(file).second)
                order.push_back(std::move(file));
        }
    }
    for (const auto& file : order) {
        std::string path = directory + "/" + file;
        auto fd = sys::open(path, O_RDONLY);
        if (!fd) {
            report.failed.push_back(module_name(file) + ": " + fd.error().message());
            continue;
        }
        if (::syscall(SYS_finit_module, fd->get(), "", 0) == 0) {
            report.loaded.push_back(module_name(file));
        } else if (errno == EEXIST) {
            report.already_loaded.push_back(module_name(file));
        } else {
            report.failed.push_back(
                Error::from_errno("finit_module", module_name(file), errno).message());
        }
    }
    return report;
}

}  // namespace corral::init
