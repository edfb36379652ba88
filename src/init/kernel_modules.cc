#include "init/kernel_modules.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "base/boot_timeline.h"
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

const std::vector<std::string>* ModuleIndex::dependencies_of(const std::string& path) const {
    auto found = dependencies_.find(path);
    return found == dependencies_.end() ? nullptr : &found->second;
}

ModuleStages parse_module_stages(std::string_view text) {
    ModuleStages stages;
    auto* names = &stages.system;
    auto* barriers = &stages.system_barriers;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        line = line.substr(0, line.find('#'));
        std::istringstream words(line);
        std::string name;
        if (!(words >> name))
            continue;
        if (name == "[disks]") {
            names = &stages.disks;
            barriers = &stages.disks_barriers;
        } else if (name == "[next]") {
            if (!names->empty() && (barriers->empty() || barriers->back() != names->size()))
                barriers->push_back(names->size());
        } else {
            names->push_back(name);
        }
    }
    return stages;
}

std::vector<std::string> parse_module_list(std::string_view text) {
    auto stages = parse_module_stages(text);
    auto names = std::move(stages.system);
    names.insert(names.end(), stages.disks.begin(), stages.disks.end());
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

// load_module_list once the list is read: ModuleLoader::start reads it before its thread does
// the loading.
ErrorOr<ModuleLoadReport> load_modules(
    ModuleStages stages, const std::string& modules_root,
    const std::function<void(const std::string& name)>& on_module_tried) {
    std::string directory = modules_root + "/" + kernel_release();
    auto index = TRY(ModuleIndex::parse(TRY(fs::read_file(directory + "/modules.dep"))));
    auto builtin = builtin_modules(directory);
    ModuleLoadReport report;
    // The files to load in order, each after its dependencies.
    std::vector<std::string> order;
    std::set<std::string> queued;
    // Positions in `order`, ascending, before which every file must be done before a later one
    // starts: the `[next]` lines, and the start of the disks part.
    std::vector<size_t> barriers;
    for (auto* part : {&stages.system, &stages.disks}) {
        const auto& part_barriers =
            part == &stages.system ? stages.system_barriers : stages.disks_barriers;
        for (size_t position = 0; position < part->size(); ++position) {
            const auto& name = (*part)[position];
            if (std::find(part_barriers.begin(), part_barriers.end(), position) !=
                part_barriers.end())
                barriers.push_back(order.size());
            if (builtin.count(module_name(name))) {
                report.already_loaded.push_back(name);
                if (on_module_tried)
                    on_module_tried(module_name(name));
                continue;
            }
            // Resolve each name alone, so one unknown module does not drop the rest.
            auto files = index.load_order({name});
            if (!files) {
                report.failed.push_back(name + ": " + files.error().message());
                if (on_module_tried)
                    on_module_tried(module_name(name));
                continue;
            }
            for (auto& file : *files) {
                if (queued.insert(file).second)
                    order.push_back(std::move(file));
            }
        }
        if (part == &stages.system)
            barriers.push_back(order.size());
    }

    // Workers take the first module of `order` whose dependencies are done; a failed
    // dependency counts as done (the module then fails with the kernel's own reason). The
    // disks part starts once the system part is done: the kernel ends each module's load by
    // waiting for all asynchronous work, which includes the disk controllers' port probes, so
    // a system module loaded beside them would wait for the disks.
    std::mutex mutex;
    std::condition_variable changed;
    std::set<std::string> done;
    std::vector<bool> taken(order.size(), false);
    // The end of what may start now: the first barrier with a file before it not done.
    auto startable_end = [&] {
        size_t first_not_done = 0;
        while (first_not_done < order.size() && done.count(order[first_not_done]))
            ++first_not_done;
        for (size_t barrier : barriers) {
            if (barrier > first_not_done)
                return barrier;
        }
        return order.size();
    };
    auto load_one = [&](const std::string& file) {
        auto fd = sys::open(directory + "/" + file, O_RDONLY);
        int result = -1;
        int error = 0;
        if (fd) {
            result = static_cast<int>(::syscall(SYS_finit_module, fd->get(), "", 0));
            error = errno;
        }
        std::lock_guard guard(mutex);
        if (!fd)
            report.failed.push_back(module_name(file) + ": " + fd.error().message());
        else if (result == 0)
            report.loaded.push_back(module_name(file));
        else if (error == EEXIST)
            report.already_loaded.push_back(module_name(file));
        else
            report.failed.push_back(
                Error::from_errno("finit_module", module_name(file), error).message());
    };
    auto worker = [&] {
        std::unique_lock lock(mutex);
        for (;;) {
            size_t next = order.size();
            bool pending = false;
            size_t end = startable_end();
            for (size_t i = 0; i < order.size() && next == order.size(); ++i) {
                if (taken[i])
                    continue;
                pending = true;
                if (i >= end)
                    break;
                const auto* dependencies = index.dependencies_of(order[i]);
                bool ready =
                    !dependencies || std::all_of(dependencies->begin(), dependencies->end(),
                                                 [&](const std::string& dependency) {
                                                     return done.count(dependency) > 0 ||
                                                            !queued.count(dependency);
                                                 });
                if (ready)
                    next = i;
            }
            if (!pending)
                return;
            if (next == order.size()) {
                changed.wait(lock);
                continue;
            }
            taken[next] = true;
            lock.unlock();
            load_one(order[next]);
            if (on_module_tried)
                on_module_tried(module_name(order[next]));
            lock.lock();
            done.insert(order[next]);
            changed.notify_all();
        }
    };
    size_t thread_count = std::min<size_t>(order.size(), 4);
    std::vector<std::thread> threads;
    for (size_t i = 1; i < thread_count; ++i)
        threads.emplace_back(worker);
    if (thread_count > 0)
        worker();
    for (auto& thread : threads)
        thread.join();
    return report;
}

}  // namespace

ErrorOr<ModuleLoadReport> load_module_list(
    const std::string& list_path, const std::string& modules_root,
    const std::function<void(const std::string& name)>& on_module_tried) {
    return load_modules(parse_module_stages(TRY(fs::read_file(list_path))), modules_root,
                        on_module_tried);
}

ErrorOr<std::unique_ptr<ModuleLoader>> ModuleLoader::start(std::string list_path,
                                                           std::string modules_root) {
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return Error::from_errno("eventfd", "module loading", errno);
    std::unique_ptr<ModuleLoader> loader(new ModuleLoader(UniqueFd(fd)));
    ModuleLoader* self = loader.get();
    // Read once: the system part is waited for by name, and the thread loads the whole list
    // (or reports why it could not be read).
    auto text = fs::read_file(list_path);
    ErrorOr<ModuleStages> stages =
        text ? ErrorOr<ModuleStages>(parse_module_stages(*text)) : text.release_error();
    if (stages)
        self->system_part_ = stages->system;
    self->thread_ = std::thread(
        [self, stages = std::move(stages), modules_root = std::move(modules_root)]() mutable {
            auto tried = [self](const std::string& name) {
                std::lock_guard lock(self->mutex_);
                self->tried_.insert(name);
                self->progress_.notify_all();
            };
            auto report = stages ? load_modules(stages.release_value(), modules_root, tried)
                                 : ErrorOr<ModuleLoadReport>(stages.release_error());
            self->report_.emplace(std::move(report));
            self->finished_seconds_ = boot_timeline::now_seconds();
            {
                std::lock_guard lock(self->mutex_);
                self->over_ = true;
                self->progress_.notify_all();
            }
            uint64_t one = 1;
            (void)!::write(self->done_.get(), &one, sizeof one);
        });
    return loader;
}

const ErrorOr<ModuleLoadReport>& ModuleLoader::wait() {
    if (thread_.joinable())
        thread_.join();
    return *report_;
}

void ModuleLoader::wait_for_module(const std::string& name) {
    wait_for_modules({name});
}

void ModuleLoader::wait_for_modules(const std::vector<std::string>& names) {
    std::unique_lock lock(mutex_);
    progress_.wait(lock, [&] {
        return over_ || std::all_of(names.begin(), names.end(), [&](const std::string& name) {
                   return tried_.count(module_name(name)) > 0;
               });
    });
}

void ModuleLoader::wait_for_system_part() {
    if (system_part_) {
        wait_for_modules(*system_part_);
        return;
    }
    std::unique_lock lock(mutex_);
    progress_.wait(lock, [&] { return over_; });
}

ModuleLoader::~ModuleLoader() {
    if (thread_.joinable())
        thread_.join();
}

}  // namespace corral::init
